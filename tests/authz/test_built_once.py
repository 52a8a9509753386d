"""visible(), visible_processes() and per_reader() build once per set of memberships (issue 18):
the same SQL for actors that read alike, never one actor's condition for another."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.authz import Actor, Membership
from parley.authz.visibility import per_reader, visible, visible_processes
from parley.notes.models import Note
from parley.positions.models import Position

P1, P2 = uuid.UUID(int=1), uuid.UUID(int=2)


def _actor(*memberships: Membership, user: int = 7, system: bool = False) -> Actor:
    if system:
        return Actor.system()
    return Actor(
        user_id=uuid.UUID(int=user),
        name=f"u{user}",
        memberships={m.process_id: m for m in memberships},
    )


def _sql(clause: sa.ColumnElement[bool]) -> str:
    return str(clause.compile(compile_kwargs={"literal_binds": True}))


HEAD_UA = Membership(P1, "head", uuid.UUID(int=11), "UA")
HEAD_RU = Membership(P1, "head", uuid.UUID(int=12), "RU")
MEDIATOR = Membership(P1, "member", uuid.UUID(int=13), "US", is_mediator=True)
OBSERVER = Membership(P2, "observer")


def test_two_users_of_one_delegation_share_the_condition_and_others_do_not() -> None:
    first, second = _actor(HEAD_UA, user=1), _actor(HEAD_UA, user=2)
    assert visible(first, Note) is visible(second, Note)
    assert visible(first, Note) is not visible(first, Position)
    other = visible(_actor(HEAD_RU), Note)
    assert other is not visible(first, Note)
    assert "party:RU" in _sql(other) and "party:UA" not in _sql(other)
    assert "party:UA" in _sql(visible(first, Note)) and "party:RU" not in _sql(visible(first, Note))


def test_the_system_and_the_anonymous_are_kept_apart() -> None:
    assert _sql(visible(Actor.system(), Note)) == "true"
    anonymous = _sql(visible(Actor.anonymous(), Note))
    assert "published" in anonymous and anonymous != "true"
    built = per_reader(lambda actor: object())
    assert built(Actor.system()) is not built(Actor.anonymous())
    assert built(Actor.anonymous()) is built(Actor.anonymous())


def test_per_reader_builds_once_per_set_of_memberships() -> None:
    calls: list[Actor] = []

    def build(actor: Actor) -> str:
        calls.append(actor)
        return _sql(visible(actor, Note))

    built = per_reader(build)
    ua1, ua2, ru = _actor(HEAD_UA, user=1), _actor(HEAD_UA, user=2), _actor(HEAD_RU, user=3)
    assert built(ua1) == built(ua2) != built(ru)
    assert len(calls) == 2
    assert built(ru) == _sql(visible(ru, Note))


def test_visible_processes_lists_exactly_the_actors_processes() -> None:
    one = _sql(visible_processes(_actor(HEAD_UA)))
    both = _sql(visible_processes(_actor(HEAD_UA, OBSERVER)))
    assert P1.hex in one and P2.hex not in one
    assert P1.hex in both and P2.hex in both
    assert visible_processes(_actor(HEAD_UA, user=1)) is visible_processes(_actor(HEAD_UA, user=2))


MEMBERSHIPS = st.lists(st.sampled_from([HEAD_UA, HEAD_RU, MEDIATOR, OBSERVER]), max_size=3)


@settings(max_examples=60, deadline=None)
@given(MEMBERSHIPS, MEMBERSHIPS)
def test_the_condition_depends_on_the_memberships_alone(
    a: list[Membership], b: list[Membership]
) -> None:
    """Built once or anew, in any order: actors with the same memberships (by process) get the
    same SQL; actors with different ones get different SQL."""
    first, second = _actor(*a, user=1), _actor(*reversed(b), user=2)
    same = dict(first.memberships) == dict(second.memberships)
    assert (_sql(visible(first, Note)) == _sql(visible(second, Note))) == same
