"""What a client may send to the ledger (unknown fields are refused, naming the field)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.intake.evidence import EvidenceIn

KEY = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
CURRENCY = r"^[A-Z]{3}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CommitmentIn(_In):
    """A pledge (money), guarantee or obligation; ``donor`` and ``recipient`` are party keys."""

    key: str = Field(pattern=KEY)
    kind: Literal["pledge", "guarantee", "obligation"]
    title: str = Field(min_length=1, max_length=300)
    donor: str | None = Field(None, max_length=32)
    recipient: str | None = Field(None, max_length=32)
    amount: Decimal | None = Field(None, ge=0, max_digits=20, decimal_places=2)
    currency: str | None = Field(None, pattern=CURRENCY)
    period_start: date | None = None
    period_end: date | None = None
    period_text: str = Field("", max_length=200)
    obligation_text: str = ""
    conditions: str = ""
    space: str


class CommitmentUpdate(_In):
    """The words of a commitment; its amount is fixed once recorded, its status follows from
    its events."""

    title: str | None = Field(None, min_length=1, max_length=300)
    conditions: str | None = None
    period_text: str | None = Field(None, max_length=200)


class FulfilmentIn(_In):
    """One event of a commitment's life.

    ``pledged``, ``allocated`` and ``delivered`` are the donor's books (pledges only);
    ``honoured`` and ``breached`` are a neutral assessment of a guarantee or an obligation.
    An amount in another currency than the pledge's gives ``rate`` (pledge-currency units per
    unit), ``rate_on`` and ``rate_source``; going beyond the pledge (allocations) or the
    allocations (deliveries) needs ``overrun_reason``.
    """

    commitment_id: uuid.UUID
    kind: Literal["pledged", "allocated", "delivered", "honoured", "breached"]
    amount: Decimal | None = Field(None, ge=0, max_digits=20, decimal_places=2)
    currency: str | None = Field(None, pattern=CURRENCY)
    occurred_on: date
    note: str = ""
    overrun_reason: str = Field("", max_length=2000)
    rate: Decimal | None = Field(None, gt=0, max_digits=20, decimal_places=10)
    rate_on: date | None = None
    rate_source: str = Field("", max_length=300)
    evidence: list[EvidenceIn] = Field(default_factory=list)


class LinkIn(_In):
    """Exactly one of ``provision`` ("document/wid") and ``step`` (a step key)."""

    provision: str | None = Field(None, min_length=3, max_length=130)
    step: str | None = Field(None, min_length=1, max_length=64)
