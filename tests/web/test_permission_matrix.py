"""The permission matrix: every route of the app × every persona, with the expected answer.

The routes come from ``app.routes``: a route with no row in MATRIX fails the suite, and so does
a row for a route that no longer exists. Path parameters are filled with real records, chosen so
that one party owns them (see the "filled with" column). The same table is in docs/security.md
(a test compares them; run with PARLEY_WRITE_DOCS=1 to rewrite the docs table from this one).

Codes: a number is the status; ``login`` is 303 to /login (HTML pages that need sign-in);
every 404 must carry exactly the body of the same request with made-up ids.

Adding a row: ``Row(method, route template, what fills it, codes(...), url, form=, json=)``.
In ``url`` and bodies, ``{key}`` is the canary process, ``{persona}`` the persona's name (for
keys that must be unique), and ``{<slug>:<key or marker>}`` the id of a canary record (see
``support._refs``, e.g. ``{steps:CANARY-AAA-STEP-KEY}``). All personas run against one
database, aaa-head last: a write that succeeds for another persona must not change what the
others are expected to get.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from web.support import KEY, PERSONA_NAMES, PERSONAS, Canary, route_keys

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "security.md"
BEGIN, END = "<!-- permission-matrix:begin -->", "<!-- permission-matrix:end -->"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Column order of the codes in each row.
COLUMNS = (
    "anonymous",
    "mediator",
    "aaa-head",
    "aaa-viewer",
    "bbb-head",
    "bbb-viewer",
    "observer",
    "operator",
)
assert set(COLUMNS) == set(PERSONA_NAMES)


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the route template, as in app.routes
    fill: str  # what the parameters are filled with (for the docs)
    codes: tuple[str, ...]  # expected answer per persona, in COLUMNS order
    url: str = ""  # the URL requested; {placeholders} come from _values()
    form: dict[str, Any] | None = None  # a list value sends the field several times
    json: dict[str, Any] | None = None

    @property
    def expected(self) -> dict[str, str]:
        return dict(zip(COLUMNS, self.codes, strict=True))


def codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ALL_200 = codes("200 200 200 200 200 200 200 200")
ALL_308 = codes("308 308 308 308 308 308 308 308")
SIGNED_IN_HTML = codes("login 200 200 200 200 200 200 200")
SIGNED_IN_API = codes("401 200 200 200 200 200 200 200")
AAA_ONLY = codes("404 404 200 200 404 404 404 404")


@dataclass(frozen=True)
class RecordKind:
    """How the matrix exercises a kind with create and edit routes (parley.records, sequencing)."""

    create: dict[str, Any]  # JSON body; {persona} makes keys unique per persona
    target: str = ""  # the ref of the AAA record (party:AAA) that edits aim at; "" if not editable
    change: dict[str, Any] = field(default_factory=dict)  # JSON body of an edit
    form: dict[str, Any] | None = None  # form body to create, when its names differ from JSON
    form_change: dict[str, Any] | None = None
    refers: bool = False  # create refers to a participants record (422 for who cannot see it)
    # Who may create or edit, when the rules table gives the kind to fewer than every writer
    # (meetings and joint minutes are the mediator's): the JSON codes; the form's follow.
    create_codes: str = ""
    edit_codes: str = ""
    new_codes: str = "login 200 200 403 200 403 403 403"  # GET .../new: the form to create


def _hash(text: str) -> str:
    from parley.texts.canonical_hash import text_hash

    return text_hash(text)


RECORD_KINDS: dict[str, RecordKind] = {
    "notes": RecordKind(
        {"title": "Matrix note", "space": "participants"},
        "notes:CANARY-AAA-NOTE-TITLE",
        {"text": "edited"},
    ),
    # Meetings are scheduled and moved by their convener, the mediator (parley.authz.rules).
    "sessions": RecordKind(
        {
            "key": "matrix-session-{persona}",
            "title": "Matrix session",
            "format": "call",
            "starts_at": "2026-01-05T10:00:00+00:00",
            "space": "participants",
        },
        "sessions:CANARY-AAA-SESSION-KEY",
        {"place": "edited"},
        create_codes="401 201 403 403 403 403 403 403",
        edit_codes="401 404 403 403 404 404 404 404",
        new_codes="login 200 403 403 403 403 403 403",  # the wizard: for who may schedule
    ),
    # Joint minutes in participants are the mediator's; AAA's own minutes (party:AAA) are AAA's.
    # An edit names the hash of the text it edited (the form follows the JSON edit).
    "minutes": RecordKind(
        {"session_id": "{sessions:round1}", "text": "Matrix minutes", "space": "participants"},
        "minutes:CANARY-AAA-MINUTES",
        {"text": "edited", "hash": _hash("CANARY-AAA-MINUTES")},
        form_change={"text": "edited again", "hash": _hash("edited")},
        refers=True,
        create_codes="401 201 403 403 403 403 422 422",
    ),
    "statements": RecordKind(
        {
            "key": "matrix-statement-{persona}",
            "kind": "unilateral",
            "text": "Matrix statement",
            "space": "participants",
        },
        "statements:CANARY-AAA-STATEMENT-KEY",
        {"place": "edited"},
    ),
    # A pledge is recorded by the donor's delegation (AAA) or the mediator.
    "commitments": RecordKind(
        {
            "key": "matrix-commitment-{persona}",
            "kind": "pledge",
            "title": "Matrix pledge",
            "donor": "AAA",
            "space": "participants",
        },
        "commitments:CANARY-AAA-COMMITMENT-KEY",
        {"conditions": "edited"},
        create_codes="401 201 201 403 403 403 403 403",
    ),
    # An event of AAA's participants pledge: AAA's books, or the mediator's.
    "fulfilment-events": RecordKind(
        {
            "commitment_id": "{commitments:CANARY-PARTS-COMMITMENT-KEY}",
            "kind": "pledged",
            "occurred_on": "2026-01-05",
        },
        refers=True,
        create_codes="401 201 201 403 403 403 422 422",
    ),
    # The shared plan is the mediator's (AAA edits its own step in party:AAA).
    "steps": RecordKind(
        {"key": "matrix-step-{persona}", "title": "Matrix step", "space": "participants"},
        "steps:CANARY-AAA-STEP-KEY",
        {"description": "edited"},
        create_codes="401 201 403 403 403 403 403 403",
    ),
    # Each delegation claims for itself; who cannot write is refused before the reference.
    "status-claims": RecordKind(
        {
            "step_id": "{steps:CANARY-PARTS-STEP-KEY}",
            "status": "in_progress",
            "claimed_on": "2026-01-05",
            "space": "participants",
        },
        "status-claims:CANARY-AAA-STATUS-CLAIM-NOTE",
        {"note": "edited"},
        refers=True,
        create_codes="401 201 201 403 201 403 403 403",
    ),
    "milestones": RecordKind(
        {"key": "matrix-milestone-{persona}", "title": "Matrix milestone", "space": "participants"},
        "milestones:CANARY-AAA-MILESTONE-KEY",
        {"title": "edited"},
        create_codes="401 201 403 403 403 403 403 403",
    ),
    "constraints": RecordKind(
        {
            "key": "matrix-constraint-{persona}",
            "from": "CANARY-PARTS-MILESTONE-KEY",
            "to": "CANARY-PARTS-STEP-KEY.start",
            "min": 0,
            "max": 9,
            "space": "participants",
        },
        "constraints:CANARY-AAA-CONSTRAINT-KEY",
        {"explanation": "edited"},
        create_codes="401 201 403 403 403 403 403 403",
        form={
            "key": "matrix-constraint-{persona}-form",
            "from_ref": "CANARY-PARTS-MILESTONE-KEY",
            "to_ref": "CANARY-PARTS-STEP-KEY.start",
            "min_days": "0",
            "max_days": "9",
            "space": "participants",
        },
        form_change={
            "from_ref": "CANARY-AAA-MILESTONE-KEY",
            "to_ref": "CANARY-AAA-STEP-KEY.start",
            "min_days": "0",
            "max_days": "5",
            "explanation": "edited",
        },
    ),
}


def _as_form(json_codes: str) -> tuple[str, ...]:
    """The codes of a form twin: sign-in page instead of 401, a redirect instead of success."""
    swap = {"401": "login", "200": "303", "201": "303"}
    return tuple(swap.get(c, c) for c in json_codes.split())


def record_rows() -> list[Row]:
    rows = []
    for slug, kind in RECORD_KINDS.items():
        outsider = "422" if kind.refers else "403"
        api, page = f"/api/v1/processes/{{key}}/{slug}", f"/p/{{key}}/{slug}"
        # Keys are unique in a process: the form creates its own.
        form = kind.form or {
            k: str(v) + ("-form" if k == "key" else "") for k, v in kind.create.items()
        }
        what = ", referring to a participants one" if kind.refers else ", in participants"
        create = kind.create_codes or f"401 201 201 403 201 403 {outsider} {outsider}"
        rows += [
            Row("GET", f"{page}/new", "-", codes(kind.new_codes)),
            Row("POST", api, "a new record" + what, codes(create), json=kind.create),
            Row("POST", page, "the same, as a form", _as_form(create), form=form),
        ]
        if not kind.target:
            continue
        ref = "{" + kind.target + "}"
        change = kind.form_change or {k: str(v) for k, v in kind.change.items()}
        edit = kind.edit_codes or "401 404 200 403 404 404 404 404"
        rows += [
            Row(
                "GET",
                f"{page}/{{object_id}}/edit",
                "an AAA record in party:AAA",
                tuple("login" if c == "401" else c for c in edit.split()),
                f"{page}/{ref}/edit",
            ),
            Row(
                "PATCH",
                f"{api}/{{object_id}}",
                "an AAA record in party:AAA",
                codes(edit),
                f"{api}/{ref}",
                json=kind.change,
            ),
            Row(
                "POST",
                f"{page}/{{object_id}}/edit",
                "an AAA record in party:AAA",
                _as_form(edit),
                f"{page}/{ref}/edit",
                form=change,
            ),
        ]
    aaa_commitment = "{commitments:CANARY-AAA-COMMITMENT-KEY}"
    rows += [
        Row(
            "POST",
            "/api/v1/processes/{key}/commitments/{object_id}/links",
            "the AAA commitment, to the AAA step",
            codes("401 404 201 403 404 404 404 404"),
            f"/api/v1/processes/{{key}}/commitments/{aaa_commitment}/links",
            json={"step": "CANARY-AAA-STEP-KEY"},
        ),
        Row(
            "POST",
            "/p/{key}/ledger/links",
            "the AAA commitment, to the participants step",
            codes("login 404 303 403 404 404 404 404"),
            form={"commitment": aaa_commitment, "target": "step:CANARY-PARTS-STEP-KEY"},
        ),
    ]
    spare = "{constraints:CANARY-AAA-SPARE-CONSTRAINT-KEY}"
    rows += [
        Row(
            "DELETE",
            "/api/v1/processes/{key}/constraints/{object_id}",
            "an AAA constraint in party:AAA",
            codes("401 404 200 403 404 404 404 404"),
            "/api/v1/processes/{key}/constraints/{constraints:CANARY-AAA-CONSTRAINT-KEY}",
        ),
        Row(
            "POST",
            "/p/{key}/constraints/{object_id}/delete",
            "another AAA constraint",
            codes("login 404 303 403 404 404 404 404"),
            f"/p/{{key}}/constraints/{spare}/delete",
        ),
    ]
    return rows


# ---- sessions, joint statements, calendar, changes and the timeline (issue 6) ----
# Canary has no joint statement: those pages answer 404 to everyone for a unilateral one, like
# an unknown id; tests/sessions/ covers the sign-off itself on the Miami scenario.


def sessions_rows() -> list[Row]:
    from parley.texts.canonical_hash import text_hash

    aaamed_session = "{sessions:CANARY-AAAMED-SESSION-KEY}"
    bbbmed_session = "{sessions:CANARY-BBBMED-SESSION-KEY}"
    minutes = "{minutes:CANARY-AAAMED-ROOM-MINUTES}"
    unilateral = "{statements:CANARY-AAA-STATEMENT-KEY}"
    api = "/api/v1/processes/{key}"
    carry = {"source_id": minutes, "target_party": "BBB", "text": "CANARY-AAAMED-ROOM-MINUTES"}
    joint = {
        "key": "matrix-joint-{persona}",
        "text": "Matrix joint statement.",
        "signatories": ["AAA", "MED"],
        "space": "participants",
    }
    return [
        Row(
            "GET",
            "/p/{key}/meetings/{session_id}",
            "an AAA+mediator session",
            codes("404 200 200 200 404 404 404 404"),
            f"/p/{{key}}/meetings/{aaamed_session}",
        ),
        Row(
            "GET",
            "/api/v1/processes/{key}/meetings/{session_id}",
            "an AAA+mediator session",
            codes("404 200 200 200 404 404 404 404"),
            f"{api}/meetings/{aaamed_session}",
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/meetings",
            "a new call, in participants (the mediator convenes)",
            codes("401 201 403 403 403 403 403 403"),
            json={
                "key": "matrix-meeting-{persona}",
                "title": "Matrix meeting",
                "format": "call",
                "starts_at": "2026-01-06T10:00:00+00:00",
                "space": "participants",
            },
        ),
        Row(
            "POST",
            "/p/{key}/meetings/{session_id}/status",
            "the held AAA+mediator session, to closed (the mediator closes it first)",
            codes("login 303 403 403 404 404 404 404"),
            f"/p/{{key}}/meetings/{aaamed_session}/status",
            form={"status": "closed"},
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/meetings/{session_id}/status",
            "the held BBB+mediator session, to closed (the mediator closes it first)",
            codes("401 200 404 404 403 403 404 404"),
            f"{api}/meetings/{bbbmed_session}/status",
            json={"status": "closed"},
        ),
        Row(
            "POST",
            "/p/{key}/meetings/{session_id}/minutes/{minutes_id}/{action}",
            "round1, AAA room's draft minutes: circulate (the mediator first; then 409)",
            codes("login 303 409 403 404 404 404 404"),
            f"/p/{{key}}/meetings/{{sessions:round1}}/minutes/{minutes}/circulate",
            form={},
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/meetings/{session_id}/minutes/{minutes_id}/{action}",
            "round1, AAA room's circulated minutes: approve their hash",
            codes("401 200 200 403 404 404 404 404"),
            f"{api}/meetings/{{sessions:round1}}/minutes/{minutes}/approve",
            json={"hash": text_hash("CANARY-AAAMED-ROOM-MINUTES")},
        ),
        Row(
            "GET",
            "/p/{key}/meetings/{session_id}/carry",
            "round1 (participants)",
            codes("login 200 403 403 403 403 404 404"),
            "/p/{key}/meetings/{sessions:round1}/carry",
        ),
        Row(
            "POST",
            "/p/{key}/meetings/{session_id}/carry",
            "round1: AAA room's minutes into BBB's room",
            codes("login 303 403 403 403 403 404 404"),
            "/p/{key}/meetings/{sessions:round1}/carry",
            form=carry,
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/meetings/{session_id}/carry",
            "round1: AAA room's minutes into BBB's room",
            codes("401 201 403 403 403 403 404 404"),
            f"{api}/meetings/{{sessions:round1}}/carry",
            json=carry,
        ),
        Row("GET", "/p/{key}/joint-statements", "-", ALL_200),
        Row("GET", "/api/v1/processes/{key}/joint-statements", "-", ALL_200),
        Row(
            "POST",
            "/p/{key}/joint-statements",
            "AAA and MED sign, in participants (drafted by the mediator or a signatory)",
            codes("login 303 303 403 403 403 403 403"),
            form={**joint, "key": "matrix-joint-{persona}-form"},
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/joint-statements",
            "AAA and MED sign, in participants (drafted by the mediator or a signatory)",
            codes("401 201 201 403 403 403 403 403"),
            json=joint,
        ),
        Row(
            "GET",
            "/p/{key}/joint-statements/{statement_id}",
            "a unilateral statement",
            codes("404 404 404 404 404 404 404 404"),
            f"/p/{{key}}/joint-statements/{unilateral}",
        ),
        Row(
            "GET",
            "/api/v1/processes/{key}/joint-statements/{statement_id}",
            "a unilateral statement",
            codes("404 404 404 404 404 404 404 404"),
            f"{api}/joint-statements/{unilateral}",
        ),
        Row(
            "GET",
            "/api/v1/processes/{key}/joint-statements/{statement_id}/statement.json",
            "a unilateral statement",
            codes("404 404 404 404 404 404 404 404"),
            f"{api}/joint-statements/{unilateral}/statement.json",
        ),
        Row(
            "POST",
            "/p/{key}/joint-statements/{statement_id}/{action}",
            "a unilateral statement: publish",
            codes("login 404 404 404 404 404 404 404"),
            f"/p/{{key}}/joint-statements/{unilateral}/publish",
            form={},
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/joint-statements/{statement_id}/{action}",
            "a unilateral statement: publish",
            codes("401 404 404 404 404 404 404 404"),
            f"{api}/joint-statements/{unilateral}/publish",
            json={},
        ),
        Row("GET", "/p/{key}/calendar.ics", "-", ALL_200),
        Row("GET", "/api/v1/processes/{key}/calendar", "-", ALL_200),
        Row("GET", "/p/{key}/changes", "-", SIGNED_IN_HTML),
        Row("GET", "/api/v1/processes/{key}/changes", "-", SIGNED_IN_API),
        Row(
            "POST",
            "/p/{key}/changes/seen",
            "-",
            codes("login 303 303 303 303 303 303 303"),
            form={},
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/changes/seen",
            "-",
            codes("401 200 200 200 200 200 200 200"),
            json={},
        ),
        Row("GET", "/p/{key}/history", "-", ALL_200),
        Row("GET", "/api/v1/processes/{key}/history", "-", ALL_200),
        Row("GET", "/public/{key}/timeline", "-", ALL_200),
        Row("GET", "/api/v1/public/{key}/timeline", "-", ALL_200),
    ]


def texts_rows() -> list[Row]:
    """The negotiating-text pages (parley.texts.views): plan is a participants document with
    v1 (a frozen mediator text with an open participants bracket "border"), aaa-draft (party:AAA)
    and bbb-draft (party:BBB+mediator). Writes aim where the answer cannot depend on which
    persona went first: freezing a frozen version, signing over an open bracket, accepting a
    draft (422 after the permission checks)."""
    plan = codes("404 200 200 200 200 200 404 404")
    page, api = "/p/{key}/texts", "/api/v1/processes/{key}/texts"
    doc, v1 = "/{doc_key}", "/{doc_key}/v/{label}"
    rows = [
        Row("GET", page, "-", ALL_200),
        Row("GET", api, "-", ALL_200),
        Row("GET", page + "-keys", "-", SIGNED_IN_HTML),
        Row("GET", api + "-keys", "-", SIGNED_IN_API),
    ]
    reads = [
        (doc, "plan (participants)", "/plan"),
        (v1, "plan v1", "/plan/v/v1"),
        (v1 + "/export/{fmt}", "plan v1 as akn", "/plan/v/v1/export/akn"),
        ("/{doc_key}/diff", "plan, newest version against its parent", "/plan/diff"),
        ("/{doc_key}/compare", "plan, every visible version", "/plan/compare"),
        ("/{doc_key}/match", "plan, newest version against its parent", "/plan/match"),
        ("/{doc_key}/amendments", "plan", "/plan/amendments"),
        (v1 + "/brackets", "plan v1", "/plan/v/v1/brackets"),
        (v1 + "/languages", "plan v1, its languages side by side", "/plan/v/v1/languages"),
    ]
    for path, fill, url in reads:
        rows.append(Row("GET", page + path, fill, plan, page + url))
        rows.append(Row("GET", api + path, fill, plan, api + url))
    rows += [
        Row("GET", page + "/{doc_key}/diff/{fmt}", "plan, as md", plan, page + "/plan/diff/md"),
        Row(
            "GET",
            page + "/{doc_key}/compare/{fmt}",
            "plan, as html",
            plan,
            page + "/plan/compare/html",
        ),
    ]
    writes: list[tuple[str, str, str, str, str, dict[str, Any], dict[str, Any]]] = [
        # path, fill, url, api codes, page codes, json body, form body
        # public-doc, not plan: a newer plan version would change what the optimizer rows see.
        (
            "/{doc_key}/versions",
            "public-doc: a new draft in the persona's own space",
            "/public-doc/versions",
            "401 201 201 403 201 403 403 403",
            "login 303 303 403 303 403 403 403",
            {"label": "matrix-{persona}", "text": "1. A matrix point."},
            {"label": "matrix-{persona}-form", "text": "1. A matrix point."},
        ),
        (
            v1 + "/freeze",
            "plan v1 (already frozen)",
            "/plan/v/v1/freeze",
            "401 422 403 403 403 403 404 404",
            "login 422 403 403 403 403 404 404",
            {},
            {},
        ),
        (
            v1 + "/sign",
            "plan v1 (an open bracket)",
            "/plan/v/v1/sign",
            "401 422 422 403 422 403 404 404",
            "login 422 422 403 422 403 404 404",
            {"passphrase": "not-a-key-yet"},
            {"passphrase": "not-a-key-yet"},
        ),
        (
            "/{doc_key}/match",
            "plan v1 to v1, confirm all",
            "/plan/match",
            "401 200 200 403 200 403 404 404",
            "login 303 303 403 303 403 404 404",
            {"old": "v1", "new": "v1", "confirm_all": True},
            {"old": "v1", "new": "v1", "confirm_all": "1"},
        ),
        (
            "/{doc_key}/amendments",
            "plan: a draft substitution of p1 on v1",
            "/plan/amendments",
            "401 201 201 403 201 403 404 404",
            "login 303 303 403 303 403 404 404",
            {"base": "v1", "kind": "substitute", "provision": "p1", "text": "Matrix text."},
            {"base": "v1", "kind": "substitute", "provision": "p1", "text": "Matrix text."},
        ),
        (
            "/{doc_key}/amendments/{amendment_key}/{action}",
            "AAA's private draft: submit (API), then withdraw (form)",
            "",
            "401 404 200 403 404 404 404 404",
            "login 404 303 403 404 404 404 404",
            {"to": "participants"},
            {},
        ),
        (
            "/{doc_key}/accept",
            "plan: a participants draft (not submitted)",
            "/plan/accept",
            "401 422 403 403 403 403 404 404",
            "login 422 403 403 403 403 404 404",
            {"amendments": ["CANARY-PARTS-AMENDMENT-KEY"], "label": "matrix-accept"},
            {"amendment": "CANARY-PARTS-AMENDMENT-KEY", "label": "matrix-accept"},
        ),
        (
            v1 + "/brackets",
            "plan v1 (frozen)",
            "/plan/v/v1/brackets",
            "401 422 403 403 403 403 404 404",
            "login 422 403 403 403 403 404 404",
            {"provision": "p1", "options": [{"text": "Matrix option."}]},
            {"provision": "p1", "options": "Matrix option."},
        ),
        (
            "/{doc_key}/languages",
            "plan: its languages as they are (en)",
            "/plan/languages",
            "401 200 403 403 403 403 404 404",
            "login 303 403 403 403 403 404 404",
            {"languages": "en"},
            {"languages": "en"},
        ),
        (
            v1 + "/languages",
            "plan v1 (frozen; its author is the mediator): a Ukrainian text",
            "/plan/v/v1/languages",
            "401 422 403 403 403 403 404 404",
            "login 422 403 403 403 403 404 404",
            {"text": "1. Пункт.", "language": "uk"},
            {"text": "1. Пункт.", "language": "uk"},
        ),
        (
            v1 + "/languages/confirm",
            "plan v1 (frozen): p1 in uk",
            "/plan/v/v1/languages/confirm",
            "401 422 403 403 403 403 404 404",
            "login 422 403 403 403 403 404 404",
            {"wid": "p1", "language": "uk"},
            {"wid": "p1", "language": "uk"},
        ),
        (
            "/{doc_key}/brackets/{bracket_key}/{action}",
            "border on v1 (frozen): support a",
            "/plan/brackets/border/support",
            "401 422 422 403 422 403 404 404",
            "login 422 422 403 422 403 404 404",
            {"option": "a", "stance": "supports"},
            {"option": "a", "stance": "supports"},
        ),
    ]
    for path, fill, url, api_codes, page_codes, body, form in writes:
        api_url, page_url = api + url, page + url
        if not url:
            api_url = api + "/plan/amendments/CANARY-AAA-AMENDMENT-KEY/submit"
            page_url = page + "/plan/amendments/CANARY-AAA-AMENDMENT-KEY/withdraw"
        rows.append(Row("POST", api + path, fill, codes(api_codes), api_url, json=body))
        rows.append(Row("POST", page + path, fill, codes(page_codes), page_url, form=form))
    rows += [
        Row(
            "POST",
            api + "-keys",
            "a new signing key",
            codes("401 201 201 403 201 403 403 403"),
            json={"passphrase": "matrix passphrase"},
        ),
        Row(
            "POST",
            page + "-keys",
            "a new signing key",
            codes("login 303 303 403 303 403 403 403"),
            form={"passphrase": "matrix passphrase", "confirm": "matrix passphrase"},
        ),
    ]
    return rows


# ---- intake: the review queue and the report form (issue 7) ----
# Canary has no proposals: routes that name one are asked with a made-up id and answer 404 to
# everyone signed in (like any missing record); tests/intake/test_views.py covers the real ones
# (another party's proposal answers exactly like this, a viewer gets 403). Taking a report in
# stores it in the persona's default space (public for the mediator, party:P for a head).
MADE_UP_PROPOSAL = "00000000-0000-4000-8000-00000000c0de"
INTAKE_TEXT = (
    "Canary wire ({via})\n\nThe envoy met both delegations in Geneva on Monday, "
    "officials said. This illustrative report was written for the permission matrix."
)


def intake_rows() -> list[Row]:
    page, api = "/p/{key}/review", "/api/v1/processes/{key}/review"
    one, made_up = "/{proposal_id}", "/" + MADE_UP_PROPOSAL
    nobody_html = codes("login 404 404 404 404 404 404 404")
    nobody_api = codes("401 404 404 404 404 404 404 404")
    fill = "a made-up proposal id"
    rows = [
        Row("GET", page, "-", SIGNED_IN_HTML),
        Row("GET", api, "-", SIGNED_IN_API),
        Row("GET", page + one, fill, nobody_html, page + made_up),
        Row("GET", api + one, fill, nobody_api, api + made_up),
    ]
    for action, body in (
        ("accept", None),
        ("reject", None),
        ("merge", {"record_id": MADE_UP_PROPOSAL}),
        ("edit", {"payload": {}}),
    ):
        rows.append(
            Row(
                "POST",
                f"{page}{one}/{action}",
                fill,
                nobody_html,
                f"{page}{made_up}/{action}",
                form={"record_id": MADE_UP_PROPOSAL} if action == "merge" else None,
            )
        )
        rows.append(
            Row(
                "POST",
                f"{api}{one}/{action}",
                fill,
                nobody_api,
                f"{api}{made_up}/{action}",
                json=body,
            )
        )
    rows += [
        Row(
            "POST",
            page + "/bulk",
            "reject a made-up id (reported per id)",
            codes("login 200 200 403 200 403 403 403"),
            form={"ids": MADE_UP_PROPOSAL, "action": "reject"},
        ),
        Row(
            "POST",
            api + "/bulk",
            "reject a made-up id (reported per id)",
            codes("401 200 200 403 200 403 403 403"),
            json={"ids": [MADE_UP_PROPOSAL], "action": "reject"},
        ),
        Row("GET", "/p/{key}/intake", "-", codes("login 200 200 403 200 403 403 403")),
        Row(
            "POST",
            "/p/{key}/intake",
            "a short report, the default space",
            codes("login 303 303 403 303 403 403 403"),
            form={"text": INTAKE_TEXT.format(via="form")},
        ),
        Row(
            "POST",
            "/api/v1/processes/{key}/intake",
            "a short report, the default space",
            codes("401 201 201 403 201 403 403 403"),
            json={"text": INTAKE_TEXT.format(via="api")},
        ),
    ]
    return rows


# Reads first, then writes; signing out comes last (it ends the persona's session).
MATRIX: tuple[Row, ...] = (
    Row("GET", "/", "-", ALL_200),
    Row("GET", "/login", "-", ALL_200),
    Row("GET", "/api/v1/openapi.json", "-", ALL_200),
    Row("GET", "/api/v1/health", "-", ALL_200),
    Row("GET", "/static/{path}", "parley.css", ALL_200, "/static/parley.css"),
    Row("GET", "/static-lib/plotly.min.js", "-", ALL_200),
    Row("GET", "/api/v1/processes", "-", ALL_200),
    Row("GET", "/p/{key}", "the published canary process", ALL_200),
    Row("GET", "/api/v1/processes/{key}", "the published canary process", ALL_200),
    Row("GET", "/api/v1/processes/{key}/inbox", "the published canary process", ALL_200),
    Row("GET", "/p/{key}/positions", "-", SIGNED_IN_HTML),
    Row("GET", "/api/v1/processes/{key}/positions", "-", SIGNED_IN_API),
    Row(
        "GET",
        "/p/{key}/positions/{position_id}/history",
        "an AAA position in party:AAA",
        codes("login 404 200 200 404 404 404 404"),
        "/p/{key}/positions/{aaa_position}/history",
    ),
    Row(
        "GET",
        "/api/v1/processes/{key}/positions/{position_id}/history",
        "an AAA position in party:AAA",
        codes("401 404 200 200 404 404 404 404"),
        "/api/v1/processes/{key}/positions/{aaa_position}/history",
    ),
    Row("GET", "/p/{key}/audit", "-", SIGNED_IN_HTML),
    Row("GET", "/api/v1/processes/{key}/audit", "-", SIGNED_IN_API),
    Row("GET", "/p/{key}/timeline", "moved: 308 to /p/{key}/history", ALL_308),
    Row(
        "GET",
        "/api/v1/processes/{key}/timeline",
        "moved: 308 to /api/v1/processes/{key}/history",
        ALL_308,
    ),
    Row("GET", "/p/{key}/events", "first chunk of the stream", SIGNED_IN_HTML),
    Row("GET", "/p/{key}/search", "q=canary", ALL_200, "/p/{key}/search?q=canary"),
    Row(
        "GET",
        "/api/v1/processes/{key}/search",
        "q=canary",
        ALL_200,
        "/api/v1/processes/{key}/search?q=canary",
    ),
    Row("GET", "/p/{key}/plan", "-", ALL_200),
    Row("GET", "/api/v1/processes/{key}/plan", "-", ALL_200),
    Row(
        "GET",
        "/p/{key}/plan/what-if",
        "the AAA step slips 2 days",
        codes("200 200 200 200 200 200 200 200"),
        "/p/{key}/plan/what-if?subject=CANARY-AAA-STEP-KEY&slip=2",
    ),
    Row(
        "GET",
        "/api/v1/processes/{key}/plan/what-if",
        "the AAA step slips 2 days",
        codes("422 422 200 200 422 422 422 422"),
        "/api/v1/processes/{key}/plan/what-if?subject=CANARY-AAA-STEP-KEY&slip=2",
    ),
    Row("GET", "/p/{key}/status", "-", ALL_200),
    Row("GET", "/api/v1/processes/{key}/status", "-", ALL_200),
    Row("GET", "/p/{key}/ledger", "-", ALL_200),
    Row("GET", "/api/v1/processes/{key}/ledger", "-", ALL_200),
    Row("GET", "/p/{key}/ledger.csv", "-", ALL_200),
    Row("GET", "/p/{key}/{slug}", "steps", ALL_200, "/p/{key}/steps"),
    Row("GET", "/api/v1/processes/{key}/{slug}", "steps", ALL_200, "/api/v1/processes/{key}/steps"),
    Row(
        "GET",
        "/p/{key}/{slug}/{object_id}",
        "an AAA step in party:AAA",
        AAA_ONLY,
        "/p/{key}/steps/{aaa_step}",
    ),
    Row(
        "GET",
        "/api/v1/processes/{key}/{slug}/{object_id}",
        "an AAA step in party:AAA",
        AAA_ONLY,
        "/api/v1/processes/{key}/steps/{aaa_step}",
    ),
    Row("GET", "/api/v1/auth/tokens", "-", SIGNED_IN_API),
    Row("GET", "/admin/users", "-", codes("login 403 403 403 403 403 403 200")),
    Row("GET", "/api/v1/admin/users", "-", codes("401 403 403 403 403 403 403 200")),
    Row(
        "POST",
        "/login",
        "own username, wrong password",
        codes("401 401 401 401 401 401 401 401"),
        form={"username": "{username}", "password": "not-the-password"},
    ),
    Row(
        "POST",
        "/api/v1/auth/token",
        "own username and password",
        codes("401 200 200 200 200 200 200 200"),
        json={"username": "{username}", "password": "{password}"},
    ),
    Row(
        "POST",
        "/api/v1/auth/tokens/{token_id}/revoke",
        "a token of aaa-head",
        codes("401 404 200 404 404 404 404 404"),
        "/api/v1/auth/tokens/{aaa_token}/revoke",
    ),
    Row(
        "POST",
        "/admin/users",
        "a new account",
        codes("login 403 403 403 403 403 403 303"),
        form={"username": "newcomer", "password": "newcomer-password"},
    ),
    Row(
        "POST",
        "/admin/memberships",
        "outsider as observer of canary",
        codes("login 403 403 403 403 403 403 303"),
        form={"process": KEY, "username": "outsider", "role": "observer"},
    ),
    # A delegation's members, managed by its head (the mediator's head: the mediator's team);
    # the rows change nothing: a head names itself head again, or removes a made-up account.
    Row("GET", "/p/{key}/delegation", "-", codes("login 200 200 404 200 404 404 404")),
    Row("GET", "/api/v1/processes/{key}/delegation", "-", codes("401 200 200 404 200 404 404 404")),
    Row(
        "POST",
        "/p/{key}/delegation/members",
        "own account, as head again",
        codes("login 303 303 404 303 404 404 404"),
        form={"username": "{username}", "role": "head"},
    ),
    Row(
        "POST",
        "/p/{key}/delegation/members/{username}/role",
        "own account, as head again",
        codes("login 303 303 404 303 404 404 404"),
        "/p/{key}/delegation/members/{username}/role",
        form={"role": "head"},
    ),
    Row(
        "POST",
        "/p/{key}/delegation/members/{username}/remove",
        "a made-up account",
        codes("login 404 404 404 404 404 404 404"),
        "/p/{key}/delegation/members/nobody-at-all/remove",
        form={},
    ),
    Row(
        "PUT",
        "/api/v1/processes/{key}/delegation/members/{username}",
        "own account, as head again",
        codes("401 200 200 404 200 404 404 404"),
        "/api/v1/processes/{key}/delegation/members/{username}",
        json={"role": "head"},
    ),
    Row(
        "DELETE",
        "/api/v1/processes/{key}/delegation/members/{username}",
        "a made-up account",
        codes("401 404 404 404 404 404 404 404"),
        "/api/v1/processes/{key}/delegation/members/nobody-at-all",
    ),
    Row(
        "POST",
        "/api/v1/processes/{key}/positions",
        "plan/p2, own party's space",
        codes("401 201 201 403 201 403 403 403"),
        json={"provision_id": "{plan_p2}", "stance": "accept", "priority": 10},
    ),
    Row(
        "POST",
        "/p/{key}/positions",
        "public-doc/d2, own party's space",
        codes("login 303 303 403 303 403 403 403"),
        form={"provision": "{public_d2}", "stance": "reject", "priority": "20"},
    ),
    *record_rows(),
    Row(
        "POST",
        "/api/v1/processes/{key}/{slug}/{object_id}/release",
        "positions: the AAA position, to party:AAA+mediator",
        codes("401 404 200 403 404 404 404 404"),
        "/api/v1/processes/{key}/positions/{aaa_position}/release",
        json={"space": "party:AAA+mediator"},
    ),
    Row(
        "POST",
        "/p/{key}/{slug}/{object_id}/release",
        "steps: the AAA step, to party:AAA+mediator",
        codes("login 404 303 403 404 404 404 404"),
        "/p/{key}/steps/{aaa_step}/release",
        form={"space": "party:AAA+mediator"},
    ),
    *sessions_rows(),
    *texts_rows(),
    *intake_rows(),
    # positions: convergence map and package optimizer (tests/positions/test_views_analytics.py)
    Row("GET", "/p/{key}/convergence", "-", SIGNED_IN_HTML),
    Row("GET", "/api/v1/processes/{key}/convergence", "-", SIGNED_IN_API),
    Row("GET", "/p/{key}/optimizer", "-", SIGNED_IN_HTML),
    Row("GET", "/api/v1/processes/{key}/optimizer", "-", SIGNED_IN_API),
    Row(
        "POST",
        "/api/v1/processes/{key}/optimizer",
        "max-min over plan/p2 for AAA",
        codes("401 200 403 403 403 403 403 403"),
        json={"version": "plan/v1", "provisions": ["plan/p2"], "parties": ["AAA"]},
    ),
    Row(
        "POST",
        "/p/{key}/optimizer",
        "the same, as a form",
        codes("login 200 403 403 403 403 403 403"),
        form={
            "version": "plan/v1",
            "provision": "plan/p2",
            "party": "AAA",
            "objective": "maxmin",
        },
    ),
    Row(
        "POST",
        "/p/{key}/optimizer/ask",
        "ask AAA for the inputs a run over plan/p2 assumed",
        codes("login 422 403 403 403 403 403 403"),
        form={"ask_party": "AAA", "version": "plan/v1", "provision": "plan/p2", "party": "AAA"},
    ),
    Row(
        "POST",
        "/api/v1/processes/{key}/optimizer/release",
        "plan/p2 option b, to participants",
        codes("401 201 403 403 403 403 403 403"),
        json={
            "version": "plan/v1",
            "provisions": ["plan/p2"],
            "parties": ["AAA"],
            "package": {"plan/p2": "b"},
            "title": "Matrix package",
        },
    ),
    Row(
        "POST",
        "/p/{key}/optimizer/release",
        "the same, as a form",
        codes("login 303 403 403 403 403 403 403"),
        form={
            "version": "plan/v1",
            "provision": "plan/p2",
            "party": "AAA",
            "objective": "maxmin",
            "choice.plan/p2": "b",
            "title": "Matrix package (form)",
        },
    ),
    # operations: signed checkpoints of the chains each persona can see (tests/operations/)
    Row("GET", "/api/v1/processes/{key}/checkpoints", "-", SIGNED_IN_API),
    Row(
        "POST",
        "/api/v1/processes/{key}/checkpoints",
        "sign the heads of the caller's chains",
        codes("401 200 200 200 200 200 200 403"),
    ),
    Row("GET", "/p/{key}/checkpoints", "-", SIGNED_IN_HTML),
    Row(
        "POST",
        "/p/{key}/checkpoints",
        "the same, as a form",
        codes("login 303 303 303 303 303 303 403"),
        form={},
    ),
    # Second factor and step-up (none of the canary personas needs a second factor).
    Row(
        "GET",
        "/login/second-factor",
        "not pending: back to the start",
        codes("303 303 303 303 303 303 303 303"),
    ),
    Row(
        "POST",
        "/login/second-factor",
        "not pending",
        codes("login login login login login login login login"),
        form={"code": "000000"},
    ),
    Row("GET", "/account/second-factor", "-", SIGNED_IN_HTML),
    Row(
        "POST",
        "/account/second-factor",
        "a wrong code",
        codes("login 422 422 422 422 422 422 422"),
        form={"code": "000000"},
    ),
    Row("GET", "/reauth", "-", SIGNED_IN_HTML),
    Row(
        "POST",
        "/reauth",
        "a wrong password",
        codes("login 401 401 401 401 401 401 401"),
        form={"password": "not-the-password"},
    ),
    # Security keys (WebAuthn): the canary server (http://testserver, no PARLEY_WEBAUTHN_RP_ID)
    # does not offer them, so each ceremony answers 409; tests/auth/test_security_keys.py runs
    # them where they are offered.
    Row("GET", "/account/security-keys", "-", SIGNED_IN_HTML),
    Row(
        "POST",
        "/account/security-keys/options",
        "not offered here",
        codes("login 409 409 409 409 409 409 409"),
    ),
    Row(
        "POST",
        "/account/security-keys",
        "not offered here",
        codes("login 409 409 409 409 409 409 409"),
        json={"name": "matrix key", "credential": {}},
    ),
    Row(
        "POST",
        "/account/security-keys/{key_id}/remove",
        "a made-up key id",
        codes("login 404 404 404 404 404 404 404"),
        "/account/security-keys/00000000-0000-4000-8000-000000000000/remove",
        form={},
    ),
    Row("GET", "/account/notices", "-", SIGNED_IN_HTML),
    Row("GET", "/account/tokens", "-", SIGNED_IN_HTML),
    Row(
        "POST",
        "/account/tokens",
        "a new token of one's own",
        codes("login 201 201 201 201 201 201 201"),
        form={"name": "{persona} script"},
    ),
    Row(
        "POST",
        "/account/tokens/{token_id}/revoke",
        "a made-up token id",
        codes("login 404 404 404 404 404 404 404"),
        "/account/tokens/00000000-0000-4000-8000-000000000000/revoke",
        form={},
    ),
    Row(
        "POST",
        "/login/security-key/options",
        "not pending",
        codes("login login login login login login login login"),
    ),
    Row(
        "POST",
        "/login/security-key",
        "not pending",
        codes("login login login login login login login login"),
        json={"credential": {}},
    ),
    Row(
        "POST",
        "/reauth/security-key/options",
        "not offered here",
        codes("login 409 409 409 409 409 409 409"),
    ),
    Row(
        "POST",
        "/reauth/security-key",
        "not offered here",
        codes("login 409 409 409 409 409 409 409"),
        json={"credential": {}, "password": "not-the-password"},
    ),
    Row("POST", "/logout", "-", codes("303 303 303 303 303 303 303 303")),
)

# Cells where the app is known to answer wrongly today, with the answer it gives. Each has a
# strict xfail test below; when the bug is fixed that test passes, fails as XPASS, and the
# entry and the xfail mark go.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def _values(canary: Canary, persona: str) -> dict[str, str]:
    spec = PERSONAS[persona]
    return {
        **canary.refs,
        "key": KEY,
        "aaa_step": canary.ref("steps:CANARY-AAA-STEP-KEY"),
        "aaa_position": canary.ref("position:AAA:CANARY-AAA-POSITION-REASON"),
        "aaa_token": canary.ref("token-id:aaa-head"),
        "plan_p2": canary.ref("provision:plan/p2"),
        "public_d2": canary.ref("provision:public-doc/d2"),
        "persona": persona,
        "username": spec.username or "nobody-at-all",
        "password": spec.password or "not-a-password",
    }


def _format(template: str, values: dict[str, str]) -> str:
    # Not str.format: reference names such as {steps:CANARY-AAA-STEP-KEY} contain colons.
    return re.sub(r"\{([^{}]+)\}", lambda m: values[m.group(1)], template)


def _url(row: Row, values: dict[str, str]) -> str:
    return _format(row.url or row.path, values)


def _fill(data: dict[str, Any] | None, values: dict[str, str]) -> dict[str, Any] | None:
    if data is None:
        return None

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _format(value, values)
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return {k: fill(v) for k, v in data.items()}


def _send(
    client: httpx.Client, canary: Canary, persona: str, row: Row, url: str, values: dict[str, str]
) -> httpx.Response:
    headers = canary.csrf(persona) if row.method != "GET" else {}
    form = _fill(row.form, values)
    if form is not None and headers:
        form["csrf_token"] = headers.pop("X-CSRF-Token")
    if row.path.endswith("/events"):
        with client.stream("GET", url) as response:
            first = next(response.iter_bytes(), b"")
            return httpx.Response(response.status_code, headers=response.headers, content=first)
    return client.request(row.method, url, headers=headers, data=form, json=_fill(row.json, values))


def _unknown(url: str) -> str:
    """The same URL with every id and canary key made up (a missing record, not a hidden one)."""
    url = UUID.sub(lambda _: str(uuid.uuid4()), url)
    return re.sub(r"CANARY-[A-Z]+-[A-Z0-9-]*KEY", "made-up-key", url)


def _gist(response: httpx.Response) -> str:
    """The message of an error page or JSON body, not the page's head."""
    text = response.text
    match = re.search(r"<main[^>]*>(.*?)</main>", text, re.S)
    text = re.sub(r"<[^>]+>", " ", match.group(1)) if match else text
    return " ".join(text.split())[:160]


