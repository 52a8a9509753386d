"""Loading a validated scenario into the database in one transaction, every record audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.auth.models import User
from parley.auth.passwords import hash_password
from parley.authz.actor import Actor
from parley.authz.permissions import Forbidden
from parley.authz.rules import NotInState
from parley.commitments import service as ledger
from parley.commitments.schemas import CommitmentIn, FulfilmentIn
from parley.errors import InputError
from parley.intake.evidence import EvidenceIn
from parley.intake.models import Evidence, Source
from parley.positions.models import (
    Position,
    PositionRevision,
    StickingPoint,
    StickingPointProvision,
)
from parley.processes.models import (
    CoalitionMember,
    Party,
    PartyKind,
    Person,
    PersonTitle,
    Process,
)
from parley.processes.service import set_membership
from parley.scenario.validate import validate
from parley.scenario.yamlfile import YamlError, load_with_lines
from parley.sequencing import service as sequencing
from parley.sequencing.models import Step, StepParty, StepProvision
from parley.sessions.models import (
    Meeting,
)
from parley.textguard import require_visible_text
from parley.texts.canonical import content_hash
from parley.texts.models import (
    Amendment,
    Bracket,
    BracketOption,
    Document,
    Lineage,
    OptionSupport,
    Provision,
    ProvisionText,
    SupportKind,
    Version,
    VersionParent,
)
from parley.texts.plain import PlainProvision
from parley.texts.service import require_visible_version


def read_scenario(path: Path) -> dict[str, Any]:
    """Read and validate a scenario file; raise ScenarioError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes().count(b"\n", 0, exc.start) + 1
        raise YamlError(f"{path}: not UTF-8 text (byte {exc.start}, line {line})") from None
    data, lines = load_with_lines(text, str(path))
    validate(data, lines, str(path))
    _read_language_texts(data, path)
    return data


