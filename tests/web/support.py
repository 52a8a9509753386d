"""Personas over the canary scenario, on SQLite and PostgreSQL (used by conftest.py).

Each worker loads tests/web/canary.yaml (plus canary_closed.yaml, a second process nobody
here belongs to, and one note per space) once per backend into a template, like the
``databases`` fixture of tests/conftest.py does for the small scenario; tests get copies (a file
copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL). The copy is made directly
rather than over a ``db_url`` database, which would cost a second create and drop per test on
PostgreSQL. Web sessions for every persona are created in the template, so tests start signed
in without paying argon2 for each sign-in; the sessions tests sign in through the form for real.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from starlette.routing import Mount

from parley.auth.models import User
from parley.auth.service import add_user, create_token, start_session
from parley.authz import Actor
from parley.config import Settings
from parley.db import migrate
from parley.db.engine import create_db_engine, get_engine, read_session, write_session
from parley.db.rls import create_app_role
from parley.positions.models import Position
from parley.processes.models import Party, Process
from parley.scenario.loader import load_scenario, read_scenario
from parley.texts.models import Bracket, BracketOption, Document, Provision
from support.databases import PG_PROBLEM, TemplateDatabases, fast_hashing, pg_exec

HERE = Path(__file__).resolve().parent
CANARY_SCENARIO = HERE / "canary.yaml"
CLOSED_SCENARIO = HERE / "canary_closed.yaml"
KEY = "canary"
CLOSED_KEY = "closed-talks"

# Space tags used in the canary markers (CANARY-<TAG>-<WHAT>).
SPACE_TAGS = {
    "party:AAA": "AAA",
    "party:AAA+mediator": "AAAMED",
    "party:BBB": "BBB",
    "party:BBB+mediator": "BBBMED",
    "mediator": "MEDIATOR",
    "participants": "PARTS",
    "public": "PUBLIC",
}
ALL_TAGS = frozenset(SPACE_TAGS.values()) | {"CLOSED"}
MARKER = re.compile(
    r"CANARY-(AAAMED|AAA|BBBMED|BBB|MEDIATOR|PARTS|PUBLIC|CLOSED)-[A-Z0-9-]*[A-Z0-9]", re.IGNORECASE
)


@dataclass(frozen=True)
class Persona:
    """Someone using Parley: which account, and which spaces of the canary process it may read."""

    name: str
    username: str | None
    password: str | None
    tags: frozenset[str]
    description: str

    @property
    def signed_in(self) -> bool:
        return self.username is not None


PUBLIC_ONLY = frozenset({"PUBLIC"})
PERSONAS: dict[str, Persona] = {
    p.name: p
    for p in (
        Persona("anonymous", None, None, PUBLIC_ONLY, "not signed in"),
        Persona(
            "mediator",
            "med",
            "med-password",
            frozenset({"PUBLIC", "PARTS", "MEDIATOR", "AAAMED", "BBBMED"}),
            "head of the mediator's team",
        ),
        Persona(
            "aaa-head",
            "aaa-head",
            "aaa-head-password",
            frozenset({"PUBLIC", "PARTS", "AAA", "AAAMED"}),
            "head of delegation AAA",
        ),
        Persona(
            "aaa-viewer",
            "aaa-viewer",
            "aaa-viewer-password",
            frozenset({"PUBLIC", "PARTS", "AAA", "AAAMED"}),
            "read-only member of AAA",
        ),
        Persona(
            "bbb-head",
            "bbb-head",
            "bbb-head-password",
            frozenset({"PUBLIC", "PARTS", "BBB", "BBBMED"}),
            "head of delegation BBB",
        ),
        Persona(
            "bbb-viewer",
            "bbb-viewer",
            "bbb-viewer-password",
            frozenset({"PUBLIC", "PARTS", "BBB", "BBBMED"}),
            "read-only member of BBB",
        ),
        Persona(
            "observer",
            "observer",
            "observer-password",
            PUBLIC_ONLY,
            "observer of the process (no delegation)",
        ),
        Persona(
            "operator",
            "root",
            "root-password-1",
            PUBLIC_ONLY,
            "operator account, member of no process",
        ),
    )
}
PERSONA_NAMES = tuple(PERSONAS)


@dataclass
class Template:
    """What tests need to know about a loaded canary database (the same in every copy)."""

    sessions: dict[str, tuple[str, str]]  # username -> (cookie, csrf token)
    refs: dict[str, str]  # named ids (see _refs)


def _refs(engine: sa.Engine) -> dict[str, str]:
    """Ids of the records the tests aim at, read as the system."""
    out: dict[str, str] = {}
    with read_session(engine) as s:
        processes = dict(s.execute(sa.select(Process.key, Process.id)).all())
        pid = processes[KEY]
        out["process"] = str(pid)
        out["closed_process"] = str(processes[CLOSED_KEY])
        parties = dict(
            s.execute(sa.select(Party.key, Party.id).where(Party.process_id == pid)).all()
        )
        docs = dict(
            s.execute(sa.select(Document.id, Document.key).where(Document.process_id == pid)).all()
        )
        for prov_id, doc_id, wid in s.execute(
            sa.select(Provision.id, Provision.document_id, Provision.wid).where(
                Provision.process_id == pid
            )
        ):
            out[f"provision:{docs[doc_id]}/{wid}"] = str(prov_id)
        for opt_id, bracket_key, opt_key in s.execute(
            sa.select(BracketOption.id, Bracket.key, BracketOption.key)
            .join(Bracket, Bracket.id == BracketOption.bracket_id)
            .where(Bracket.process_id == pid)
        ):
            out[f"option:{bracket_key}/{opt_key}"] = str(opt_id)
        party_key = {v: k for k, v in parties.items()}
        for pos in s.scalars(sa.select(Position).where(Position.process_id == pid)):
            out[f"position:{party_key[pos.party_id]}:{pos.reason}"] = str(pos.id)
        from parley.records.kinds import KINDS

        for slug, kind in KINDS.items():
            if "key" not in kind.model.__table__.c:
                continue
            for obj_id, key in s.execute(
                sa.select(kind.model.id, kind.model.key).where(kind.model.process_id == pid)
            ):
                out[f"{slug}:{key}"] = str(obj_id)
        # Records without a key, by the marker in one of their fields.
        for slug, column in (
            ("minutes", "text"),
            ("status-claims", "note"),
            ("fulfilment-events", "note"),
            ("notes", "title"),
        ):
            model = KINDS[slug].model
            for obj_id, text in s.execute(
                sa.select(model.id, getattr(model, column)).where(model.process_id == pid)
            ):
                out[f"{slug}:{text}"] = str(obj_id)
    return out


def note_markers() -> set[str]:
    """Notes are not part of the scenario format: the template adds one per space."""
    return {
        f"CANARY-{tag}-NOTE-{what}" for tag in SPACE_TAGS.values() for what in ("TITLE", "TEXT")
    }


def _add_notes(session: Any, process_id: uuid.UUID, actor: Actor) -> None:
    from parley.audit.records import audited_add
    from parley.notes.models import Note

    for space, tag in SPACE_TAGS.items():
        audited_add(
            session,
            Note(
                process_id=process_id,
                title=f"CANARY-{tag}-NOTE-TITLE",
                text=f"CANARY-{tag}-NOTE-TEXT",
                space=space,
            ),
            actor=actor,
            action="note:create",
        )


def _fill(engine: sa.Engine) -> Template:
    migrate.upgrade(engine)
    system = Actor.system("test")
    with fast_hashing():
        with write_session(engine) as session:
            process = load_scenario(session, read_scenario(CANARY_SCENARIO), actor=system)
            _add_notes(session, process.id, system)
        with write_session(engine) as session:
            load_scenario(session, read_scenario(CLOSED_SCENARIO), actor=system)
        with write_session(engine) as session:
            add_user(
                session,
                actor=system,
                username="root",
                password="root-password-1",
                display_name="Operator",
                is_operator=True,
            )
    sessions: dict[str, tuple[str, str]] = {}
    refs: dict[str, str] = {}
    with write_session(engine) as session:
        for persona in PERSONAS.values():
            if persona.username is None:
                continue
            user = session.scalars(sa.select(User).where(User.username == persona.username)).one()
            token, web = start_session(session, user, hours=12)
            sessions[persona.username] = (token, web.csrf_token)
        owner = session.scalars(sa.select(User).where(User.username == "aaa-head")).one()
        refs["token:aaa-head"] = create_token(session, actor=system, user=owner, name="matrix")
    from parley.auth.models import ApiToken

    with read_session(engine) as s:
        refs["token-id:aaa-head"] = str(s.scalars(sa.select(ApiToken.id)).one())
    refs.update(_refs(engine))
    return Template(sessions, refs)


def postgres_problem() -> str | None:
    return PG_PROBLEM


class CanaryTemplates(TemplateDatabases[Template]):
    """Per-worker templates of the canary database (see support.databases.TemplateDatabases)."""

    def __init__(self, tmp: Path) -> None:
        super().__init__("canary", tmp, _fill)

    def cleanup(self) -> None:
        super().cleanup()
        if _RLS_ROLE_USED:
            with contextlib.suppress(psycopg.Error):  # still granted in a database kept alive
                pg_exec(f'DROP ROLE IF EXISTS "{RLS_ROLE}"')


@dataclass
class Canary:
    """A fresh canary database, its app, and a signed-in client per persona."""

    url: str
    app: FastAPI
    template: Template
    stack: ExitStack
    clients: dict[str, TestClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The personas signed in when the template was made, which on a busy machine may be
        # longer ago than step-up's few minutes: a test starts with their sign-in fresh.
        from parley.auth.models import WebSession
        from parley.db.base import utcnow

        with write_session(self.engine()) as session:
            session.execute(sa.update(WebSession).values(reauthenticated_at=utcnow()))

    @property
    def refs(self) -> dict[str, str]:
        return self.template.refs

    def ref(self, name: str) -> str:
        return self.template.refs[name]

    def client(self, persona: str, *, base_url: str = "http://testserver") -> TestClient:
        """A client signed in as ``persona`` (anonymous: no cookie), reused within the test."""
        key = f"{persona}@{base_url}"
        if key not in self.clients:
            # Server errors come back as 500 responses, so that a crawl reports them all.
            client = TestClient(
                self.app, base_url=base_url, follow_redirects=False, raise_server_exceptions=False
            )
            username = PERSONAS[persona].username
            if username is not None:
                cookie = self.template.sessions[username][0]
                name = "__Host-parley_session" if base_url.startswith("https") else "parley_session"
                client.cookies.set(name, cookie)
            self.clients[key] = self.stack.enter_context(client)
        return self.clients[key]

    def csrf(self, persona: str) -> dict[str, str]:
        """The X-CSRF-Token header of ``persona``'s session (empty for anonymous)."""
        username = PERSONAS[persona].username
        if username is None:
            return {}
        return {"X-CSRF-Token": self.template.sessions[username][1]}

    def engine(self) -> sa.Engine:
        """The engine tests set up and check with: the owner's (the system), not the app's."""
        settings: Settings = self.app.state.settings
        if settings.database_app_url:  # PARLEY_TEST_RLS=1: the app's role sees only its spaces
            return get_engine(settings.database_url)
        engine: sa.Engine = self.app.state.engine
        return engine


