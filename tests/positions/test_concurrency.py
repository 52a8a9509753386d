"""Two requests recording the same position at the same moment, on SQLite and PostgreSQL.

A delegation's position on a provision (or on one option of it) is one row. The race: request
A has written its change but not committed; request B reads the position (A's change is not
visible yet) and then writes. On PostgreSQL B waits for A's row or index entry and is then
refused: 409, nothing written (before: a 500 from StaleDataError on an update, and a second
row on a create). SQLite lets one writer in at a time, so B starts after A committed and
simply revises A's position. Either way there is one row, and no 500.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.config import Settings
from parley.db.engine import create_db_engine, read_session, write_session
from parley.positions.models import Position, PositionRevision, Stance
from parley.positions.service import record_position
from parley.processes.models import Party, Process
from parley.texts.models import BracketOption, Provision

SECRET = "test-secret-key-for-positions-races"
# How long A holds its transaction open waiting for B's read (generous: a loaded machine can
# take seconds to start B's request). SQLite never lets B read while A writes, so there A gives
# up after a shorter while and commits.
HOLD_SECONDS = {"postgresql": 20.0, "sqlite": 1.5}


def _ids(engine: sa.Engine) -> dict[str, Any]:
    with read_session(engine) as s:
        process = s.scalars(sa.select(Process).where(Process.key == "small")).one()
        provisions = dict(
            s.execute(
                sa.select(Provision.wid, Provision.id).where(Provision.process_id == process.id)
            ).all()
        )
        option_a = s.scalars(sa.select(BracketOption.id).where(BracketOption.key == "a")).first()
        aaa = s.scalars(
            sa.select(Party.id).where(Party.process_id == process.id, Party.key == "AAA")
        ).one()
        return {
            "process": process.id,
            "aaa": aaa,
            "p1": provisions["p1"],
            "p2": provisions["p2"],
            "option_a": option_a,
        }


def _matching(party: Any, provision: Any, option: Any) -> Any:
    return sa.select(Position).where(
        Position.party_id == party,
        Position.provision_id == provision,
        Position.option_id.is_(None) if option is None else Position.option_id == option,
    )


def _revisions(engine: sa.Engine, party: Any, provision: Any, option: Any) -> int:
    with read_session(engine) as s:
        position = s.scalars(_matching(party, provision, option)).first()
        if position is None:
            return 0
        return int(
            s.scalar(
                sa.select(sa.func.count())
                .select_from(PositionRevision)
                .where(PositionRevision.position_id == position.id)
            )
            or 0
        )


def _alpha(engine: sa.Engine) -> Actor:
    with read_session(engine) as s:
        user = s.scalars(sa.select(User).where(User.username == "alpha")).one()
        return actor_for(s, user)


@pytest.fixture
def app_and_engine(small_url: str) -> Iterator[tuple[TestClient, sa.Engine]]:
    app = create_app(Settings(database_url=small_url, secret_key=SECRET))
    own = create_db_engine(small_url)  # A's engine: the listener below sees only B's requests
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, own
    own.dispose()


@pytest.mark.parametrize("case", ["create", "update"])
def test_the_later_of_two_concurrent_writes_is_refused_or_serialised(
    app_and_engine: tuple[TestClient, sa.Engine], case: str
) -> None:
    client, engine = app_and_engine
    ids = _ids(engine)
    actor = _alpha(engine)
    # "create": the whole of p1, where AAA has no position yet (its option is NULL, which a
    # plain unique constraint would not catch). "update": AAA's position on option a of p2.
    provision, option = (ids["p1"], None) if case == "create" else (ids["p2"], ids["option_a"])
    revisions_before = _revisions(engine, ids["aaa"], provision, option)
    token = client.post(
        "/api/v1/auth/token", json={"username": "alpha", "password": "alpha-password"}
    ).json()["token"]

    a_wrote = threading.Event()
    read_while_held: list[bool] = []
    b_read = threading.Event()

    def after_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM positions" in statement:
            b_read.set()

    sa.event.listen(client.app.state.engine, "after_cursor_execute", after_execute)  # type: ignore[attr-defined]

    def request_a() -> None:
        with write_session(engine) as session:
            record_position(
                session,
                actor=actor,
                process_id=ids["process"],
                provision_id=provision,
                option_id=option,
                values={"stance": "reject", "priority": 10, "reason": "A"},
            )
            a_wrote.set()
            read_while_held.append(b_read.wait(HOLD_SECONDS[engine.dialect.name]))

    def request_b() -> Any:
        assert a_wrote.wait(10)
        return client.post(
            "/api/v1/processes/small/positions",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "provision_id": str(provision),
                "option_id": str(option) if option else None,
                "stance": "accept",
                "reason": "B",
            },
        )

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(request_a)
        second = pool.submit(request_b)
        first.result(timeout=60)
        response = second.result(timeout=60)
    sa.event.remove(client.app.state.engine, "after_cursor_execute", after_execute)  # type: ignore[attr-defined]

    with read_session(engine) as s:
        rows = s.scalars(_matching(ids["aaa"], provision, option)).all()
        assert len(rows) == 1, f"{len(rows)} positions for one party and provision"
    added = _revisions(engine, ids["aaa"], provision, option) - revisions_before
    if engine.dialect.name == "postgresql":
        assert read_while_held == [True], "B did not read while A held its transaction: no race"
        assert response.status_code == 409, response.text
        detail = response.json()["detail"]
        assert detail.startswith("position:") if case == "create" else "reload" in detail
        assert rows[0].stance == Stance.REJECT and rows[0].reason == "A"  # A's, untouched by B
        assert added == 1  # A's; B left no revision behind
    else:
        assert read_while_held == [False]  # SQLite: B could not even read before A committed
        assert response.status_code == 201, response.text
        assert rows[0].stance == Stance.ACCEPT and rows[0].reason == "B"  # B revised A's
        assert added == 2


def test_the_database_refuses_a_second_row_for_the_same_position(small_url: str) -> None:
    engine = create_db_engine(small_url)
    ids = _ids(engine)
    try:
        for option in (None, ids["option_a"]):
            base = {
                "process_id": ids["process"],
                "party_id": ids["aaa"],
                "provision_id": ids["p2"],
                "option_id": option,
                "stance": Stance.ACCEPT,
                "space": "party:AAA",
            }
            with write_session(engine) as session:
                if option is None:  # the small scenario has option positions only
                    session.add(Position(**base))
            with pytest.raises(sa.exc.IntegrityError), write_session(engine) as session:
                session.add(Position(**base))
        # Another option of the same provision, or another party, is another position.
        with read_session(engine) as s:
            option_b = s.scalars(sa.select(BracketOption.id).where(BracketOption.key == "b")).one()
            bbb = s.scalars(
                sa.select(Party.id).where(Party.process_id == ids["process"], Party.key == "BBB")
            ).one()
        with write_session(engine) as session:
            common = {"process_id": ids["process"], "stance": Stance.ACCEPT}
            session.add(
                Position(
                    **common,
                    party_id=bbb,
                    provision_id=ids["p2"],
                    option_id=option_b,
                    space="party:BBB",
                )
            )
            session.add(Position(**common, party_id=bbb, provision_id=ids["p1"], space="party:BBB"))
    finally:
        engine.dispose()
