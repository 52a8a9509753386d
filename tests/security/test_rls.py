"""Row-level security: the second wall holds even when authz is bypassed (PostgreSQL only).

One Miami database for the module, migrated and loaded by the superuser (which bypasses
row-level security), and a uniquely named role that owns nothing, created the way operators do
(``parley.db.rls.create_app_role``). Every test then connects as that role and asks with raw
SQL — no ``authz.visible`` anywhere — for rows it should not get.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from parley.app import create_app
from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.authz.visibility import visible, visible_provision_ids
from parley.config import Settings
from parley.db import migrate
from parley.db.base import Base, Spaced
from parley.db.engine import create_db_engine, dispose_engines, read_session
from parley.db.registry import metadata
from parley.db.rls import (
    NOTHING,
    SYSTEM,
    AppRoleError,
    actor_spaces,
    bind_actor,
    bind_spaces,
    create_app_role,
)
from parley.notes.models import Note
from parley.positions.models import Position
from parley.processes.models import Process
from parley.texts.models import Provision, ProvisionText, Version
from positions.conftest import KEY, USERS
from support.databases import MiamiDatabases, require_backend
from web.support import route_keys

PG_ADMIN = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")

SPACED_MODELS = sorted(
    (m.class_ for m in Base.registry.mappers if issubclass(m.class_, Spaced)),
    key=lambda cls: cls.__tablename__,
)


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.encode())


@dataclass
class Walled:
    owner_url: str  # the superuser: bypasses row-level security, sees the truth
    app_url: str  # the role that owns nothing
    sessions: dict[str, tuple[str, str]]
    owner: sa.Engine
    app: sa.Engine
    process_id: uuid.UUID

    def actor(self, username: str | None) -> Actor:
        if username is None:
            return Actor.anonymous()
        with read_session(self.owner) as session:
            user = session.scalars(sa.select(User).where(User.username == username)).one()
            return actor_for(session, user)

    def as_app(self, spaces: str | None) -> Session:
        """A session as the app role; ``spaces`` None binds nothing at all (not even empty)."""
        session = Session(self.app)
        if spaces is not None:
            bind_spaces(session, spaces)
        return session


@pytest.fixture(scope="module")
def walled(
    tmp_path_factory: pytest.TempPathFactory, miami_templates: MiamiDatabases
) -> Iterator[Walled]:
    require_backend("postgresql")
    url, sessions = miami_templates.copy("postgresql", tmp_path_factory.mktemp("rls-db"))
    role = f"parley_rls_test_{uuid.uuid4().hex[:8]}"
    owner = create_db_engine(url)
    assert create_app_role(owner, role) is True
    # pg_hba trusts local connections in the test setup, so the role needs no password.
    app_url = make_url(url).set(username=role, password=None).render_as_string(False)
    app = create_db_engine(app_url, rls_system_default=False)
    with read_session(owner) as session:
        process_id = session.scalars(sa.select(Process.id).where(Process.key == KEY)).one()
    try:
        yield Walled(url, app_url, sessions, owner, app, process_id)
    finally:
        app.dispose()
        owner.dispose()
        dispose_engines()
        _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        _admin(f'DROP ROLE IF EXISTS "{role}"')


def _count(session: Session, table: str, where: str = "true") -> int:
    return int(session.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one())  # noqa: S608


# ---------------------------------------------------------------- the role and the tables


def test_every_table_with_a_process_is_walled_and_forced(walled: Walled) -> None:
    with walled.owner.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
        ).all()
    flags = {name: (on, forced) for name, on, forced in rows}
    with_process = sorted(t.name for t in metadata.sorted_tables if "process_id" in t.c)
    assert with_process, "no process tables found"
    unwalled = [t for t in with_process if flags.get(t) != (True, True)]
    assert unwalled == []


def test_the_app_role_owns_nothing_and_cannot_bypass(walled: Walled) -> None:
    with walled.app.connect() as conn:
        owned = conn.execute(
            sa.text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        ).scalar_one()
        flags = conn.execute(
            sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        with pytest.raises(sa.exc.ProgrammingError, match="must be owner|permission denied"):
            conn.execute(sa.text("ALTER TABLE notes DISABLE ROW LEVEL SECURITY"))
    assert owned == 0
    assert tuple(flags) == (False, False)


def test_a_bad_role_name_is_refused_naming_the_field(walled: Walled) -> None:
    with pytest.raises(AppRoleError, match=r"^name: 'x; drop table notes' is not a role name"):
        create_app_role(walled.owner, "x; drop table notes")


# ---------------------------------------------------------------- reads


def test_with_no_spaces_bound_nothing_confidential_is_readable(walled: Walled) -> None:
    for spaces in (None, NOTHING):
        with walled.as_app(spaces) as session:
            for model in SPACED_MODELS:
                table = model.__tablename__
                # The process is published: its public records are everyone's, nothing else.
                assert _count(session, table, "space <> 'public'") == 0, (spaces, table)


def test_a_party_reading_raw_sql_gets_none_of_another_partys_rows(walled: Walled) -> None:
    ukraine = walled.actor("ukraine")
    with walled.as_app(actor_spaces(ukraine)) as session:
        for table in ("positions", "position_revisions", "notes", "versions", "audit_events"):
            foreign = "space LIKE 'party:RU%' OR space LIKE 'party:EUR%' OR space = 'mediator'"
            assert _count(session, table, foreign) == 0, table
            with walled.owner.connect() as conn:
                own = _count_conn(conn, table, "space LIKE 'party:UA%'")
            assert _count(session, table, "space LIKE 'party:UA%'") == own, table
    # ...although they are there (the owner's superuser sees them).
    with walled.owner.connect() as conn:
        assert conn.execute(
            sa.text("SELECT count(*) FROM positions WHERE space LIKE 'party:RU%'")
        ).scalar_one()


@pytest.mark.parametrize("username", [*USERS, None])
def test_the_wall_admits_exactly_what_authz_visible_admits(
    walled: Walled, username: str | None
) -> None:
    actor = walled.actor(username)
    membership = actor.membership(walled.process_id)
    with read_session(walled.owner) as truth, walled.as_app(actor_spaces(actor)) as walled_s:
        for model in SPACED_MODELS:
            admitted = visible(actor, model)
            if membership is not None and membership.is_mediator:
                # The mediator party's own space, where the app writes the mediator's records.
                own = sa.and_(
                    model.process_id == walled.process_id,
                    model.space == f"party:{membership.party_key}",
                )
                admitted = sa.or_(admitted, own)
            expected = truth.scalar(sa.select(sa.func.count()).select_from(model).where(admitted))
            assert _count(walled_s, model.__tablename__) == expected, (username, model)
        # Provisions have no space: visible when a visible version contains them.
        expected = truth.scalar(
            sa.select(sa.func.count(sa.distinct(Provision.id))).where(
                Provision.id.in_(visible_provision_ids(actor))
            )
        )
        assert _count(walled_s, "provisions") == expected, username


def test_the_mediator_sees_what_parties_shared_with_it_but_not_their_own_spaces(
    walled: Walled,
) -> None:
    with walled.as_app(actor_spaces(walled.actor("mediator"))) as session:
        assert _count(session, "positions", "space = 'party:RU+mediator'") > 0
        assert _count(session, "positions", "space = 'mediator'") > 0
        assert _count(session, "positions", "space IN ('party:RU', 'party:UA', 'party:EUR')") == 0
    with walled.as_app(actor_spaces(walled.actor("russia"))) as session:
        assert _count(session, "positions", "space = 'mediator'") == 0


def test_child_rows_follow_their_parent(walled: Walled) -> None:
    """Provision texts and provisions have no space: they are visible with their version.

    Every Miami version is shared with all participants, so one is made Russia's private draft
    for the length of this test.
    """
    with walled.owner.begin() as conn:
        draft = conn.execute(
            sa.text("SELECT id FROM versions ORDER BY created_at DESC LIMIT 1")
        ).scalar_one()
        conn.execute(sa.text("UPDATE versions SET space = 'party:RU' WHERE id = :v"), {"v": draft})
    try:
        ukraine = walled.actor("ukraine")
        with read_session(walled.owner) as truth:
            total = truth.scalar(sa.select(sa.func.count()).select_from(ProvisionText))
            expected = truth.scalar(
                sa.select(sa.func.count())
                .select_from(ProvisionText)
                .join(Version, Version.id == ProvisionText.version_id)
                .where(visible(ukraine, Version))
            )
            provisions = truth.scalar(
                sa.select(sa.func.count(sa.distinct(Provision.id))).where(
                    Provision.id.in_(visible_provision_ids(ukraine))
                )
            )
        with walled.as_app(actor_spaces(ukraine)) as session:
            assert _count(session, "provision_texts") == expected
            assert _count(session, "provisions") == provisions
            assert _count(session, "provision_texts", f"version_id = '{draft}'") == 0
        assert expected is not None and total is not None and expected < total
        with walled.as_app(actor_spaces(walled.actor("russia"))) as session:
            assert _count(session, "provision_texts", f"version_id = '{draft}'") > 0
    finally:
        with walled.owner.begin() as conn:
            conn.execute(
                sa.text("UPDATE versions SET space = 'participants' WHERE id = :v"), {"v": draft}
            )


def test_the_system_value_sees_everything(walled: Walled) -> None:
    with walled.as_app(SYSTEM) as session, walled.owner.connect() as conn:
        for table in ("positions", "notes", "audit_events", "provisions"):
            truth = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            assert _count(session, table) == truth


def test_the_spaces_last_only_for_the_transaction(walled: Walled) -> None:
    with walled.app.connect() as conn:
        with conn.begin():
            conn.execute(sa.text("SELECT set_config('parley.spaces', '*', true)"))
            assert _count_conn(conn, "positions") > 0
        with conn.begin():  # same pooled connection, next transaction: closed again
            assert _count_conn(conn, "positions", "space <> 'public'") == 0


def _count_conn(conn: sa.Connection, table: str, where: str = "true") -> int:
    return int(conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one())  # noqa: S608


def test_an_authz_internal_read_sees_across_spaces_and_then_the_wall_is_back(
    walled: Walled,
) -> None:
    ukraine = walled.actor("ukraine")
    with read_session(walled.owner) as truth:
        all_positions = truth.scalar(sa.select(sa.func.count()).select_from(Position))
    with walled.as_app(actor_spaces(ukraine)) as session:
        internal = session.scalar(
            sa.select(sa.func.count()).select_from(Position).execution_options(authz_internal=True)
        )
        after = session.scalar(sa.select(sa.func.count()).select_from(Position))
    assert internal == all_positions
    assert after is not None and after < all_positions


# ---------------------------------------------------------------- writes


def _note(session: Session, process_id: uuid.UUID, space: str) -> None:
    session.add(Note(process_id=process_id, space=space, title="planted", text="planted"))
    session.flush()


def test_a_party_cannot_write_into_another_partys_space(walled: Walled) -> None:
    ukraine = actor_spaces(walled.actor("ukraine"))
    with walled.as_app(ukraine) as session:
        _note(session, walled.process_id, "party:UA")  # its own space: fine
        session.rollback()
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            _note(session, walled.process_id, "party:RU")
        session.rollback()
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            _note(session, walled.process_id, "mediator")


def test_a_party_cannot_move_its_row_into_another_partys_space(walled: Walled) -> None:
    with (
        walled.as_app(actor_spaces(walled.actor("ukraine"))) as session,
        pytest.raises(sa.exc.ProgrammingError, match="row-level security"),
    ):
        session.execute(sa.text("UPDATE positions SET space = 'party:RU' WHERE space = 'party:UA'"))


def test_a_party_cannot_change_or_delete_rows_it_cannot_see(walled: Walled) -> None:
    with walled.as_app(actor_spaces(walled.actor("ukraine"))) as session:
        changed = session.execute(
            sa.text("UPDATE positions SET space = space WHERE space LIKE 'party:RU%'")
        )
        deleted = session.execute(sa.text("DELETE FROM positions WHERE space LIKE 'party:RU%'"))
        assert (changed.rowcount, deleted.rowcount) == (0, 0)
        session.rollback()


# ---------------------------------------------------------------- the real app behind the wall


def _json_lists(app_settings: Settings, cookie: str | None) -> dict[str, object]:
    """Every GET route of the app whose only parameter is the process key, as JSON."""
    app = create_app(app_settings)
    out: dict[str, object] = {}
    with TestClient(app, follow_redirects=False) as client:
        if cookie:
            client.cookies.set("parley_session", cookie)
        for method, template in sorted(route_keys(app)):
            params = re.findall(r"{(\w+)[^}]*}", template)
            if method != "GET" or set(params) - {"key"} or template.startswith("/static"):
                continue
            if template.endswith("/events") or "export" in template or "download" in template:
                continue  # a stream that never ends; file downloads say nothing about counts
            path = template.replace("{key}", KEY)
            response = client.get(path, headers={"Accept": "application/json"})
            body: object = response.status_code
            if response.headers.get("content-type", "").startswith("application/json"):
                body = (response.status_code, response.json())
            out[path] = body
    app.state.engine.dispose()
    return out


@pytest.mark.parametrize("username", ["mediator", "ukraine", "russia", "observer", None])
def test_the_app_connected_as_the_app_role_answers_as_it_does_without_the_wall(
    walled: Walled, username: str | None
) -> None:
    cookie = walled.sessions[username][0] if username else None
    # The sign-in stays fresh across both runs, however slow the machine: the pages that ask
    # for a recent password answer alike.
    fresh = {"environment": "development", "step_up_minutes": 24 * 60}
    plain = Settings(database_url=walled.owner_url, **fresh)
    behind = Settings(database_url=walled.owner_url, database_app_url=walled.app_url, **fresh)
    expected = _json_lists(plain, cookie)
    got = _json_lists(behind, cookie)
    assert len(expected) > 10
    assert [p for p in expected if got.get(p) != expected[p]] == []
    # The pages answered (not all 404), so the comparison compared something.
    assert (
        sum(1 for v in expected.values() if v == 200 or (isinstance(v, tuple) and v[0] == 200)) > 5
    )


def test_the_app_engine_binds_nothing_by_default_and_sees_nothing(walled: Walled) -> None:
    """A code path that forgets to bind fails closed (only published public rows remain)."""
    with Session(walled.app) as session:
        assert _count(session, "positions", "space <> 'public'") == 0
        bind_actor(session, walled.actor("ukraine"))
        assert _count(session, "positions", "space = 'party:UA'") > 0


# ---------------------------------------------------------------- the migration


def test_the_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    require_backend("postgresql")
    name = f"parley_rls_mig_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    engine = create_db_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    try:
        migrate.upgrade(engine, "0010_rls")  # not "heads": later migrations are not ours

        def forced() -> int:
            with engine.connect() as conn:
                return int(
                    conn.execute(
                        sa.text("SELECT count(*) FROM pg_class WHERE relforcerowsecurity")
                    ).scalar_one()
                )

        assert forced() > 40
        migrate_downgrade(engine, "0009b_webauthn")  # one parent: only the merge goes
        assert forced() == 0
        assert "0010_rls" not in migrate.current_heads(engine)
        migrate.upgrade(engine, "0010_rls")
        assert forced() > 40
    finally:
        engine.dispose()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_downgrade(engine: sa.Engine, revision: str) -> None:
    from alembic import command

    config = migrate.alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