def _check(
    row: Row, persona: str, response: httpx.Response, unknown: httpx.Response | None
) -> str | None:
    expected = row.expected[persona]
    status = str(response.status_code)
    if expected == "login":
        if status != "303" or not response.headers.get("location", "").startswith("/login"):
            return f"expected 303 to /login, got {status} {response.headers.get('location', '')}"
        return None
    if status != expected:
        return f"expected {expected}, got {status}: {_gist(response)}"
    if status == "303" and response.headers.get("location", "").startswith("/login"):
        return "expected a 303 after success, got a redirect to /login"
    if status == "404" and unknown is not None and unknown.content != response.content:
        return "a hidden record's 404 differs from a made-up id's"
    return None


# Personas share a database in two groups (a PostgreSQL database costs seconds to make, and
# two tests spread over two workers): the only successful write that changes what another
# persona may see is aaa-head's releases, so aaa-head goes last in its group. Every persona
# still starts from its own untouched session.
GROUPS = {
    "readers": ("anonymous", "observer", "operator", "bbb-viewer"),
    "writers": ("mediator", "aaa-viewer", "bbb-head", "aaa-head"),
}
assert sorted(sum(GROUPS.values(), ())) == sorted(COLUMNS)


@pytest.mark.parametrize("group", GROUPS)
def test_every_route_answers_each_persona_as_the_matrix_says(canary: Canary, group: str) -> None:
    problems = []
    for persona in GROUPS[group]:
        client = canary.client(persona)
        values = _values(canary, persona)
        for row in MATRIX:
            url = _url(row, values)
            response = _send(client, canary, persona, row, url, values)
            unknown = None
            if response.status_code == 404 and _unknown(url) != url:
                unknown = _send(client, canary, persona, row, _unknown(url), values)
            problem = _check(row, persona, response, unknown)
            known = KNOWN_BUGS.get((row.method, row.path, persona))
            if problem and not (known and str(response.status_code) == known):
                problems.append(f"{persona}: {row.method} {url}: {problem}")
    assert not problems, "\n".join(problems)


