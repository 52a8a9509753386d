"""Reads for the session, joint-statement, calendar and changes pages; every spaced read is
scoped through ``authz.visible`` (``scoped``), so what a page shows is what its reader may see.

A room's page data never names another room: carried passages carry no source, and the
provenance of a carry-over lives in the mediator's space, which only the mediator reads.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.chain import jsonable
from parley.audit.models import AuditEvent
from parley.authz import Actor, NotFound, visible
from parley.authz.rules import permits
from parley.authz.scope import actor_party_id, actor_role, get_visible_in
from parley.authz.visibility import SCOPED
from parley.db.base import utcnow
from parley.exports.ics import CalendarEvent
from parley.processes.models import Person, Process
from parley.sequencing.models import Milestone
from parley.sessions.models import (
    AgendaItem,
    CarriedPassage,
    Carry,
    LastVisit,
    Meeting,
    MeetingParticipant,
    MeetingStatus,
    Minutes,
    MinutesApproval,
    MinutesStatus,
    Room,
    Statement,
    StatementKind,
    StatementStatus,
)
from parley.sessions.service import (
    meeting_subject,
    minutes_subject,
    parties_of,
    required_approvers,
)
from parley.sessions.statements import (
    provision_refs,
    seal_of,
    signatories_of,
    statement_subject,
    valid_signatures,
)
from parley.sessions.verify import STATEMENT_FORMAT, STATEMENT_FORMAT_VERSION
from parley.texts.canonical_hash import text_hash
from parley.texts.models import Document, Provision, Signature, SigningKey


def scoped(actor: Actor, model: Any, process_id: uuid.UUID) -> sa.Select[Any]:
    return (
        sa.select(model)
        .where(model.process_id == process_id, visible(actor, model))
        .execution_options(**{SCOPED: True})
    )


def _local(when: datetime | None, zone: str) -> str | None:
    if when is None:
        return None
    try:
        return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    except (KeyError, ValueError):
        return when.isoformat()


# ---------------------------------------------------------------- the session page


def minutes_json(db: Session, actor: Actor, minutes: Minutes) -> dict[str, Any]:
    required = required_approvers(db, minutes)
    current = minutes.content_hash or text_hash(minutes.text)
    approvals = db.scalars(
        sa.select(MinutesApproval).where(MinutesApproval.minutes_id == minutes.id)
    ).all()
    parties = parties_of(db, minutes.process_id)
    valid = {a.party_id for a in approvals if a.content_hash == current}
    mine = actor_party_id(actor, minutes.process_id)
    subject = minutes_subject(db, minutes)
    return {
        "id": str(minutes.id),
        "status": str(minutes.status),
        "text": minutes.text,
        "space": minutes.space,
        "hash": current,
        "frozen_hash": minutes.content_hash,
        "required": [p.key for p in required],
        "approvals": [
            {
                "party": parties[a.party_id].key if a.party_id in parties else None,
                "valid": a.party_id in valid,
                "approved_at": jsonable(a.approved_at),
            }
            for a in sorted(approvals, key=lambda a: a.approved_at)
        ],
        "waiting_for": [p.key for p in required if p.id not in valid],
        "can_circulate": permits(actor, "minutes", "circulate", subject),
        "can_amend": permits(actor, "minutes", "amend", subject),
        "can_approve": permits(actor, "minutes", "approve", subject)
        and mine in {p.id for p in required}
        and mine not in valid,
    }


def meeting_details(db: Session, actor: Actor, process: Process, session_id: Any) -> dict[str, Any]:
    talk = get_visible_in(db, actor, Meeting, process.id, session_id)
    parties = parties_of(db, process.id)
    links = db.scalars(
        sa.select(MeetingParticipant).where(MeetingParticipant.session_id == talk.id)
    ).all()
    person_ids = [p.person_id for p in links if p.person_id]
    people = db.scalars(
        scoped(actor, Person, process.id).where(Person.id.in_(person_ids)).order_by(Person.name)
    ).all()
    agenda_rows = db.scalars(
        sa.select(AgendaItem).where(AgendaItem.session_id == talk.id).order_by(AgendaItem.ordinal)
    ).all()
    documents = {
        d.id: d
        for d in db.scalars(
            scoped(actor, Document, process.id).where(
                Document.id.in_([a.document_id for a in agenda_rows if a.document_id])
            )
        )
    }
    provisions = {
        p.id: p
        for p in db.scalars(
            sa.select(Provision).where(
                Provision.id.in_([a.provision_id for a in agenda_rows if a.provision_id]),
                Provision.document_id.in_(list(documents)),  # only of documents one can read
            )
        )
    }
    rooms = db.scalars(
        scoped(actor, Room, process.id).where(Room.session_id == talk.id).order_by(Room.name)
    ).all()
    minutes = db.scalars(
        scoped(actor, Minutes, process.id)
        .where(Minutes.session_id == talk.id)
        .order_by(Minutes.created_at, Minutes.id)
    ).all()
    passages = db.scalars(
        scoped(actor, CarriedPassage, process.id)
        .where(CarriedPassage.session_id == talk.id)
        .order_by(CarriedPassage.carried_at)
    ).all()
    carries = db.scalars(
        scoped(actor, Carry, process.id)
        .where(Carry.session_id == talk.id)
        .order_by(Carry.carried_at)
    ).all()
    room_names = {r.id: r.name for r in rooms}
    statements = db.scalars(
        scoped(actor, Statement, process.id)
        .where(Statement.session_id == talk.id)
        .order_by(Statement.key)
    ).all()
    return {
        "id": str(talk.id),
        "key": talk.key,
        "title": talk.title,
        "format": str(talk.format),
        "status": str(talk.status),
        "starts_at": jsonable(talk.starts_at),
        "ends_at": jsonable(talk.ends_at),
        "timezone": talk.timezone,
        "local_start": _local(talk.starts_at, talk.timezone),
        "local_end": _local(talk.ends_at, talk.timezone),
        "place": talk.place,
        "outcome": talk.outcome,
        "space": talk.space,
        "can_write": permits(
            actor,
            "meeting",
            {"planned": "hold", "held": "close"}.get(str(talk.status), "close"),
            meeting_subject(talk),
        ),
        "next_status": {"planned": "held", "held": "closed"}.get(str(talk.status)),
        "parties": [
            {"key": parties[p.party_id].key, "name": parties[p.party_id].name}
            for p in links
            if p.party_id in parties
        ],
        "people": [{"name": p.name, "affiliation": p.affiliation} for p in people],
        "agenda": [
            {
                "ordinal": a.ordinal,
                "title": a.title,
                "document": (
                    {"id": str(a.document_id), "key": documents[a.document_id].key}
                    if a.document_id in documents
                    else None
                ),
                "provision": (
                    {
                        "id": str(a.provision_id),
                        "wid": provisions[a.provision_id].wid,
                        "label": provisions[a.provision_id].label,
                    }
                    if a.provision_id in provisions
                    else None
                ),
            }
            for a in agenda_rows
        ],
        "rooms": [
            {
                "id": str(r.id),
                "name": r.name,
                "space": r.space,
                "party": parties[r.party_id].key if r.party_id in parties else None,
                "minutes": [minutes_json(db, actor, m) for m in minutes if m.room_id == r.id],
                "passages": [
                    {
                        "id": str(p.id),
                        "text": p.text,
                        "attribution": p.attribution,
                        "carried_at": jsonable(p.carried_at),
                    }
                    for p in passages
                    if p.room_id == r.id
                ],
            }
            for r in rooms
        ],
        "joint_minutes": [minutes_json(db, actor, m) for m in minutes if m.room_id is None],
        "carries": [
            {
                "id": str(c.id),
                "text": c.text,
                "attribution": str(c.attribution),
                "source_type": c.source_type,
                "source_id": str(c.source_id),
                "source_room": room_names.get(c.source_room_id) if c.source_room_id else None,
                "source_party": parties[c.source_party_id].key
                if c.source_party_id in parties
                else None,
                "target_room": room_names.get(c.target_room_id),
                "carried_at": jsonable(c.carried_at),
            }
            for c in carries
        ],
        "statements": [
            {
                "id": str(s.id),
                "key": s.key,
                "title": s.title,
                "kind": str(s.kind),
                "status": str(s.status),
            }
            for s in statements
        ],
    }


# ---------------------------------------------------------------- joint statements


def _signature_rows(db: Session, actor: Actor, statement: Statement) -> list[Signature]:
    return list(
        db.scalars(
            scoped(actor, Signature, statement.process_id)
            .where(Signature.object_type == "statement", Signature.object_id == statement.id)
            .order_by(Signature.signed_at)
        )
    )


def joint_statement_page(
    db: Session, actor: Actor, process: Process, statement_id: Any
) -> dict[str, Any]:
    statement = get_visible_in(db, actor, Statement, process.id, statement_id)
    if statement.kind != StatementKind.JOINT:
        raise NotFound("statement")
    parties = parties_of(db, process.id)
    good = {s.id for s in valid_signatures(db, actor, statement)}
    rows = _signature_rows(db, actor, statement)
    keys = {
        k.id: k
        for k in db.scalars(
            sa.select(SigningKey).where(SigningKey.id.in_([r.key_id for r in rows]))
        )
    }
    signatories = signatories_of(db, statement)
    mine = actor_party_id(actor, process.id)
    my_row = next((s for s in signatories if s.party_id == mine), None)
    current = seal_of(db, statement)
    subject = statement_subject(db, statement)
    signatures = [
        {
            "party": parties[r.party_id].key if r.party_id in parties else None,
            "party_name": parties[r.party_id].name if r.party_id in parties else None,
            "public_key": keys[r.key_id].public_key if r.key_id in keys else "",
            "signature": r.signature,
            "content_hash": r.content_hash,
            "signed_at": jsonable(r.signed_at),
            "valid": r.id in good,
            "current": r.content_hash == current,
        }
        for r in rows
    ]
    all_signed = all(
        s.approved_hash == current
        and any(x["valid"] and x["party"] == parties[s.party_id].key for x in signatures)
        for s in signatories
        if s.party_id in parties
    )
    draft = statement.status == StatementStatus.DRAFT
    return {
        "id": str(statement.id),
        "key": statement.key,
        "title": statement.title,
        "text": statement.text,
        "text_hash": statement.text_hash,
        "seal": current,
        "provisions": provision_refs(db, statement),
        "made_on": jsonable(statement.made_on),
        "place": statement.place,
        "status": str(statement.status),
        "space": statement.space,
        "signatories": [
            {
                "party": parties[s.party_id].key,
                "name": parties[s.party_id].name,
                "approved": s.approved_hash == current,
                "approved_at": jsonable(s.approved_at) if s.approved_hash == current else None,
            }
            for s in signatories
            if s.party_id in parties
        ],
        "signatures": signatures,
        "all_signed": all_signed,
        "can_approve": my_row is not None
        and my_row.approved_hash != current
        and permits(actor, "joint-statement", "approve", subject),
        "can_revise": permits(actor, "joint-statement", "revise", subject),
        "can_publish": draft
        and all_signed
        and permits(actor, "joint-statement", "publish", subject),
    }


def statement_file(page: dict[str, Any], process: Process) -> dict[str, Any]:
    """The offline-verifiable ``parley-statement`` file of a joint statement page."""
    return {
        "format": STATEMENT_FORMAT,
        "version": STATEMENT_FORMAT_VERSION,
        "process": process.key,
        "statement": {
            k: page[k]
            for k in (
                "id",
                "key",
                "title",
                "text",
                "text_hash",
                "seal",
                "made_on",
                "place",
                "status",
            )
        },
        "signatories": [s["party"] for s in page["signatories"]],
        "provisions": page["provisions"],
        "signatures": [
            {
                k: s[k]
                for k in (
                    "party",
                    "party_name",
                    "public_key",
                    "signature",
                    "content_hash",
                    "signed_at",
                )
            }
            for s in page["signatures"]
        ],
    }


def joint_statements(db: Session, actor: Actor, process: Process) -> list[dict[str, Any]]:
    rows = db.scalars(
        scoped(actor, Statement, process.id)
        .where(Statement.kind == StatementKind.JOINT)
        .order_by(Statement.made_on, Statement.key)
    ).all()
    parties = parties_of(db, process.id)
    out = []
    for s in rows:
        signatories = signatories_of(db, s)
        seal = seal_of(db, s)
        out.append(
            {
                "id": str(s.id),
                "key": s.key,
                "title": s.title,
                "status": str(s.status),
                "made_on": jsonable(s.made_on),
                "space": s.space,
                "approved": sorted(
                    parties[x.party_id].key
                    for x in signatories
                    if x.approved_hash == seal and x.party_id in parties
                ),
                "waiting_for": sorted(
                    parties[x.party_id].key
                    for x in signatories
                    if x.approved_hash != seal and x.party_id in parties
                ),
            }
        )
    return out


# ---------------------------------------------------------------- calendar


def calendar_events(
    db: Session, actor: Actor, process: Process, base_url: str = ""
) -> list[CalendarEvent]:
    """Sessions and dated milestones (deadlines) the actor can see, oldest first."""
    events = []
    for talk in db.scalars(scoped(actor, Meeting, process.id).order_by(Meeting.starts_at)):
        details = [f"Format: {talk.format}", f"Status: {talk.status}"]
        if talk.timezone != "UTC":
            details.append(f"Local time: {_local(talk.starts_at, talk.timezone)}")
        if talk.outcome:
            details.append(f"Outcome: {talk.outcome}")
        events.append(
            CalendarEvent(
                uid=f"session-{talk.id}@parley",
                summary=talk.title,
                start=talk.starts_at,
                end=talk.ends_at,
                location=talk.place,
                description="\n".join(details),
                status="TENTATIVE" if talk.status == MeetingStatus.PLANNED else "CONFIRMED",
                url=f"{base_url}/p/{process.key}/meetings/{talk.id}" if base_url else "",
                categories=("session", str(talk.format)),
            )
        )
    for milestone in db.scalars(
        scoped(actor, Milestone, process.id)
        .where(Milestone.on_date.is_not(None))
        .order_by(Milestone.on_date)
    ):
        assert milestone.on_date is not None
        events.append(
            CalendarEvent(
                uid=f"milestone-{milestone.id}@parley",
                summary=milestone.title,
                start=milestone.on_date,
                description="Deadline or dated milestone of the implementation plan.",
                url=f"{base_url}/p/{process.key}/milestones/{milestone.id}" if base_url else "",
                categories=("deadline",),
            )
        )
    return events


# ---------------------------------------------------------------- changes since the last visit

NOTIFY = {
    "session:create": "Session scheduled",
    "session:schedule": "Session scheduled",
    "session:status": "Session status changed",
    "session:minutes:circulate": "Minutes circulated for approval",
    "session:minutes:amend": "Minutes amended",
    "session:minutes:freeze": "Minutes approved and frozen",
    "session:carry:receive": "Passage carried into a room",
    "statement:create": "Statement recorded",
    "statement:joint:draft": "Joint statement drafted",
    "statement:joint:revise": "Joint statement revised (earlier approvals void)",
    "statement:joint:sign": "Joint statement approved and signed",
    "statement:publish": "Statement published",
}


def last_visit(db: Session, user_id: uuid.UUID, process: Process) -> datetime | None:
    return db.scalar(
        sa.select(LastVisit.seen_at).where(
            LastVisit.user_id == user_id, LastVisit.process_id == process.id
        )
    )


def _event_links(
    db: Session, actor: Actor, process: Process, events: list[AuditEvent]
) -> dict[str, str]:
    """Where each event's object is shown, for objects the actor can still see."""
    ids: dict[str, set[uuid.UUID]] = {}
    for e in events:
        try:
            ids.setdefault(e.object_type, set()).add(uuid.UUID(e.object_id))
        except ValueError:
            continue
    links: dict[str, str] = {}
    base = f"/p/{process.key}"
    for talk in db.scalars(
        scoped(actor, Meeting, process.id).where(Meeting.id.in_(ids.get("sessions", set())))
    ):
        links[str(talk.id)] = f"{base}/meetings/{talk.id}"
    for m in db.scalars(
        scoped(actor, Minutes, process.id).where(Minutes.id.in_(ids.get("minutes", set())))
    ):
        links[str(m.id)] = f"{base}/meetings/{m.session_id}"
    for p in db.scalars(
        scoped(actor, CarriedPassage, process.id).where(
            CarriedPassage.id.in_(ids.get("carried_passages", set()))
        )
    ):
        links[str(p.id)] = f"{base}/meetings/{p.session_id}"
    for s in db.scalars(
        scoped(actor, Statement, process.id).where(Statement.id.in_(ids.get("statements", set())))
    ):
        kind = "joint-statements" if s.kind == StatementKind.JOINT else "statements"
        links[str(s.id)] = f"{base}/{kind}/{s.id}"
    for sig in db.scalars(
        scoped(actor, Signature, process.id).where(Signature.id.in_(ids.get("signatures", set())))
    ):
        links[str(sig.id)] = f"{base}/joint-statements/{sig.object_id}"
    return links


