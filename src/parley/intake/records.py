"""Plain dataclasses for what intake proposes, and their JSON shape (issue 7's CLI contract).

Every proposal carries `evidence`: [start, end) character offsets of the supporting sentence(s) in
the stored text, and a `confidence` between 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

Span = tuple[int, int]


@dataclass
class SourceInfo:
    title: str | None = None
    published: date | None = None
    url: str | None = None
    outlet: str | None = None
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
            "outlet": self.outlet,
            "sha256": self.sha256,
        }


@dataclass
class PersonProposal:
    name: str
    title: str | None
    party: str | None
    mentions: list[Span]
    known: bool
    evidence: Span
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "party": self.party,
            "mentions": [list(m) for m in self.mentions],
            "known": self.known,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass
class PartyProposal:
    name: str
    mentions: list[Span]
    known: bool
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mentions": [list(m) for m in self.mentions],
            "known": self.known,
            "confidence": self.confidence,
        }


@dataclass
class MeetingProposal:
    date: date | None
    date_text: str
    place: str | None
    participants: list[str]
    format: str | None
    evidence: Span
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "date_text": self.date_text,
            "place": self.place,
            "participants": list(self.participants),
            "format": self.format,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass
class QuoteProposal:
    speaker: str | None
    speakers: list[str]
    text: str
    verb: str | None
    evidence: Span
    quote: Span | None
    confidence: float
    kind: str = "quote"  # quote | joint_statement | reported (an "according to" attribution)
    speaker_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "speakers": list(self.speakers),
            "text": self.text,
            "verb": self.verb,
            "kind": self.kind,
            "speaker_text": self.speaker_text,
            "quote": list(self.quote) if self.quote else None,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass
class DocumentProposal:
    name: str
    known: bool
    kind: str | None
    mention: Span
    evidence: Span
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "known": self.known,
            "kind": self.kind,
            "mention": list(self.mention),
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass
class CommitmentProposal:
    donor: str | None
    recipient: str | None
    amount: int
    currency: str
    period: str | None
    amount_text: str
    evidence: Span
    confidence: float
    alt_amount: int | None = None
    alt_currency: str | None = None
    instrument: str | None = None  # loan | grant | guarantee | military aid | humanitarian aid

    def to_dict(self) -> dict[str, Any]:
        return {
            "donor": self.donor,
            "recipient": self.recipient,
            "amount": self.amount,
            "currency": self.currency,
            "alt_amount": self.alt_amount,
            "alt_currency": self.alt_currency,
            "period": self.period,
            "instrument": self.instrument,
            "amount_text": self.amount_text,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass
class StatementProposal:
    """A joint statement, communiqué or readout with every signatory person and party."""

    kind: str  # joint_statement | communique | readout
    people: list[str]
    parties: list[str]
    date: date | None
    date_text: str
    place: str | None
    evidence: Span
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "people": list(self.people),
            "parties": list(self.parties),
            "date": self.date.isoformat() if self.date else None,
            "date_text": self.date_text,
            "place": self.place,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass
class DemandProposal:
    party: str | None
    text: str
    evidence: Span
    confidence: float
    kind: str = "demand"  # demand | sticking_point

    def to_dict(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "text": self.text,
            "kind": self.kind,
            "evidence": list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass
class IntakeWarning:
    kind: str  # weekday_mismatch | title_mismatch | amount_mismatch
    text: str
    detail: str
    evidence: Span

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "detail": self.detail,
            "evidence": list(self.evidence),
        }


@dataclass
class Extraction:
    source: SourceInfo
    text: str
    people: list[PersonProposal] = field(default_factory=list)
    parties: list[PartyProposal] = field(default_factory=list)
    meetings: list[MeetingProposal] = field(default_factory=list)
    quotes: list[QuoteProposal] = field(default_factory=list)
    documents: list[DocumentProposal] = field(default_factory=list)
    commitments: list[CommitmentProposal] = field(default_factory=list)
    demands: list[DemandProposal] = field(default_factory=list)
    statements: list[StatementProposal] = field(default_factory=list)
    warnings: list[IntakeWarning] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `parley intake --format json` prints for one source."""
        return {
            "source": self.source.to_dict(),
            "people": [p.to_dict() for p in self.people],
            "parties": [p.to_dict() for p in self.parties],
            "meetings": [m.to_dict() for m in self.meetings],
            "quotes": [q.to_dict() for q in self.quotes],
            "documents": [d.to_dict() for d in self.documents],
            "commitments": [c.to_dict() for c in self.commitments],
            "demands": [d.to_dict() for d in self.demands],
            "statements": [s.to_dict() for s in self.statements],
            "warnings": [w.to_dict() for w in self.warnings],
        }