def test_every_route_has_a_row_and_every_row_a_route(shared_canary: Canary) -> None:
    routes = route_keys(shared_canary.app)
    rows = [(r.method, r.path) for r in MATRIX]
    assert len(rows) == len(set(rows)), "a route has two rows in MATRIX"
    missing = sorted(routes - set(rows))
    stale = sorted(set(rows) - routes)
    skeletons = "\n".join(
        f'    Row("{method}", "{path}", "what fills it", codes("? ? ? ? ? ? ? ?")),'
        for method, path in missing
    )
    assert not missing, (
        f"{len(missing)} routes have no row in MATRIX; add one each, with the answer every "
        f"persona ({' '.join(COLUMNS)}) must get:\n{skeletons}"
    )
    assert not stale, f"rows for routes that no longer exist (remove them): {stale}"


def test_an_unpublished_process_answers_404_to_non_members_like_an_unknown_key(
    shared_canary: Canary,
) -> None:
    for persona in COLUMNS:
        client = shared_canary.client(persona)
        for path in (
            "/p/{}",
            "/api/v1/processes/{}",
            "/p/{}/history",
            "/api/v1/processes/{}/steps",
        ):
            hidden = client.get(path.format("closed-talks"))
            unknown = client.get(path.format("no-such-process"))
            assert hidden.status_code == 404, (persona, path)
            assert hidden.content == unknown.content, (persona, path)