# PARLEY_TEST_RLS=1: the web app connects to PostgreSQL as a role that owns nothing, so every
# web test also runs behind row-level security (parley.db.rls). Unique to this run; dropped at
# the end.
RLS_ROLE = f"parley_test_app_{uuid.uuid4().hex[:8]}"
_RLS_ROLE_USED: list[bool] = []


def _behind_the_wall(url: str) -> str:
    engine = create_db_engine(url)
    try:
        create_app_role(engine, RLS_ROLE)
    finally:
        engine.dispose()
    _RLS_ROLE_USED.append(True)
    return make_url(url).set(username=RLS_ROLE, password=None).render_as_string(False)


def make_settings(url: str, *, rls: bool = False, **overrides: Any) -> Settings:
    """Settings for a test app on ``url``; with ``rls`` (or PARLEY_TEST_RLS=1 for every web test)
    the app connects to PostgreSQL as a role that owns nothing, behind row-level security."""
    if (rls or os.environ.get("PARLEY_TEST_RLS") == "1") and url.startswith("postgresql"):
        overrides.setdefault("database_app_url", _behind_the_wall(url))
    # Test apps do not warm their engines in the background (tests/web/test_startup.py does).
    overrides.setdefault("warm_engines", False)
    return Settings(database_url=url, environment="development", **overrides)


def route_keys(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route; HEAD is implied by GET and not listed."""
    out: set[tuple[str, str]] = set()

    def add(path: str, methods: set[str] | None) -> None:
        for method in methods or {"GET"}:
            if method != "HEAD":
                out.add((method, path))

    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # an included router (FastAPI resolves them lazily)
            for context in contexts():
                add(context.path, set(context.methods))
        elif isinstance(route, Mount):
            add(route.path + "/{path}", {"GET"})
        else:
            add(getattr(route, "path", ""), getattr(route, "methods", None))
    return out
