"""Documents, versions, provisions with permanent ids, lineage, amendments, brackets, signatures."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, ProcessScoped, Spaced, enum_column, utcnow


class DocumentKind(enum.StrEnum):
    PLAN = "plan"
    SECURITY_FRAMEWORK = "security_framework"
    ECONOMIC_PLAN = "economic_plan"
    STATEMENT = "statement"
    AGREEMENT = "agreement"
    OTHER = "other"


class VersionKind(enum.StrEnum):
    PARTY_DRAFT = "party_draft"
    MEDIATOR_TEXT = "mediator_text"
    COMPROMISE = "compromise"
    AGREED = "agreed"
    SIGNED = "signed"


class LineageKind(enum.StrEnum):
    SAME = "same"
    CHANGED = "changed"
    MOVED = "moved"
    SPLIT = "split"
    MERGED = "merged"
    NEW = "new"
    DROPPED = "dropped"


class AmendmentKind(enum.StrEnum):
    SUBSTITUTE = "substitute"
    INSERT = "insert"
    DELETE = "delete"
    MOVE = "move"
    SPLIT = "split"
    MERGE = "merge"


class AmendmentStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    BRACKETED = "bracketed"
    WITHDRAWN = "withdrawn"


class BracketStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class SupportKind(enum.StrEnum):
    SUPPORTS = "supports"
    OBJECTS = "objects"


class Document(ProcessScoped, Spaced, Base):
    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[DocumentKind] = enum_column(DocumentKind)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Added in 0012: the authentic languages (ISO 639-1, comma-separated, the lead language
    # first: its text is in provision_texts) and the working translations (not authentic).
    languages: Mapped[str] = mapped_column(sa.String(64), default="en", server_default="en")
    translations: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")


class Version(ProcessScoped, Spaced, Base):
    """A snapshot of a document. Once frozen (``content_hash`` set) it never changes."""

    __tablename__ = "versions"
    __table_args__ = (sa.UniqueConstraint("document_id", "label"),)

    document_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    kind: Mapped[VersionKind] = enum_column(VersionKind)
    author_party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    dated: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    frozen_at: Mapped[datetime | None]
    # Added in 0012: the mediator's reason for freezing or signing although a language was
    # pending or the cross-language check had findings (audited; empty when none was needed).
    language_override: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class VersionParent(ProcessScoped, Base):
    __tablename__ = "version_parents"
    __table_args__ = (sa.UniqueConstraint("version_id", "parent_id"),)

    version_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("versions.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("versions.id", ondelete="CASCADE"))


class Provision(ProcessScoped, Base):
    """The permanent identity of a point (Akoma Ntoso ``wId``), shared by all its versions."""

    __tablename__ = "provisions"
    __table_args__ = (sa.UniqueConstraint("document_id", "wid"),)

    document_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    wid: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(200), default="")


class ProvisionText(ProcessScoped, Base):
    """What a provision says in one version; ``number`` is display data and never renumbered."""

    __tablename__ = "provision_texts"
    __table_args__ = (sa.UniqueConstraint("version_id", "provision_id"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("versions.id", ondelete="CASCADE"), index=True
    )
    provision_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("provisions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(sa.String(32))
    heading: Mapped[str] = mapped_column(sa.String(300), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    ordinal: Mapped[int]
    parent_provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))


class ProvisionLanguage(ProcessScoped, Base):
    """What a provision says in one version in a language other than the document's lead one.

    The lead language's text is the :class:`ProvisionText`; every other language of the version
    (authentic or a working translation) has one row per provision here, sharing the permanent
    provision id. ``number`` is as that language writes it ("7(б)")."""

    __tablename__ = "provision_languages"
    __table_args__ = (sa.UniqueConstraint("version_id", "provision_id", "language"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("versions.id", ondelete="CASCADE"), index=True
    )
    provision_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("provisions.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(sa.String(8))
    number: Mapped[str] = mapped_column(sa.String(32))
    heading: Mapped[str] = mapped_column(sa.String(300), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    ordinal: Mapped[int]
    parent_provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))


class PendingTranslation(ProcessScoped, Base):
    """A provision's text in ``language`` awaits an update after it changed in ``changed_in``.

    Deleted (audited) when the text is updated or the change is confirmed as not affecting it.
    """

    __tablename__ = "pending_translations"
    __table_args__ = (sa.UniqueConstraint("version_id", "provision_id", "language"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("versions.id", ondelete="CASCADE"), index=True
    )
    provision_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("provisions.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(sa.String(8))
    changed_in: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lineage(ProcessScoped, Base):
    """A confirmed link between a provision in one version and one in a later version."""

    __tablename__ = "lineage"

    from_version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("versions.id", ondelete="CASCADE")
    )
    to_version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("versions.id", ondelete="CASCADE")
    )
    from_provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))
    to_provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))
    kind: Mapped[LineageKind] = enum_column(LineageKind)
    score: Mapped[float | None]
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]


class Amendment(ProcessScoped, Spaced, Base):
    __tablename__ = "amendments"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    document_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE")
    )
    base_version_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("versions.id"))
    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"))
    kind: Mapped[AmendmentKind] = enum_column(AmendmentKind)
    provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))
    after_provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    justification: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[AmendmentStatus] = enum_column(AmendmentStatus, default=AmendmentStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Added in 0003: what an insert or split proposes, and what became of the amendment.
    number: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    heading: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # split: the texts of the parts; merge: the wids of the provisions merged into provision_id.
    parts: Mapped[list[Any] | None] = mapped_column(default=list)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    result_version_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("versions.id"))
    bracket_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("brackets.id"))
    # Added in 0012: the language the amendment's text is written in (empty: the lead one).
    language: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")


class Bracket(ProcessScoped, Spaced, Base):
    """Unagreed language in a version, held as structure with options (never literal [ ])."""

    __tablename__ = "brackets"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    version_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("versions.id", ondelete="CASCADE"))
    provision_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("provisions.id"))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[BracketStatus] = enum_column(BracketStatus, default=BracketStatus.OPEN)
    # No foreign key: options belong to the bracket, and a cycle would need ALTER on SQLite.
    resolved_option_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))


class BracketOption(ProcessScoped, Base):
    __tablename__ = "bracket_options"
    __table_args__ = (sa.UniqueConstraint("bracket_id", "key"),)

    bracket_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("brackets.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(sa.String(16))
    text: Mapped[str] = mapped_column(sa.Text)
    proposer_party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    # Added in 0003: when the option was tabled, and the amendment it came from (if any).
    created_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    amendment_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("amendments.id"))


class OptionSupport(ProcessScoped, Base):
    """A party's open support for, or objection to, a bracket option (stated at the table)."""

    __tablename__ = "option_supports"
    __table_args__ = (sa.UniqueConstraint("option_id", "party_id"),)

    option_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("bracket_options.id", ondelete="CASCADE")
    )
    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"))
    kind: Mapped[SupportKind] = enum_column(SupportKind)


class SigningKey(ProcessScoped, Base):
    """A delegation's Ed25519 key; the private half is encrypted with the head's passphrase."""

    __tablename__ = "signing_keys"

    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"), index=True)
    public_key: Mapped[str] = mapped_column(sa.String(100))
    encrypted_private_key: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class Signature(ProcessScoped, Spaced, Base):
    """A party's Ed25519 signature over the content hash of a version or a statement."""

    __tablename__ = "signatures"

    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[uuid.UUID]
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    key_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("signing_keys.id"))
    signature: Mapped[str] = mapped_column(sa.String(200))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