def test_the_operator_lists_users(shared_canary: Canary) -> None:
    client = shared_canary.client("operator")
    assert client.get("/admin/users").status_code == 200
    assert client.get("/api/v1/admin/users").status_code == 200


# ---------------------------------------------------------------- the docs table

LABELS = {
    "anonymous": "anonymous",
    "mediator": "mediator head",
    "aaa-head": "AAA head",
    "aaa-viewer": "AAA viewer",
    "bbb-head": "BBB head",
    "bbb-viewer": "BBB viewer",
    "observer": "observer",
    "operator": "operator",
}


def markdown_table() -> str:
    head = ["method", "path", "filled with", *(LABELS[c] for c in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in MATRIX:
        cells = [row.method, f"`{row.path}`", row.fill, *row.codes]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_docs_carry_the_same_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOCS} lacks the {BEGIN} … {END} markers"
    before, rest = text.split(BEGIN, 1)
    current, after = rest.split(END, 1)
    wanted = "\n" + markdown_table() + "\n"
    if os.environ.get("PARLEY_WRITE_DOCS") == "1":
        DOCS.write_text(before + BEGIN + wanted + END + after, encoding="utf-8")
        return
    assert current == wanted, (
        "docs/security.md's permission matrix differs from tests/web/test_permission_matrix.py; "
        "rerun with PARLEY_WRITE_DOCS=1 to rewrite it"
    )
