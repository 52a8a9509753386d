"""Who puts whom in a delegation (issue #13, item 7): a delegation's head manages its own
delegation; the operator names only a delegation's first head (or an observer), never itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.authz.permissions import Forbidden, StepUpRequired
from parley.db.engine import create_db_engine, write_session
from parley.processes.models import Party, PartyKind, Process
from parley.processes.service import MembershipError, remove_membership, set_membership

SYSTEM = Actor.system("test")


@pytest.fixture
def engine(small_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(small_url)
    with write_session(engine) as s:
        process = s.scalars(sa.select(Process).where(Process.key == "small")).one()
        s.add(
            Party(
                process_id=process.id,
                key="CCC",
                name="Gamma",
                kind=PartyKind.PARTY,
                space="participants",
            )
        )
        operator = User(username="root-op", display_name="Op", password_hash="x", is_operator=True)
        s.add(operator)
        for name in ("newcomer", "second"):
            s.add(User(username=name, display_name=name, password_hash="x"))
    yield engine
    engine.dispose()


def _actor(engine: sa.Engine, username: str, *, stepped_up: bool = True) -> Actor:
    """The account as an actor that has just proved who it is (granting a place needs it)."""
    with write_session(engine) as s:
        actor = actor_for(s, s.scalars(sa.select(User).where(User.username == username)).one())
    return dataclasses.replace(actor, stepped_up=stepped_up)


def _join(engine: sa.Engine, actor: Actor, username: str, party: str | None, role: str) -> None:
    with write_session(engine) as s:
        set_membership(
            s, actor=actor, process_key="small", username=username, party_key=party, role=role
        )


def test_an_operator_cannot_make_itself_a_member(engine: sa.Engine) -> None:
    operator = _actor(engine, "root-op")
    with pytest.raises(Forbidden):
        _join(engine, operator, "root-op", "AAA", "member")
    with pytest.raises(Forbidden):
        _join(engine, operator, "root-op", "CCC", "head")  # not even as a first head
    # ... and so still reads nothing of the process.
    assert _actor(engine, "root-op").memberships == {}


def test_the_operator_names_only_a_first_head(engine: sa.Engine) -> None:
    operator = _actor(engine, "root-op")
    with pytest.raises(Forbidden):
        _join(engine, operator, "newcomer", "AAA", "member")  # AAA has its head
    with pytest.raises(Forbidden):
        _join(engine, operator, "newcomer", "AAA", "head")
    _join(engine, operator, "newcomer", "CCC", "head")  # CCC has no head yet
    with pytest.raises(Forbidden):
        _join(engine, operator, "second", "CCC", "member")  # now its head decides
    _join(engine, operator, "second", None, "observer")  # observers read the public record only


def test_a_head_manages_its_own_delegation_only(engine: sa.Engine) -> None:
    alpha = _actor(engine, "alpha")
    with pytest.raises(Forbidden):
        _join(engine, alpha, "newcomer", "BBB", "member")
    _join(engine, alpha, "newcomer", "AAA", "viewer")
    assert _actor(engine, "newcomer").memberships  # joined
    with pytest.raises(Forbidden):
        _join(engine, _actor(engine, "alpha-viewer"), "second", "AAA", "member")
    with pytest.raises(Forbidden):
        _join(engine, _actor(engine, "beta"), "second", "AAA", "member")


def test_the_servers_command_line_may_do_anything(engine: sa.Engine) -> None:
    _join(engine, SYSTEM, "second", "AAA", "member")


def test_granting_a_place_needs_step_up(engine: sa.Engine) -> None:
    with pytest.raises(StepUpRequired):
        _join(engine, _actor(engine, "alpha", stepped_up=False), "newcomer", "AAA", "member")
    with pytest.raises(StepUpRequired):
        _join(engine, _actor(engine, "root-op", stepped_up=False), "newcomer", "CCC", "head")


def test_a_head_cannot_take_another_delegations_member(engine: sa.Engine) -> None:
    _join(engine, _actor(engine, "beta"), "second", "BBB", "member")
    with pytest.raises(MembershipError, match="username"):
        _join(engine, _actor(engine, "alpha"), "second", "AAA", "member")
    # ... nor the operator turn it into an observer.
    with pytest.raises(MembershipError, match="username"):
        _join(engine, _actor(engine, "root-op"), "second", None, "observer")
    assert _party_of(engine, "second") == "BBB"


def _party_of(engine: sa.Engine, username: str) -> str | None:
    actor = _actor(engine, username)
    (m,) = actor.memberships.values()
    return m.party_key


def _leave(engine: sa.Engine, actor: Actor, username: str, party: str) -> None:
    with write_session(engine) as s:
        remove_membership(s, actor=actor, process_key="small", username=username, party_key=party)


def test_a_head_removes_its_own_members_only(engine: sa.Engine) -> None:
    alpha = _actor(engine, "alpha")
    _join(engine, alpha, "newcomer", "AAA", "member")
    _join(engine, _actor(engine, "beta"), "second", "BBB", "member")
    with pytest.raises(Forbidden):
        _leave(engine, _actor(engine, "beta"), "newcomer", "AAA")
    with pytest.raises(Forbidden):
        _leave(engine, _actor(engine, "root-op"), "newcomer", "AAA")
    # A member of another delegation, an unknown account, someone in no delegation: one answer.
    answers = set()
    for username in ("second", "nobody-at-all", "root-op"):
        with pytest.raises(MembershipError) as refused:
            _leave(engine, alpha, username, "AAA")
        answers.add(str(refused.value).replace(username, "X"))
    assert len(answers) == 1
    _leave(engine, alpha, "newcomer", "AAA")
    assert _actor(engine, "newcomer").memberships == {}


def test_a_delegation_keeps_a_head(engine: sa.Engine) -> None:
    alpha = _actor(engine, "alpha")
    with pytest.raises(MembershipError, match="role: a delegation keeps at least one head"):
        _join(engine, alpha, "alpha", "AAA", "member")
    with pytest.raises(MembershipError, match="at least one head"):
        _leave(engine, alpha, "alpha", "AAA")
    _join(engine, alpha, "newcomer", "AAA", "head")  # a second head first
    _leave(engine, alpha, "alpha", "AAA")  # then the first may go
    assert _actor(engine, "alpha").memberships == {}
