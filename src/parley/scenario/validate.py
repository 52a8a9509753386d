"""Validating a scenario: the JSON Schema first, then every reference, date and space.

Every problem is collected (never only the first), each with its path and line, e.g.
``documents[0].versions[1].provisions[3].text: required (line 88)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema

from parley.authz.spaces import SpaceError, parse_space
from parley.scenario.yamlfile import Path, format_path


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (line {self.line})"


class ScenarioError(ValueError):
    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = sorted(problems)
        super().__init__(
            f"{filename}: {len(problems)} problem(s)\n" + "\n".join(f"  {p}" for p in self.problems)
        )


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((files("parley.scenario") / "schema.json").read_text())
    return loaded


class _Collector:
    def __init__(self, lines: dict[Path, int]) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def line_of(self, path: Path) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def add(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.line_of(path), format_path(path), message))

    def unique(self, items: Iterable[tuple[Path, Any]], what: str = "key") -> set[Any]:
        """Report repeated keys; return the set of keys seen."""
        seen: set[Any] = set()
        for path, key in items:
            if key is None:
                continue
            if key in seen:
                self.add(path, f"duplicate {what} {key!r}")
            seen.add(key)
        return seen


def _schema_problems(data: Any, out: _Collector) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    for error in validator.iter_errors(data):
        path: Path = tuple(error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1]
            out.problems.append(
                Problem(out.line_of(path), format_path(path + (missing,)), "required")
            )
        elif error.validator == "additionalProperties":
            extras = ", ".join(
                sorted(set(error.instance) - set(error.schema.get("properties", {})))
            )
            out.add(path, f"unknown field(s): {extras}")
        elif error.validator == "enum":
            allowed = ", ".join(map(str, error.validator_value))
            out.add(path, f"{error.instance!r} is not one of: {allowed}")
        elif error.validator == "type":
            out.add(path, f"must be {error.validator_value}, not {type(error.instance).__name__}")
        else:
            out.add(path, error.message)


def _check_date(value: Any, path: Path, out: _Collector, *, with_time: bool = False) -> None:
    if value is None:
        return
    try:
        if with_time:
            parsed = datetime.fromisoformat(str(value))
            if parsed.tzinfo is None:
                out.add(path, f"{value!r} needs a time zone offset, e.g. 2025-12-22T10:00:00-05:00")
        else:
            date.fromisoformat(str(value))
    except ValueError:
        expected = "a date-time like 2025-12-22T10:00:00-05:00" if with_time else "YYYY-MM-DD"
        out.add(path, f"{value!r} is not a valid date; expected {expected}")


def _check_time_zone(value: Any, path: Path, out: _Collector) -> None:
    if value is None:
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        out.add(path, f"{value!r} is not a time zone; expected a name like America/New_York")


def _list(data: dict[str, Any], name: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(name) or []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def validate(data: Any, lines: dict[Path, int], filename: str) -> None:
    """Raise :class:`ScenarioError` listing every problem; return quietly when all is well."""
    out = _Collector(lines)
    if not isinstance(data, dict):
        raise ScenarioError(filename, [Problem(1, "(top level)", "must be a mapping")])
    _schema_problems(data, out)
    try:
        _semantic_problems(data, out)
    except (AttributeError, TypeError, KeyError):
        # Wrongly shaped input (a string where a mapping belongs) breaks the reference checks;
        # the schema has already named each such place, so those problems are reported.
        if not out.problems:
            raise
    if out.problems:
        raise ScenarioError(filename, out.problems)


def _semantic_problems(data: dict[str, Any], out: _Collector) -> None:  # noqa: C901
    parties = _list(data, "parties")
    mediators = {p.get("key") for _, p in parties if p.get("kind") == "mediator"}
    party_keys = out.unique(((("parties", i, "key")), p.get("key")) for i, p in parties)

    def party_ref(path: Path, key: Any) -> None:
        if key is not None and key not in party_keys:
            out.add(path, f"unknown party {key!r}")

    def space_ref(path: Path, value: Any) -> None:
        if value is None:
            return
        try:
            parse_space(str(value), party_keys)
        except SpaceError as exc:
            out.add(path, str(exc))

    process = data.get("process") or {}
    _check_date(process.get("start_date"), ("process", "start_date"), out)
    _check_time_zone(process.get("time_zone"), ("process", "time_zone"), out)

    for i, party in parties:
        space_ref(("parties", i, "space"), party.get("space"))
        for j, member in enumerate(party.get("members") or []):
            party_ref(("parties", i, "members", j), member)
            if member == party.get("key"):
                out.add(("parties", i, "members", j), "a coalition cannot contain itself")

    people = _list(data, "people")
    people_keys = out.unique((("people", i, "key"), p.get("key")) for i, p in people)
    for i, person in people:
        party_ref(("people", i, "party"), person.get("party"))
        space_ref(("people", i, "space"), person.get("space"))
        for j, title in enumerate(person.get("titles") or []):
            _check_date(title.get("from"), ("people", i, "titles", j, "from"), out)
            _check_date(title.get("to"), ("people", i, "titles", j, "to"), out)

    def person_ref(path: Path, key: Any) -> None:
        if key is not None and key not in people_keys:
            out.add(path, f"unknown person {key!r}")

    users = _list(data, "users")
    out.unique((("users", i, "username"), u.get("username")) for i, u in users)
    for i, user in users:
        role, party_key = user.get("role"), user.get("party")
        party_ref(("users", i, "party"), party_key)
        person_ref(("users", i, "person"), user.get("person"))
        if role == "observer" and party_key is not None:
            out.add(("users", i, "party"), "an observer belongs to no delegation")
        if role not in (None, "observer") and party_key is None:
            out.add(("users", i, "party"), f"required for role {role!r}")

    # Documents, versions, provisions, brackets: collect ids for later references.
    documents = _list(data, "documents")
    doc_keys = out.unique((("documents", i, "key"), d.get("key")) for i, d in documents)
    provisions: dict[Any, set[str]] = {}
    versions: dict[Any, set[str]] = {}
    bracket_options: dict[str, set[str]] = {}
    bracket_provision: dict[str, str] = {}
    bracket_paths: list[tuple[Path, Any]] = []
    for i, doc in documents:
        dkey = doc.get("key")
        space_ref(("documents", i, "space"), doc.get("space"))
        doc_versions = [
            (j, v) for j, v in enumerate(doc.get("versions") or []) if isinstance(v, dict)
        ]
        labels = out.unique(
            (("documents", i, "versions", j, "label"), v.get("label")) for j, v in doc_versions
        )
        versions[dkey] = labels
        provisions[dkey] = set()
        seen_labels: set[Any] = set()
        for j, version in doc_versions:
            vpath: Path = ("documents", i, "versions", j)
            party_ref(vpath + ("author",), version.get("author"))
            space_ref(vpath + ("space",), version.get("space"))
            _check_date(version.get("date"), vpath + ("date",), out)
            for k, parent in enumerate(version.get("parents") or []):
                if parent not in seen_labels:
                    out.add(vpath + ("parents", k), f"unknown earlier version {parent!r}")
            seen_labels.add(version.get("label"))
            items = [p for p in version.get("provisions") or [] if isinstance(p, dict)]
            wids = out.unique(
                ((vpath + ("provisions", k, "id")), p.get("id")) for k, p in enumerate(items)
            )
            out.unique(
                ((vpath + ("provisions", k, "number")), p.get("number"))
                for k, p in enumerate(items)
            )
            for k, item in enumerate(items):
                parent = item.get("parent")
                if parent is not None and parent not in wids:
                    out.add(vpath + ("provisions", k, "parent"), f"unknown provision {parent!r}")
            provisions[dkey] |= {str(w) for w in wids}
            for k, bracket in enumerate(version.get("brackets") or []):
                bpath = vpath + ("brackets", k)
                bracket_paths.append((bpath + ("key",), bracket.get("key")))
                space_ref(bpath + ("space",), bracket.get("space"))
                if bracket.get("provision") not in wids:
                    out.add(
                        bpath + ("provision",), f"unknown provision {bracket.get('provision')!r}"
                    )
                options = bracket.get("options") or []
                keys = out.unique(
                    ((bpath + ("options", m, "key")), o.get("key")) for m, o in enumerate(options)
                )
                bracket_options[bracket.get("key")] = {str(key) for key in keys}
                bracket_provision[bracket.get("key")] = f"{dkey}/{bracket.get('provision')}"
                for m, option in enumerate(options):
                    party_ref(bpath + ("options", m, "proposer"), option.get("proposer"))
                    for field in ("supporters", "objectors"):
                        for n, who in enumerate(option.get(field) or []):
                            party_ref(bpath + ("options", m, field, n), who)
        for j, link in enumerate(doc.get("lineage") or []):
            for end in ("from", "to"):
                if link.get(end) not in labels:
                    out.add(
                        ("documents", i, "lineage", j, end), f"unknown version {link.get(end)!r}"
                    )
    out.unique(bracket_paths)

    def provision_ref(path: Path, ref: Any) -> None:
        if ref is None:
            return
        doc_key, _, wid = str(ref).partition("/")
        if doc_key not in doc_keys:
            out.add(path, f"unknown document {doc_key!r} in {ref!r}")
        elif wid not in provisions.get(doc_key, set()):
            out.add(path, f"unknown provision {wid!r} in document {doc_key!r}")

    def doc_ref(path: Path, key: Any) -> None:
        if key is not None and key not in doc_keys:
            out.add(path, f"unknown document {key!r}")

    for i, amendment in _list(data, "amendments"):
        apath: Path = ("amendments", i)
        doc_ref(apath + ("document",), amendment.get("document"))
        party_ref(apath + ("party",), amendment.get("party"))
        space_ref(apath + ("space",), amendment.get("space"))
        doc_key = amendment.get("document")
        if doc_key in versions and amendment.get("base") not in versions[doc_key]:
            out.add(apath + ("base",), f"unknown version {amendment.get('base')!r} of {doc_key!r}")
        for field in ("provision", "after"):
            wid = amendment.get(field)
            if doc_key in provisions and wid is not None and wid not in provisions[doc_key]:
                out.add(apath + (field,), f"unknown provision {wid!r} in document {doc_key!r}")
    out.unique((("amendments", i, "key"), a.get("key")) for i, a in _list(data, "amendments"))

    for i, position in _list(data, "positions"):
        ppath: Path = ("positions", i)
        party_ref(ppath + ("party",), position.get("party"))
        space_ref(ppath + ("space",), position.get("space"))
        provision_ref(ppath + ("provision",), position.get("provision"))
        bracket, option = position.get("bracket"), position.get("option")
        if option is not None and bracket is None:
            out.add(ppath + ("bracket",), "required when an option is given")
        if bracket is not None:
            if bracket not in bracket_options:
                out.add(ppath + ("bracket",), f"unknown bracket {bracket!r}")
            else:
                if option not in bracket_options[bracket]:
                    out.add(
                        ppath + ("option",), f"unknown option {option!r} of bracket {bracket!r}"
                    )
                if bracket_provision[bracket] != position.get("provision"):
                    out.add(ppath + ("bracket",), f"bracket {bracket!r} is not on this provision")
        space = str(position.get("space", ""))
        if space == "mediator" and mediators.isdisjoint({position.get("party")}):
            out.add(ppath + ("space",), "only the mediator's own positions live in 'mediator'")
        if (
            position.get("party")
            and space.startswith("party:")
            and not space.startswith(f"party:{position.get('party')}")
        ):
            out.add(ppath + ("space",), "a position can live only in its own party's space")
    # One position per party and provision, or per party and option (the database refuses more).
    identities: list[tuple[Path, str]] = [
        (
            ("positions", i),
            f"{p.get('party')} on {p.get('provision')}"
            + (f" option {p.get('bracket')}/{p.get('option')}" if p.get("option") else ""),
        )
        for i, p in _list(data, "positions")
        if p.get("party") is not None and p.get("provision") is not None
    ]
    out.unique(identities, what="position")

    for i, point in _list(data, "sticking_points"):
        space_ref(("sticking_points", i, "space"), point.get("space"))
        for j, ref in enumerate(point.get("provisions") or []):
            provision_ref(("sticking_points", i, "provisions", j), ref)
    out.unique(
        (("sticking_points", i, "key"), s.get("key")) for i, s in _list(data, "sticking_points")
    )

    milestones = _list(data, "milestones")
    milestone_keys = out.unique((("milestones", i, "key"), m.get("key")) for i, m in milestones)
    for i, milestone in milestones:
        _check_date(milestone.get("date"), ("milestones", i, "date"), out)
        space_ref(("milestones", i, "space"), milestone.get("space"))

    sessions = _list(data, "sessions")
    session_keys = out.unique((("sessions", i, "key"), s.get("key")) for i, s in sessions)
    for i, session in sessions:
        spath: Path = ("sessions", i)
        space_ref(spath + ("space",), session.get("space"))
        _check_date(session.get("starts_at"), spath + ("starts_at",), out, with_time=True)
        _check_date(session.get("ends_at"), spath + ("ends_at",), out, with_time=True)
        participants = session.get("participants") or {}
        for j, party in enumerate(participants.get("parties") or []):
            party_ref(spath + ("participants", "parties", j), party)
        for j, person in enumerate(participants.get("people") or []):
            person_ref(spath + ("participants", "people", j), person)
        for j, item in enumerate(session.get("agenda") or []):
            doc_ref(spath + ("agenda", j, "document"), item.get("document"))
            provision_ref(spath + ("agenda", j, "provision"), item.get("provision"))
        for j, room in enumerate(session.get("rooms") or []):
            party_ref(spath + ("rooms", j, "party"), room.get("party"))
        for j, minutes in enumerate(session.get("minutes") or []):
            space_ref(spath + ("minutes", j, "space"), minutes.get("space"))

    sources = _list(data, "sources")
    source_text = {s.get("key"): str(s.get("text", "")) for _, s in sources}
    out.unique((("sources", i, "key"), s.get("key")) for i, s in sources)
    for i, source in sources:
        _check_date(source.get("published"), ("sources", i, "published"), out)
        space_ref(("sources", i, "space"), source.get("space"))

    def evidence_refs(path: Path, items: Any) -> None:
        for j, item in enumerate(items or []):
            epath = path + (j,)
            key = item.get("source")
            if key not in source_text:
                out.add(epath + ("source",), f"unknown source {key!r}")
                continue
            text = source_text[key]
            start, end = item.get("start"), item.get("end")
            if start is None or end is None:
                continue
            if not 0 <= start < end <= len(text):
                out.add(epath, f"span {start}–{end} is outside the source ({len(text)} characters)")
            elif item.get("quote") is not None and text[start:end] != item["quote"]:
                out.add(epath + ("quote",), f"does not match the source at {start}–{end}")

    for i, statement in _list(data, "statements"):
        stpath: Path = ("statements", i)
        space_ref(stpath + ("space",), statement.get("space"))
        _check_date(statement.get("date"), stpath + ("date",), out)
        if statement.get("session") is not None and statement["session"] not in session_keys:
            out.add(stpath + ("session",), f"unknown session {statement['session']!r}")
        for j, person in enumerate(statement.get("speakers") or []):
            person_ref(stpath + ("speakers", j), person)
        for field in ("parties", "signatories"):
            for j, party in enumerate(statement.get(field) or []):
                party_ref(stpath + (field, j), party)
        for j, ref in enumerate(statement.get("provisions") or []):
            provision_ref(stpath + ("provisions", j), ref)
        if statement.get("kind") == "joint" and not statement.get("signatories"):
            out.add(stpath + ("signatories",), "required for a joint statement")
        evidence_refs(stpath + ("evidence",), statement.get("evidence"))
    out.unique((("statements", i, "key"), s.get("key")) for i, s in _list(data, "statements"))

    steps = _list(data, "steps")
    step_keys = out.unique((("steps", i, "key"), s.get("key")) for i, s in steps)
    for i, step in steps:
        space_ref(("steps", i, "space"), step.get("space"))
        for j, party in enumerate(step.get("parties") or []):
            party_ref(("steps", i, "parties", j), party)
        for j, ref in enumerate(step.get("provisions") or []):
            provision_ref(("steps", i, "provisions", j), ref)
        duration = step.get("duration")
        if (
            isinstance(duration, list)
            and len(duration) == 2
            and None not in duration
            and duration[0] > duration[1]
        ):
            out.add(
                ("steps", i, "duration"), f"minimum {duration[0]} exceeds maximum {duration[1]}"
            )

    for i, commitment in _list(data, "commitments"):
        cpath: Path = ("commitments", i)
        space_ref(cpath + ("space",), commitment.get("space"))
        party_ref(cpath + ("donor",), commitment.get("donor"))
        party_ref(cpath + ("recipient",), commitment.get("recipient"))
        if commitment.get("amount") is not None and not commitment.get("currency"):
            out.add(cpath + ("currency",), "required when an amount is given")
        period = commitment.get("period") or {}
        _check_date(period.get("from"), cpath + ("period", "from"), out)
        _check_date(period.get("to"), cpath + ("period", "to"), out)
        for j, ref in enumerate(commitment.get("provisions") or []):
            provision_ref(cpath + ("provisions", j), ref)
        for j, key in enumerate(commitment.get("steps") or []):
            if key not in step_keys:
                out.add(cpath + ("steps", j), f"unknown step {key!r}")
        for j, event in enumerate(commitment.get("events") or []):
            _check_date(event.get("date"), cpath + ("events", j, "date"), out)
            if event.get("amount") is not None and not (
                event.get("currency") or commitment.get("currency")
            ):
                out.add(cpath + ("events", j, "currency"), "required when an amount is given")
        evidence_refs(cpath + ("evidence",), commitment.get("evidence"))
    out.unique((("commitments", i, "key"), c.get("key")) for i, c in _list(data, "commitments"))

    def endpoint_ref(path: Path, ref: Any) -> None:
        if ref is None:
            return
        name, dot, end = str(ref).rpartition(".")
        if dot and end in ("start", "end") and name in step_keys:
            return
        if str(ref) in milestone_keys:
            return
        out.add(path, f"unknown event {ref!r}; use a milestone key or STEP.start / STEP.end")

    constraints = _list(data, "constraints")
    out.unique((("constraints", i, "key"), c.get("key")) for i, c in constraints)
    for i, constraint in constraints:
        space_ref(("constraints", i, "space"), constraint.get("space"))
        endpoint_ref(("constraints", i, "from"), constraint.get("from"))
        endpoint_ref(("constraints", i, "to"), constraint.get("to"))
        low, high = constraint.get("min"), constraint.get("max")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            out.add(("constraints", i, "min"), f"min {low} exceeds max {high}")

    for i, claim in _list(data, "status_claims"):
        cpath = ("status_claims", i)
        space_ref(cpath + ("space",), claim.get("space"))
        _check_date(claim.get("date"), cpath + ("date",), out)
        party_ref(cpath + ("party",), claim.get("party"))
        provision_ref(cpath + ("provision",), claim.get("provision"))
        if claim.get("step") is not None and claim["step"] not in step_keys:
            out.add(cpath + ("step",), f"unknown step {claim['step']!r}")
        if (claim.get("step") is None) == (claim.get("provision") is None):
            out.add(cpath, "give exactly one of step or provision")
        if bool(claim.get("neutral")) == (claim.get("party") is not None):
            out.add(cpath, "give exactly one of party or neutral: true")
        evidence_refs(cpath + ("evidence",), claim.get("evidence"))
