"""PostgreSQL row-level security: the second wall behind :mod:`parley.authz`.

Every confidential table carries a policy (migration ``0010_rls``) that admits a row only when
the transaction's ``parley.spaces`` setting names its space. The setting is a comma-separated
list of ``<process id>|<space>`` tokens, or ``*`` (the system: CLI, migrations, background
jobs). Unset or empty admits nothing but the ``public`` records of published processes: the
wall fails closed.

The value hangs on the SQLAlchemy session (``session.info``) and is applied with
``set_config(..., true)`` — local to the transaction, so a pooled connection never carries one
request's spaces into the next — each time the session begins a transaction, and at once when
it is bound mid-transaction. On SQLite all of this is a no-op; authz is the only wall there.

Reads that authz deliberately does unscoped (``execution_options(authz_internal=True)``: key
clashes across spaces, building the actor from its memberships) run with the system value for
that one statement and the session's value is put back straight after.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

if TYPE_CHECKING:
    from parley.authz.actor import Actor

SETTING = "parley.spaces"
SYSTEM = "*"
NOTHING = ""
INFO_KEY = "parley_spaces"
INTERNAL = "authz_internal"  # parley.authz.visibility.INTERNAL (not imported: no cycle)

_SET = sa.text("SELECT set_config('parley.spaces', :value, true)")


def actor_spaces(actor: Actor) -> str:
    """The ``parley.spaces`` value for an actor: exactly the spaces ``authz.visible`` admits.

    A mediator's ``<process>|mediator`` token also admits every ``party:P+mediator`` space of
    that process (the policy knows the rule), as ``visible`` does with ``LIKE``.
    """
    if actor.is_system:
        return SYSTEM
    tokens: list[str] = []
    for process_id, membership in sorted(actor.memberships.items(), key=lambda kv: str(kv[0])):
        if membership.party_key is None:
            spaces = ["public"]
        elif membership.is_mediator:
            # Plus the mediator party's own space, where the app writes its records (its
            # signing keys' audit events); authz.visible does not list it, and it holds no other
            # party's rows.
            spaces = ["public", "participants", "mediator", f"party:{membership.party_key}"]
        else:
            own = membership.party_key
            spaces = ["public", "participants", f"party:{own}", f"party:{own}+mediator"]
        tokens.extend(f"{process_id}|{space}" for space in spaces)
    return ",".join(tokens)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bind_spaces(session: Session, spaces: str | Iterable[str]) -> None:
    """Make every transaction of ``session`` see only ``spaces`` (from now on, on PostgreSQL).

    ``spaces`` is :data:`SYSTEM`, a ready ``parley.spaces`` value, or an iterable of
    ``<process id>|<space>`` tokens (empty: nothing).
    """
    value = spaces if isinstance(spaces, str) else ",".join(spaces)
    session.info[INFO_KEY] = value
    if session.in_transaction() and _is_postgres(session):
        session.connection().execute(_SET, {"value": value})


def bind_actor(session: Session, actor: Actor) -> None:
    """Bind the spaces ``actor`` may read (what every web request does once it knows its actor)."""
    bind_spaces(session, actor_spaces(actor))


def bound_spaces(session: Session) -> str | None:
    value = session.info.get(INFO_KEY)
    return value if isinstance(value, str) else None


@sa.event.listens_for(Session, "after_begin")
def _apply_on_begin(session: Session, _tx: SessionTransaction, connection: sa.Connection) -> None:
    value = session.info.get(INFO_KEY)
    if value is not None and connection.dialect.name == "postgresql":
        connection.execute(_SET, {"value": value})


@sa.event.listens_for(Session, "do_orm_execute")
def _internal_reads_see_everything(state: ORMExecuteState) -> Any:
    """Run an ``authz_internal`` read with the system value, then restore the session's own."""
    if not state.execution_options.get(INTERNAL):
        return None
    session = state.session
    value = bound_spaces(session)
    if value is None or value == SYSTEM or not _is_postgres(session):
        return None
    connection = session.connection()
    connection.execute(_SET, {"value": SYSTEM})
    try:
        frozen = state.invoke_statement().freeze()  # every row fetched before the wall returns
    finally:
        connection.execute(_SET, {"value": value})
    return frozen()


def install_system_default(engine: sa.Engine) -> None:
    """Transactions on ``engine`` start as the system unless their session binds spaces.

    For the engine of ``PARLEY_DATABASE_URL`` (the owner: CLI, migrations, background jobs).
    The web app's engine for ``PARLEY_DATABASE_APP_URL`` does not get this: unbound, it sees
    nothing.
    """
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "begin")
    def _system(connection: sa.Connection) -> None:
        connection.execute(_SET, {"value": SYSTEM})


ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class AppRoleError(ValueError):
    pass


def create_app_role(engine: sa.Engine, name: str, *, password: str | None = None) -> bool:
    """Create (or refresh the grants of) ``name``: a login role that owns nothing.

    It may read and change rows (subject to row-level security) but not the schema, and it
    cannot bypass row-level security. Tables the connecting role creates later (new
    migrations) are granted to it too. Returns True when the role was created now.
    """
    if engine.dialect.name != "postgresql":
        raise AppRoleError("database: an app role needs PostgreSQL; SQLite has no roles")
    if not ROLE_NAME.match(name):
        raise AppRoleError(
            f"name: {name!r} is not a role name Parley accepts "
            "(lowercase letters, digits and '_', starting with a letter or '_', at most 63)"
        )
    with engine.begin() as connection:
        owner = connection.scalar(sa.text("SELECT current_user"))
        if name == owner:
            raise AppRoleError(f"name: {name!r} is the role that owns the tables; pick another")
        exists = connection.scalar(
            sa.text("SELECT count(*) FROM pg_roles WHERE rolname = :n"), {"n": name}
        )
        if exists:
            super_or_bypass = connection.scalar(
                sa.text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = :n"),
                {"n": name},
            )
            if super_or_bypass:
                raise AppRoleError(
                    f"name: {name!r} is a superuser or may bypass row-level security"
                )
        else:
            connection.exec_driver_sql(
                f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'
            )
        if password is not None:
            quoted = connection.scalar(sa.text("SELECT quote_literal(:p)"), {"p": password})
            connection.exec_driver_sql(f'ALTER ROLE "{name}" PASSWORD {quoted}')
        database = connection.scalar(sa.text("SELECT current_database()"))
        dml = "SELECT, INSERT, UPDATE, DELETE"
        for statement in (
            f'GRANT CONNECT ON DATABASE "{database}" TO "{name}"',
            f'GRANT USAGE ON SCHEMA public TO "{name}"',
            f'GRANT {dml} ON ALL TABLES IN SCHEMA public TO "{name}"',
            # The schema's revision is the migrating role's business.
            f'REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM "{name}"',
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{name}"',
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {dml} ON TABLES TO "{name}"',
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f'GRANT USAGE, SELECT ON SEQUENCES TO "{name}"',
        ):
            connection.exec_driver_sql(statement)
    return not exists