def _read_language_texts(data: dict[str, Any], path: Path) -> None:
    """Replace each version's ``texts`` file names (relative to the scenario) by their text."""
    problems = []
    for dspec in data.get("documents", []):
        for vspec in dspec.get("versions", []):
            for lang, name in (vspec.get("texts") or {}).items():
                file = path.parent / name
                try:
                    vspec["texts"][lang] = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    problems.append(
                        f"{path}: documents {dspec['key']} version {vspec['label']} texts.{lang}: "
                        f"cannot read {name}: {exc}"
                    )
    if problems:
        raise YamlError("\n".join(problems))


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class _Loader:
    def __init__(self, session: Session, actor: Actor, data: dict[str, Any]) -> None:
        self.s = session
        self.actor = actor
        self.data = data
        self.party: dict[str, Party] = {}
        self.person: dict[str, Person] = {}
        self.document: dict[str, Document] = {}
        self.version: dict[tuple[str, str], Version] = {}
        self.provision: dict[str, Provision] = {}  # "doc/wid"
        self.option: dict[tuple[str, str], BracketOption] = {}
        self.meeting: dict[str, Meeting] = {}
        self.step: dict[str, Step] = {}
        self.source: dict[str, Source] = {}

    def add(self, obj: Any, action: str, space: str | None = None) -> Any:
        return audited_add(self.s, obj, actor=self.actor, action=action, space=space)

    def run(self) -> Process:
        data = self.data
        spec = data["process"]
        process = self.add(
            Process(
                key=spec["key"],
                title=spec["title"],
                status=spec.get("status", "active"),
                start_date=_d(spec.get("start_date")),
                published=bool(spec.get("published", False)),
                description=spec.get("description", ""),
                time_zone=spec.get("time_zone") or "UTC",
            ),
            "process:create",
        )
        self.pid: uuid.UUID = process.id
        self.process = process
        self._parties()
        self._people()
        self._users()
        self._sources()
        self._documents()
        self._amendments()
        self._positions()
        self._sticking_points()
        self._milestones()
        self._meetings()
        self._statements()
        self._steps()
        self._commitments()
        self._constraints()
        self._status_claims()
        return process

    def _parties(self) -> None:
        for spec in self.data["parties"]:
            self.party[spec["key"]] = self.add(
                Party(
                    process_id=self.pid,
                    key=spec["key"],
                    name=spec["name"],
                    kind=spec["kind"],
                    aliases=list(spec.get("aliases", [])),
                    description=spec.get("description", ""),
                    space=spec.get("space", "public"),
                ),
                "process:party:create",
            )
        for spec in self.data["parties"]:
            for member in spec.get("members", []):
                self.add(
                    CoalitionMember(
                        process_id=self.pid,
                        coalition_id=self.party[spec["key"]].id,
                        member_id=self.party[member].id,
                    ),
                    "process:coalition:add",
                    space="public",
                )

    def _people(self) -> None:
        for spec in self.data.get("people", []):
            person = self.add(
                Person(
                    process_id=self.pid,
                    key=spec["key"],
                    name=spec["name"],
                    aliases=list(spec.get("aliases", [])),
                    party_id=self.party[spec["party"]].id if spec.get("party") else None,
                    affiliation=spec.get("affiliation", ""),
                    space=spec.get("space", "public"),
                ),
                "process:person:create",
            )
            self.person[spec["key"]] = person
            for title in spec.get("titles", []):
                self.add(
                    PersonTitle(
                        process_id=self.pid,
                        person_id=person.id,
                        title=title["title"],
                        valid_from=_d(title.get("from")),
                        valid_to=_d(title.get("to")),
                    ),
                    "process:person:title",
                    space=person.space,
                )

    def _users(self) -> None:
        for spec in self.data.get("users", []):
            user = self.s.scalars(
                sa.select(User).where(User.username == spec["username"])
            ).one_or_none()
            if user is None:
                user = audited_add(
                    self.s,
                    User(
                        username=spec["username"],
                        display_name=spec.get("display_name", spec["username"]),
                        password_hash=hash_password(spec["password"]),
                        is_operator=bool(spec.get("operator", False)),
                    ),
                    actor=self.actor,
                    action="admin:user:create",
                    space="system",
                )
            # Through the one writer of memberships (the loader's system actor passes its rules).
            set_membership(
                self.s,
                actor=self.actor,
                process_key=self.process.key,
                username=user.username,
                party_key=spec.get("party"),
                role=spec["role"],
                person_id=self.person[spec["person"]].id if spec.get("person") else None,
            )

    def _sources(self) -> None:
        import hashlib

        for spec in self.data.get("sources", []):
            text = spec["text"]
            self.source[spec["key"]] = self.add(
                Source(
                    process_id=self.pid,
                    key=spec["key"],
                    kind=spec.get("kind", "article"),
                    title=spec.get("title", ""),
                    outlet=spec.get("outlet", ""),
                    url=spec.get("url", ""),
                    published_on=_d(spec.get("published")),
                    text=text,
                    content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    space=spec["space"],
                ),
                "intake:source:create",
            )

    def _evidence(self, items: list[dict[str, Any]], obj: Any, object_type: str) -> None:
        for item in items:
            source = self.source[item["source"]]
            start = item.get("start", 0)
            end = item.get("end", len(source.text))
            self.add(
                Evidence(
                    process_id=self.pid,
                    source_id=source.id,
                    start=start,
                    end=end,
                    object_type=object_type,
                    object_id=obj.id,
                    space=obj.space,
                ),
                "intake:evidence:link",
            )

    def _documents(self) -> None:
        for spec in self.data.get("documents", []):
            doc = self.add(
                Document(
                    process_id=self.pid,
                    key=spec["key"],
                    title=spec["title"],
                    kind=spec["kind"],
                    description=spec.get("description", ""),
                    space=spec.get("space", "participants"),
                    languages=",".join(spec.get("languages") or ["en"]),
                    translations=",".join(spec.get("translations") or []),
                ),
                "document:create",
            )
            self.document[spec["key"]] = doc
            for vspec in spec["versions"]:
                self._version(doc, vspec)
            for link in spec.get("lineage", []):
                from_prov = link.get("from_provision")
                to_prov = link.get("to_provision")
                self.add(
                    Lineage(
                        process_id=self.pid,
                        from_version_id=self.version[(doc.key, link["from"])].id,
                        to_version_id=self.version[(doc.key, link["to"])].id,
                        from_provision_id=self._prov(doc, from_prov).id if from_prov else None,
                        to_provision_id=self._prov(doc, to_prov).id if to_prov else None,
                        kind=link["kind"],
                    ),
                    "document:lineage:confirm",
                    space=doc.space,
                )

    def _prov(self, doc: Document, wid: str, space: str | None = None) -> Provision:
        ref = f"{doc.key}/{wid}"
        if ref not in self.provision:
            # Audited in the space of the version that introduces it: a provision that only a
            # party's private draft has must not show up in the document's wider log.
            self.provision[ref] = self.add(
                Provision(process_id=self.pid, document_id=doc.id, wid=wid),
                "document:provision:create",
                space=space or doc.space,
            )
        return self.provision[ref]

    def _language_text(self, doc: Document, version: Version, lang: str, text: str) -> None:
        """The version's text in another language, paired with its provisions (the scenario's
        author has checked the pairings: an uncertain one is accepted)."""
        from parley.texts.service_languages import import_language

        self.s.flush()
        import_language(
            self.s,
            actor=self.actor,
            doc=doc,
            version=version,
            text=text,
            language=lang,
            accept_uncertain=True,
        )

    def _version(self, doc: Document, spec: dict[str, Any]) -> None:
        version = self.add(
            Version(
                process_id=self.pid,
                document_id=doc.id,
                label=spec["label"],
                title=spec.get("title", ""),
                kind=spec["kind"],
                author_party_id=self.party[spec["author"]].id if spec.get("author") else None,
                dated=_d(spec.get("date")),
                space=spec.get("space", doc.space),
            ),
            "document:version:create",
        )
        self.version[(doc.key, spec["label"])] = version
        for parent in spec.get("parents", []):
            self.add(
                VersionParent(
                    process_id=self.pid,
                    version_id=version.id,
                    parent_id=self.version[(doc.key, parent)].id,
                ),
                "document:version:parent",
                space=version.space,
            )
        plain = []
        for ordinal, item in enumerate(spec["provisions"]):
            provision = self._prov(doc, item["id"], version.space)
            parent_wid = item.get("parent")
            self.add(
                ProvisionText(
                    process_id=self.pid,
                    version_id=version.id,
                    provision_id=provision.id,
                    number=str(item["number"]),
                    heading=item.get("heading", ""),
                    text=item["text"],
                    ordinal=ordinal,
                    parent_provision_id=self._prov(doc, parent_wid).id if parent_wid else None,
                ),
                "document:provision:text",
                space=version.space,
            )
            plain.append(
                PlainProvision(
                    wid=item["id"],
                    number=str(item["number"]),
                    heading=item.get("heading") or None,
                    text=item["text"],
                    parent_wid=parent_wid,
                )
            )
        # A loaded text may be frozen and signed like an imported one (parley.textguard).
        where = f"documents[{doc.key}].versions[{spec['label']}]"
        with self._at(where):
            require_visible_version(spec.get("title", ""), plain)
        for bspec in spec.get("brackets", []):
            with self._at(f"{where}.brackets[{bspec['key']}]"):
                for ospec in bspec["options"]:
                    require_visible_text(ospec["text"], field="text")
            bracket = self.add(
                Bracket(
                    process_id=self.pid,
                    key=bspec["key"],
                    version_id=version.id,
                    provision_id=self._prov(doc, bspec["provision"]).id,
                    label=bspec.get("label", ""),
                    space=bspec.get("space", version.space),
                ),
                "document:bracket:create",
            )
            for ospec in bspec["options"]:
                option = self.add(
                    BracketOption(
                        process_id=self.pid,
                        bracket_id=bracket.id,
                        key=ospec["key"],
                        text=ospec["text"],
                        proposer_party_id=(
                            self.party[ospec["proposer"]].id if ospec.get("proposer") else None
                        ),
                    ),
                    "document:bracket:option",
                    space=bracket.space,
                )
                self.option[(bspec["key"], ospec["key"])] = option
                for field, kind in (
                    ("supporters", SupportKind.SUPPORTS),
                    ("objectors", SupportKind.OBJECTS),
                ):
                    for who in ospec.get(field, []):
                        self.add(
                            OptionSupport(
                                process_id=self.pid,
                                option_id=option.id,
                                party_id=self.party[who].id,
                                kind=kind,
                            ),
                            "document:bracket:support",
                            space=bracket.space,
                        )
        for lang, text in (spec.get("texts") or {}).items():
            with self._at(f"documents {doc.key} version {version.label} texts.{lang}"):
                self._language_text(doc, version, lang, text)
        if spec.get("frozen"):
            from parley.texts.service_languages import version_hash

            self.s.flush()
            digest = (
                version_hash(self.s, doc, version) if spec.get("texts") else content_hash(plain)
            )
            audited_update(
                self.s,
                version,
                {"content_hash": digest, "frozen_at": _now()},
                actor=self.actor,
                action="document:version:freeze",
            )

    def _amendments(self) -> None:
        for spec in self.data.get("amendments", []):
            doc = self.document[spec["document"]]
            with self._at(f"amendments[{spec['key']}]"):
                require_visible_text(spec.get("text", ""), field="text")
            self.add(
                Amendment(
                    process_id=self.pid,
                    key=spec["key"],
                    document_id=doc.id,
                    base_version_id=self.version[(doc.key, spec["base"])].id,
                    party_id=self.party[spec["party"]].id,
                    kind=spec["kind"],
                    provision_id=self._prov(doc, spec["provision"]).id
                    if spec.get("provision")
                    else None,
                    after_provision_id=self._prov(doc, spec["after"]).id
                    if spec.get("after")
                    else None,
                    text=spec.get("text", ""),
                    justification=spec.get("justification", ""),
                    status=spec.get("status", "draft"),
                    space=spec["space"],
                ),
                "document:amendment:create",
            )

    def _positions(self) -> None:
        for spec in self.data.get("positions", []):
            option = self.option[(spec["bracket"], spec["option"])] if spec.get("bracket") else None
            position = self.add(
                Position(
                    process_id=self.pid,
                    party_id=self.party[spec["party"]].id,
                    provision_id=self.provision[spec["provision"]].id,
                    option_id=option.id if option else None,
                    stance=spec["stance"],
                    priority=spec.get("priority", 0),
                    utility=spec.get("utility"),
                    fallback_text=spec.get("fallback", ""),
                    reason=spec.get("reason", ""),
                    space=spec["space"],
                ),
                "position:create",
            )
            self.add(
                PositionRevision(
                    process_id=self.pid,
                    position_id=position.id,
                    revision=1,
                    snapshot=position_snapshot(position),
                    space=position.space,
                ),
                "position:revision",
            )

    def _sticking_points(self) -> None:
        for spec in self.data.get("sticking_points", []):
            point = self.add(
                StickingPoint(
                    process_id=self.pid,
                    key=spec["key"],
                    name=spec["name"],
                    description=spec.get("description", ""),
                    is_open=spec.get("open", True),
                    space=spec["space"],
                ),
                "position:sticking-point:create",
            )
            for ref in spec.get("provisions", []):
                self.add(
                    StickingPointProvision(
                        process_id=self.pid,
                        sticking_point_id=point.id,
                        provision_id=self.provision[ref].id,
                    ),
                    "position:sticking-point:link",
                    space=point.space,
                )

    def _milestones(self) -> None:
        for n, spec in enumerate(self.data.get("milestones", [])):
            with self._at(f"milestones[{n}]"):
                sequencing.add_milestone(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    data=sequencing.MilestoneIn(
                        key=spec["key"],
                        title=spec["title"],
                        on_date=_d(spec.get("date")),
                        space=spec.get("space", "participants"),
                    ),
                )

    def _meetings(self) -> None:
        # Through the meeting service, like every other door (the system actor passes its
        # rules; meetings and minutes keep the status the scenario states).
        from parley.sessions.schemas import AgendaIn, MinutesIn, ScheduleIn
        from parley.sessions.service import draft_minutes, open_room, schedule_meeting

        for spec in self.data.get("sessions", []):
            participants = spec.get("participants", {})
            meeting = schedule_meeting(
                self.s,
                actor=self.actor,
                process=self.process,
                data=ScheduleIn(
                    key=spec["key"],
                    title=spec["title"],
                    format=spec["format"],
                    starts_at=_dt(spec["starts_at"]),
                    ends_at=_dt(spec.get("ends_at")),
                    timezone=spec.get("timezone", "UTC"),
                    place=spec.get("place", ""),
                    outcome=spec.get("outcome", ""),
                    space=spec["space"],
                    parties=participants.get("parties", []),
                    people=participants.get("people", []),
                    agenda=[
                        AgendaIn(
                            title=item["title"],
                            document=item.get("document"),
                            provision=item.get("provision"),
                        )
                        for item in spec.get("agenda", [])
                    ],
                ),
                status=spec.get("status", "planned"),
                rooms=False,
            )
            self.meeting[spec["key"]] = meeting
            for rspec in spec.get("rooms", []):
                party_key = rspec.get("party")
                room = open_room(
                    self.s,
                    actor=self.actor,
                    meeting=meeting,
                    party=self.party[party_key] if party_key else None,
                    name=rspec.get("name"),
                )
                if rspec.get("minutes"):
                    draft_minutes(
                        self.s,
                        actor=self.actor,
                        process=self.process,
                        data=MinutesIn(
                            session_id=meeting.id, room_id=room.id, text=rspec["minutes"]["text"]
                        ),
                        status=rspec["minutes"].get("status", "draft"),
                    )
            for mspec in spec.get("minutes", []):
                draft_minutes(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    data=MinutesIn(session_id=meeting.id, text=mspec["text"], space=mspec["space"]),
                    status=mspec.get("status", "draft"),
                )

    def _statements(self) -> None:
        # Through the statement service (a statement the scenario records as published stays
        # published; joint ones are then signed in Parley, over what they show).
        from parley.sessions.schemas import JointDraftIn, StatementIn
        from parley.sessions.statements import draft_joint_statement, record_statement

        for spec in self.data.get("statements", []):
            meeting = self.meeting[spec["session"]].id if spec.get("session") else None
            common = {
                "key": spec["key"],
                "title": spec.get("title", ""),
                "text": spec["text"],
                "made_on": _d(spec.get("date")),
                "place": spec.get("place", ""),
                "session_id": meeting,
                "space": spec["space"],
            }
            status = spec.get("status", "published")
            if spec["kind"] == "joint":
                statement = draft_joint_statement(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    data=JointDraftIn(
                        **common,
                        signatories=spec.get("signatories", []),
                        provisions=spec.get("provisions", []),
                    ),
                    people=spec.get("speakers", []),
                    status=status,
                )
            else:
                statement = record_statement(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    data=StatementIn(
                        **common,
                        kind=spec["kind"],
                        parties=spec.get("parties", []),
                        provisions=spec.get("provisions", []),
                    ),
                    people=spec.get("speakers", []),
                    status=status,
                )
            self._evidence(spec.get("evidence", []), statement, "statements")

    def _steps(self) -> None:
        for n, spec in enumerate(self.data.get("steps", [])):
            low, high = (spec.get("duration") or [None, None])[:2]
            with self._at(f"steps[{n}]"):
                step = sequencing.add_step(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    data=sequencing.StepIn(
                        key=spec["key"],
                        title=spec["title"],
                        kind=spec.get("kind", ""),
                        min_days=low,
                        max_days=high,
                        description=spec.get("description", ""),
                        space=spec["space"],
                    ),
                )
            self.step[spec["key"]] = step
            for key in spec.get("parties", []):
                self.add(
                    StepParty(process_id=self.pid, step_id=step.id, party_id=self.party[key].id),
                    "sequencing:step:party",
                    space=step.space,
                )
            for ref in spec.get("provisions", []):
                self.add(
                    StepProvision(
                        process_id=self.pid, step_id=step.id, provision_id=self.provision[ref].id
                    ),
                    "sequencing:step:provision",
                    space=step.space,
                )

    def _commitments(self) -> None:
        for n, spec in enumerate(self.data.get("commitments", [])):
            period = spec.get("period", {})
            amount = spec.get("amount")
            with self._at(f"commitments[{n}]"):
                commitment = ledger.record_commitment(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    data=CommitmentIn(
                        key=spec["key"],
                        kind=spec["kind"],
                        title=spec["title"],
                        donor=spec.get("donor"),
                        recipient=spec.get("recipient"),
                        amount=Decimal(str(amount)) if amount is not None else None,
                        currency=spec.get("currency"),
                        period_start=_d(period.get("from")),
                        period_end=_d(period.get("to")),
                        period_text=period.get("text", ""),
                        obligation_text=spec.get("obligation", ""),
                        conditions=spec.get("conditions", ""),
                        space=spec["space"],
                    ),
                )
            for m, event in enumerate(spec.get("events", [])):
                event_amount = event.get("amount")
                rate = event.get("rate")
                with self._at(f"commitments[{n}].events[{m}]"):
                    ledger.record_event(
                        self.s,
                        actor=self.actor,
                        process=self.process,
                        data=FulfilmentIn(
                            commitment_id=commitment.id,
                            kind=event["kind"],
                            amount=Decimal(str(event_amount)) if event_amount is not None else None,
                            currency=event.get("currency"),
                            occurred_on=_d(event["date"]),
                            note=event.get("note", ""),
                            overrun_reason=event.get("overrun_reason", ""),
                            rate=Decimal(str(rate)) if rate is not None else None,
                            rate_on=_d(event.get("rate_on")),
                            rate_source=event.get("rate_source", ""),
                            evidence=[_evidence_in(e) for e in event.get("evidence", [])],
                        ),
                    )
            for ref in spec.get("provisions", []):
                ledger.link_by_ids(
                    self.s,
                    actor=self.actor,
                    commitment=commitment,
                    provision_id=self.provision[ref].id,
                )
            for key in spec.get("steps", []):
                ledger.link_by_ids(
                    self.s, actor=self.actor, commitment=commitment, step_id=self.step[key].id
                )
            self._evidence(spec.get("evidence", []), commitment, "commitments")

    def _constraints(self) -> None:
        for n, spec in enumerate(self.data.get("constraints", [])):
            with self._at(f"constraints[{n}]"):
                sequencing.add_constraint(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    data=sequencing.ConstraintIn.model_validate(
                        {
                            "key": spec["key"],
                            "from": spec["from"],
                            "to": spec["to"],
                            "min": spec.get("min"),
                            "max": spec.get("max"),
                            "explanation": spec.get("explanation", ""),
                            "space": spec["space"],
                        }
                    ),
                )

    def _status_claims(self) -> None:
        for n, spec in enumerate(self.data.get("status_claims", [])):
            with self._at(f"status_claims[{n}]"):
                sequencing.record_claim(
                    self.s,
                    actor=self.actor,
                    process=self.process,
                    party_id=self.party[spec["party"]].id if spec.get("party") else None,
                    data=sequencing.StatusClaimIn(
                        step_id=self.step[spec["step"]].id if spec.get("step") else None,
                        provision_id=self.provision[spec["provision"]].id
                        if spec.get("provision")
                        else None,
                        neutral=bool(spec.get("neutral", False)),
                        status=spec["status"],
                        level=spec.get("level"),
                        claimed_on=_d(spec["date"]),
                        note=spec.get("note", ""),
                        space=spec["space"],
                        evidence=[_evidence_in(e) for e in spec.get("evidence", [])],
                    ),
                )

    @contextmanager
    def _at(self, where: str) -> Iterator[None]:
        """Name the scenario entry a service refused (``steps[3]: min_days: ...``)."""
        try:
            yield
        except (InputError, ValidationError, NotInState, Forbidden) as exc:
            raise ScenarioRefused(f"{where}: {exc}") from None


def _evidence_in(item: dict[str, Any]) -> EvidenceIn:
    return EvidenceIn(
        source=item["source"], quote=item.get("quote"), start=item.get("start"), end=item.get("end")
    )


def _now() -> datetime:
    from parley.db.base import utcnow

    return utcnow()


def position_snapshot(position: Position) -> dict[str, Any]:
    return {
        "stance": str(position.stance),
        "priority": position.priority,
        "utility": position.utility,
        "fallback_text": position.fallback_text,
        "reason": position.reason,
        "space": position.space,
    }


class ScenarioRefused(ValueError):
    """A scenario that validates but that a service refuses, naming the entry and field."""


class ProcessExists(ScenarioRefused):
    pass


def load_scenario(session: Session, data: dict[str, Any], *, actor: Actor) -> Process:
    """Create a whole process from validated scenario data, inside the caller's transaction."""
    key = data["process"]["key"]
    if session.scalars(sa.select(Process.id).where(Process.key == key)).first() is not None:
        raise ProcessExists(f"process.key: a process {key!r} already exists in this database")
    return _Loader(session, actor, data).run()


__all__ = ["PartyKind", "ProcessExists", "ScenarioRefused", "load_scenario", "read_scenario"]
