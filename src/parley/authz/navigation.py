"""What the navigation offers an actor in a process: the sections and their pages.

The layout draws exactly these links, so that nobody is shown a page that answers 403 or 404
to them (docs/security.md). The sections keep one order everywhere (UI.md): Home, Texts,
Positions, Meetings, Statements, Plan, Ledger, Record, Audit. A section none of whose pages the
actor may open is left out.

Pages that need a membership (positions, the plan's tools, the ledger, intake review, the audit
log) are offered to members; a published process shows its public pages to everyone else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz.actor import Actor
from parley.authz.scope import can_write_in, headed_party, is_member
from parley.authz.visibility import INTERNAL


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class Section:
    key: str  # stable name, used to mark the current section
    label: str
    icon: str  # a Bootstrap Icons name, without the "bi-" prefix
    href: str  # the section's first page
    links: tuple[Link, ...] = field(default=())  # more than one: shown as a menu
    also: tuple[str, ...] = field(default=())  # further path prefixes that belong here

    @property
    def hrefs(self) -> tuple[str, ...]:
        return (*(tuple(link.href for link in self.links) or (self.href,)), *self.also)


ORDER = (
    "home",
    "texts",
    "positions",
    "meetings",
    "statements",
    "plan",
    "ledger",
    "record",
    "audit",
)


# Record pages that belong to a section without being in its menu (for marking it current).
ALSO = {
    "texts": ("documents", "versions", "amendments", "brackets", "sticking-points", "texts-keys"),
    "meetings": ("meetings", "rooms", "minutes", "changes", "calendar.ics"),
    "plan": ("steps", "milestones", "constraints", "status-claims"),
    "ledger": ("commitments", "fulfilment-events"),
    "record": ("timeline", "notes", "parties", "people", "search"),
}


def _section(key: str, label: str, icon: str, links: Iterable[Link], p: str) -> Section | None:
    kept = tuple(links)
    if not kept:
        return None
    also = tuple(f"{p}/{slug}" for slug in ALSO.get(key, ()))
    return Section(key, label, icon, kept[0].href, kept if len(kept) > 1 else (), also)


def sections(actor: Actor, process_key: str, process_id: uuid.UUID | None) -> list[Section]:
    """The sections ``actor`` may use in the process, in the house order.

    The caller has already opened the process (it is the actor's, or published), so its public
    pages are always offered.
    """
    p = f"/p/{process_key}"
    member = actor.is_system or is_member(actor, process_id)
    writer = can_write_in(actor, process_id)

    def only(condition: bool, *links: Link) -> list[Link]:
        return list(links) if condition else []

    def section(key: str, label: str, icon: str, links: Iterable[Link]) -> Section | None:
        return _section(key, label, icon, links, p)

    found = [
        section("home", "Home", "house", [Link("Home", p)]),
        section("texts", "Texts", "file-earmark-text", [Link("Texts", f"{p}/texts")]),
        section(
            "positions",
            "Positions",
            "signpost-split",
            only(
                member,
                Link("Positions", f"{p}/positions"),
                Link("Convergence map", f"{p}/convergence"),
                Link("Package optimizer", f"{p}/optimizer"),
            ),
        ),
        section("meetings", "Meetings", "people", [Link("Meetings", f"{p}/sessions")]),
        section(
            "statements",
            "Statements",
            "megaphone",
            [
                Link("Statements", f"{p}/statements"),
                *only(member, Link("Joint statements", f"{p}/joint-statements")),
            ],
        ),
        section(
            "plan",
            "Plan",
            "calendar3-range",
            only(
                member,
                Link("Plan", f"{p}/plan"),
                Link("Implementation status", f"{p}/status"),
            ),
        ),
        section("ledger", "Ledger", "journal-check", only(member, Link("Ledger", f"{p}/ledger"))),
        section(
            "record",
            "Record",
            "clock-history",
            [
                Link("Timeline", f"{p}/history"),
                Link("Sources", f"{p}/sources"),
                *only(member, Link("Intake review", f"{p}/review")),
                *only(writer, Link("Submit a report", f"{p}/intake")),
            ],
        ),
        section(
            "audit",
            "Audit",
            "shield-check",
            only(
                member,
                Link("Audit log", f"{p}/audit"),
                Link("Checkpoints", f"{p}/checkpoints"),
            ),
        ),
    ]
    return [s for s in found if s is not None]


def current_section(found: list[Section], path: str) -> str | None:
    """The key of the section whose page ``path`` is (the longest matching link wins)."""
    best: tuple[int, str] | None = None
    for section in found:
        for href in section.hrefs:
            inside = path.startswith(href + "/") and section.key != "home"
            if (path == href or inside) and (best is None or len(href) > best[0]):
                best = (len(href), section.key)
    return best[1] if best else None


@dataclass(frozen=True)
class Account:
    """Who the actor is in the process, for the account menu."""

    party_key: str | None
    role: str | None
    members_href: str | None = None  # the delegation page, for the delegation's head


def account(actor: Actor, process_id: Any, process_key: str | None = None) -> Account:
    m = actor.membership(process_id)
    manages = process_key is not None and headed_party(actor, process_id) is not None
    return Account(
        m.party_key if m else None,
        m.role if m else None,
        f"/p/{process_key}/delegation" if manages else None,
    )


def party_names(session: Session, process_id: uuid.UUID) -> dict[str, str]:
    """Party key -> name in a process. Parties are listed to everyone who opens the process."""
    from parley.processes.models import Party

    rows = session.execute(
        sa.select(Party.key, Party.name)
        .where(Party.process_id == process_id)
        .execution_options(**{INTERNAL: True})
    ).all()
    return {key: name for key, name in rows}


def own_processes(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(key, title) of the processes the actor is a member of, for the process switcher."""
    from parley.processes.models import Process

    if not actor.memberships:
        return []
    rows = session.execute(
        sa.select(Process.key, Process.title)
        .where(Process.id.in_(list(actor.memberships)))
        .order_by(Process.title)
    ).all()
    return [(key, title) for key, title in rows]
