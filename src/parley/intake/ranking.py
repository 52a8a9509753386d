"""Merge candidates ranked by likelihood, not by name.

A reviewer merging a proposed person "Steven Witkoff" into the record wants "Steve Witkoff" first,
not "Andrii Sybiha". Each candidate record is scored from 0 to 100 + context:

* **names**: the best fuzzy match (rapidfuzz WRatio, which handles word order, initials and
  partial names) between the proposal's name and the record's name or any alias; for a person a
  shared surname adds 10;
* **context**: a person of the proposal's party adds 15; a meeting on the proposal's day adds 40
  (30 a day apart, less further off) and at its place 30; a pledge of the same amount adds 30 and
  in the same currency 10; a statement or quotation is scored by its text.

Candidates come back best first; ties keep name order.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Candidate:
    id: str
    label: str
    names: tuple[str, ...] = ()
    party: str | None = None
    day: date | None = None
    place: str | None = None
    amount: int | None = None
    currency: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _similar(a: str | None, names: tuple[str, ...]) -> float:
    if not a:
        return 0.0
    from rapidfuzz import fuzz  # imported on first use: building the app stays light

    a = " ".join(a.split()).lower()
    return max((fuzz.WRatio(a, " ".join(n.split()).lower()) for n in names if n), default=0.0)


def _surname(name: str | None) -> str:
    return name.split()[-1].lower() if name and name.split() else ""


def score(kind: str, payload: dict[str, Any], c: Candidate) -> float:
    """How likely the record `c` is the one the proposal of `kind` with `payload` names."""
    if kind == "meeting":
        s = 0.0
        when = payload.get("date")
        if when and c.day:
            try:
                days = abs((date.fromisoformat(str(when)) - c.day).days)
            except ValueError:
                days = 99
            s += max(0.0, 40.0 - 10.0 * days)
        place = payload.get("place")
        if place and c.place and place.strip().lower() == c.place.strip().lower():
            s += 30.0
        return s + 0.3 * _similar(payload.get("title") or place, c.names)
    if kind in ("quote", "statement"):
        return _similar(payload.get("text"), c.names)
    if kind == "commitment":
        s = 0.6 * _similar(payload.get("donor"), c.names)
        if payload.get("amount") is not None and c.amount is not None:
            with contextlib.suppress(TypeError, ValueError):
                s += 30.0 if int(payload["amount"]) == int(c.amount) else 0.0
        if payload.get("currency") and payload.get("currency") == c.currency:
            s += 10.0
        return s
    if kind == "demand":
        return _similar(payload.get("party") or payload.get("text"), c.names)
    name = payload.get("name")
    s = _similar(name, c.names)
    if kind == "person":
        if _surname(name) and any(_surname(n) == _surname(name) for n in c.names):
            s += 10.0
        if payload.get("party") and c.party and payload["party"] == c.party:
            s += 15.0
    return s


def rank(kind: str, payload: dict[str, Any], candidates: list[Candidate]) -> list[Candidate]:
    """Best first; equal scores in label order."""
    scored = [(score(kind, payload, c), c) for c in candidates]
    scored.sort(key=lambda sc: (-sc[0], sc[1].label.lower()))
    return [c for _s, c in scored]