def changes(db: Session, actor: Actor, process: Process, limit: int = 100) -> dict[str, Any]:
    """What changed since the user's last visit in the spaces it can see, and what waits for it.

    Changes come from the audit events the actor may read (so a change in a space it cannot see
    never shows, not even as a count); its own actions are left out.
    """
    assert actor.user_id is not None
    seen = last_visit(db, actor.user_id, process)
    query = sa.select(AuditEvent).where(
        AuditEvent.process_id == process.id,
        visible(actor, AuditEvent),
        AuditEvent.action.in_(list(NOTIFY)),
        sa.or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != actor.user_id),
    )
    if seen is not None:
        query = query.where(AuditEvent.at > seen)
    events = list(db.scalars(query.order_by(AuditEvent.at.desc()).limit(limit)))
    links = _event_links(db, actor, process, events)
    return {
        "since": jsonable(seen),
        "changes": [
            {
                "at": jsonable(e.at),
                "what": NOTIFY[e.action],
                "action": e.action,
                "by": e.actor_name,
                "space": e.space,
                "url": links.get(e.object_id),
            }
            for e in events
        ],
        "waiting": waiting_for(db, actor, process),
    }


def waiting_for(db: Session, actor: Actor, process: Process) -> list[dict[str, Any]]:
    """Minutes awaiting the actor's delegation's approval and statements awaiting its signature
    (only for a head, who is the one who approves)."""
    party_id = actor_party_id(actor, process.id)
    if party_id is None or actor_role(actor, process.id) != "head":
        return []
    out: list[dict[str, Any]] = []
    open_minutes = db.scalars(
        scoped(actor, Minutes, process.id).where(
            Minutes.status.in_([MinutesStatus.CIRCULATED, MinutesStatus.AMENDED])
        )
    ).all()
    for m in open_minutes:
        data = minutes_json(db, actor, m)
        if data["can_approve"]:
            out.append(
                {
                    "what": "Minutes awaiting your approval",
                    "url": f"/p/{process.key}/meetings/{m.session_id}",
                    "id": str(m.id),
                }
            )
    for s in db.scalars(
        scoped(actor, Statement, process.id).where(Statement.kind == StatementKind.JOINT)
    ):
        mine = [x for x in signatories_of(db, s) if x.party_id == party_id]
        if mine and mine[0].approved_hash != seal_of(db, s):
            out.append(
                {
                    "what": f"Joint statement awaiting your signature: {s.title or s.key}",
                    "url": f"/p/{process.key}/joint-statements/{s.id}",
                    "id": str(s.id),
                }
            )
    return out


def mark_seen(session: Session, *, actor: Actor, process: Process) -> datetime:
    """Remember now as the user's last visit. Not audited: it is the user's reading state, not
    a record of the negotiation."""
    assert actor.user_id is not None
    now = utcnow()
    row = session.scalars(
        sa.select(LastVisit).where(
            LastVisit.user_id == actor.user_id, LastVisit.process_id == process.id
        )
    ).first()
    if row is None:
        session.add(LastVisit(process_id=process.id, user_id=actor.user_id, seen_at=now))
    else:
        row.seen_at = now
    session.flush()
    return now
