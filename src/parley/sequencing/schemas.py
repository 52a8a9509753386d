"""What a client may send to write the plan (unknown fields are refused, naming the field)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.intake.evidence import EvidenceIn
from parley.sequencing.stn import MAX_ABS_DAYS

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ClaimStatusIn = Literal["not_started", "in_progress", "completed", "disputed", "violated"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class ConstraintIn(_In):
    """``to − from ∈ [min, max]`` days; ``from``/``to`` are milestone keys or ``step.start|end``."""

    key: str = Field(pattern=KEY_PATTERN)
    from_ref: str = Field(alias="from", min_length=1, max_length=80)
    to_ref: str = Field(alias="to", min_length=1, max_length=80)
    min_days: int | None = Field(None, alias="min", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    max_days: int | None = Field(None, alias="max", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    explanation: str = Field("", max_length=300)
    space: str


class ConstraintUpdate(_In):
    from_ref: str | None = Field(None, alias="from", min_length=1, max_length=80)
    to_ref: str | None = Field(None, alias="to", min_length=1, max_length=80)
    min_days: int | None = Field(None, alias="min", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    max_days: int | None = Field(None, alias="max", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    explanation: str | None = Field(None, max_length=300)


class MilestoneIn(_In):
    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    on_date: date | None = None
    space: str


class MilestoneUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    on_date: date | None = None


class StepIn(_In):
    """An implementation step lasting between ``min_days`` and ``max_days``."""

    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    kind: str = Field("", max_length=64)
    min_days: int | None = Field(None, ge=0, le=MAX_ABS_DAYS)
    max_days: int | None = Field(None, ge=0, le=MAX_ABS_DAYS)
    description: str = ""
    space: str


class StepUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    kind: str | None = Field(None, max_length=64)
    min_days: int | None = Field(None, ge=0, le=MAX_ABS_DAYS)
    max_days: int | None = Field(None, ge=0, le=MAX_ABS_DAYS)
    description: str | None = None


class StatusClaimIn(_In):
    """A claim about a step or a provision: the author's delegation's own, or, with
    ``neutral``, the neutral assessment of a monitor or the mediator; with its evidence."""

    step_id: uuid.UUID | None = None
    provision_id: uuid.UUID | None = None
    neutral: bool = False
    status: ClaimStatusIn
    level: int | None = Field(None, ge=0, le=3)
    claimed_on: date
    note: str = ""
    space: str
    evidence: list[EvidenceIn] = Field(default_factory=list)


class StatusClaimUpdate(_In):
    """Correct a claim (its status, level or note) or add evidence to it."""

    status: ClaimStatusIn | None = None
    level: int | None = Field(None, ge=0, le=3)
    note: str | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list)
