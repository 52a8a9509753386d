"""Every way of tampering with the audit log that we could think of is detected, on both databases.

A delegation kept two rounds of signed checkpoints; then activity went on. Each attack below
changes the log inside a transaction that is rolled back afterwards, and the test checks which
detector sees it: ``verify_all`` (the chains' own hashes) or ``verify_checkpoints`` (the kept
checkpoints). The "recomputed" attacks are the ones a database administrator would mount:
they rewrite the hashes and the chain head consistently with ``event_hash``, so ``verify_all``
passes and only the checkpoints catch them.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from operations.support import drop_postgres, events, head, rechain
from parley.audit.chain import GENESIS
from parley.audit.models import AuditEvent
from parley.audit.records import audited_add
from parley.audit.verify import verify_all
from parley.authz import Actor
from parley.db.engine import create_db_engine, write_session
from parley.notes.models import Note
from parley.operations import checkpoints as cp
from parley.operations.models import ServerKey
from parley.operations.signing import checkpoint_message, generate_key, unseal
from parley.processes.models import Process
from parley.sealing import sign

SECRET = "tamper-test-secret-key"


@dataclass
class World:
    engine: sa.Engine
    pid: uuid.UUID
    kept: list[dict[str, Any]]  # what the delegation kept: two rounds of checkpoints
    first: dict[str, int]  # chain -> length at the first checkpoint
    newest: dict[str, int]  # chain -> length at the newest checkpoint

    def chain(self, space: str) -> str:
        return f"{self.pid}/{space}"


def _note(session: Session, pid: uuid.UUID, space: str, title: str) -> None:
    audited_add(
        session,
        Note(process_id=pid, title=title, text="illustrative", space=space),
        actor=Actor.system("test"),
        action="note:create",
    )


def _round(engine: sa.Engine) -> dict[str, Any]:
    system = Actor.system("test")
    with write_session(engine) as session:
        cp.create_checkpoints(session, system, secret=SECRET)
    with write_session(engine) as session:
        # What a delegation fetches and keeps (through JSON, as it would).
        doc = cp.document(session, cp.latest_checkpoints(session, system))
    return json.loads(json.dumps(doc))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, databases: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if request.param == "sqlite":
        url = databases.sqlite("small", tmp_path_factory.mktemp("tamper") / "small.db")
    else:
        url = databases.postgres("small")
    engine = create_db_engine(url)
    with write_session(engine) as session:
        pid = session.scalar(sa.select(Process.id).where(Process.key == "small"))
    first = _round(engine)
    with write_session(engine) as session:
        for i in range(3):
            _note(session, pid, "participants", f"Second-round note {i}")
        _note(session, pid, "party:AAA", "Alpha's own note")
    newest = _round(engine)
    with write_session(engine) as session:  # activity after the newest checkpoint
        _note(session, pid, "participants", "Third-round note")
    kept = cp.merge(first, newest)["checkpoints"]
    yield World(
        engine,
        pid,
        kept,
        {c["chain"]: c["seq"] for c in first["checkpoints"]},
        {c["chain"]: c["seq"] for c in newest["checkpoints"]},
    )
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres(url)


# ---------------------------------------------------------------- the attacker's tools


_temporary = itertools.count(-1, -1)


def forged(like: AuditEvent, title: str) -> AuditEvent:
    return AuditEvent(
        chain=like.chain,
        seq=next(_temporary),  # rechain() numbers it
        process_id=like.process_id,
        space=like.space,
        at=like.at + timedelta(seconds=1),
        actor_id=None,
        actor_name="cli:test",
        action="note:create",
        object_type="notes",
        object_id=str(uuid.uuid4()),
        changes={"title": [None, title]},
        prev_hash=GENESIS,
        hash=GENESIS,
    )


def _edit(session: Session, w: World) -> None:
    event = events(session, w.chain("participants"))[1]
    event.changes = {**event.changes, "title": [None, "A different title"]}


def _edit_recomputed(session: Session, w: World) -> None:
    _edit(session, w)
    session.flush()
    rechain(session, w.chain("participants"))


def _backdate_recomputed(session: Session, w: World) -> None:
    event = events(session, w.chain("participants"))[2]
    event.at = event.at - timedelta(days=30)
    session.flush()
    rechain(session, w.chain("participants"))


def _delete(session: Session, w: World) -> None:
    session.delete(events(session, w.chain("participants"))[2])


def _delete_recomputed(session: Session, w: World) -> None:
    chain = w.chain("participants")
    all_events = events(session, chain)
    session.delete(all_events[2])
    session.flush()
    rechain(session, chain, all_events[:2] + all_events[3:])


def _swap(session: Session, w: World) -> None:
    first, second = events(session, w.chain("participants"))[1:3]
    seq = first.seq
    first.seq = -1
    session.flush()
    second.seq = seq
    session.flush()
    first.seq = seq + 1


def _swap_recomputed(session: Session, w: World) -> None:
    chain = w.chain("participants")
    order = events(session, chain)
    order[1], order[2] = order[2], order[1]
    rechain(session, chain, order)


def _insert_recomputed(session: Session, w: World) -> None:
    chain = w.chain("participants")
    order = events(session, chain)
    extra = forged(order[0], "A note that never was")
    session.add(extra)
    rechain(session, chain, [order[0], extra, *order[1:]])


def _truncate(session: Session, w: World) -> None:
    chain = w.chain("participants")
    for event in events(session, chain)[w.first[chain] - 1 :]:
        session.delete(event)


def _truncate_head_rewritten(session: Session, w: World) -> None:
    _truncate(session, w)
    session.flush()
    rechain(session, w.chain("participants"))


def _fork(session: Session, w: World) -> None:
    """Keep the first two events, then write a different history of the same length."""
    chain = w.chain("participants")
    order = events(session, chain)
    for event in order[2:]:
        session.delete(event)
    session.flush()
    fresh = [forged(order[1], f"Rewritten history {i}") for i in range(len(order) - 2)]
    session.add_all(fresh)
    rechain(session, chain, order[:2] + fresh)


def _delete_chain(session: Session, w: World) -> None:
    chain = w.chain("party:AAA")
    for event in events(session, chain):
        session.delete(event)
    session.delete(head(session, chain))


def _move(session: Session, w: World) -> None:
    event = events(session, w.chain("participants"))[1]
    target = w.chain("party:AAA")
    event.chain, event.space, event.seq = target, "party:AAA", 10_000


def _move_recomputed(session: Session, w: World) -> None:
    source, target = w.chain("participants"), w.chain("party:AAA")
    order = events(session, source)
    moved = order.pop(1)
    moved.chain, moved.space, moved.seq = target, "party:AAA", 1_000_000
    session.flush()
    rechain(session, source, order)
    rechain(session, target, [e for e in events(session, target) if e is not moved] + [moved])


def _head_only(session: Session, w: World) -> None:
    head(session, w.chain("participants")).hash = "f" * 64


def _system_recomputed(session: Session, w: World) -> None:
    order = events(session, "system")
    order[0].changes = {**order[0].changes, "is_operator": [None, True]}
    rechain(session, "system", order)


def _replace_key(session: Session, w: World) -> None:
    """Rewrite history and replace the server key, so that new checkpoints could be forged."""
    _edit_recomputed(session, w)
    session.execute(sa.delete(ServerKey))
    key_id, public, sealed = generate_key(SECRET)
    session.add(ServerKey(key_id=key_id, public_key=public, sealed_private_key=sealed))


def _after_checkpoint(session: Session, w: World) -> None:
    events(session, w.chain("participants"))[-1].action = "note:delete"


# attack -> which detectors must see it: "verify" (verify_all without the server's stored
# checkpoints: the chains, the chain of chains and the record states), "checkpoints" (the
# delegation's kept file), or both. Deleting, truncating or forking a chain also leaves
# records that no remaining event vouches for, so verify alone now sees those.
ATTACKS: dict[str, tuple[Callable[[Session, World], None], set[str]]] = {
    "edit a field": (_edit, {"verify", "checkpoints"}),
    "edit a field, hashes and head recomputed": (_edit_recomputed, {"checkpoints"}),
    "backdate an event, recomputed": (_backdate_recomputed, {"checkpoints"}),
    "delete an event": (_delete, {"verify", "checkpoints"}),
    "delete an event, renumbered and recomputed": (_delete_recomputed, {"verify", "checkpoints"}),
    "reorder two events": (_swap, {"verify", "checkpoints"}),
    "reorder two events, recomputed": (_swap_recomputed, {"checkpoints"}),
    "insert a forged event, recomputed": (_insert_recomputed, {"checkpoints"}),
    "truncate the log": (_truncate, {"verify", "checkpoints"}),
    "truncate the log and rewrite the head": (_truncate_head_rewritten, {"verify", "checkpoints"}),
    "fork: rewrite the tail consistently": (_fork, {"verify", "checkpoints"}),
    "delete a whole chain with its head": (_delete_chain, {"verify", "checkpoints"}),
    "move an event to another chain": (_move, {"verify", "checkpoints"}),
    "move an event to another chain, both recomputed": (_move_recomputed, {"checkpoints"}),
    "rewrite the chain head only": (_head_only, {"verify"}),
    "rewrite the accounts (system) chain, recomputed": (_system_recomputed, {"checkpoints"}),
    "rewrite history and replace the server key": (_replace_key, {"checkpoints"}),
    "edit an event after the newest checkpoint": (_after_checkpoint, {"verify"}),
}


def detect(w: World, attack: Callable[[Session, World], None]) -> tuple[set[str], list[Any]]:
    with Session(w.engine) as session:
        try:
            attack(session, w)
            session.flush()
            found = set()
            if not verify_all(session, stored_checkpoints=False).ok:
                found.add("verify")
            problems = cp.verify_checkpoints(session, w.kept)
            if problems:
                found.add("checkpoints")
            return found, problems
        finally:
            session.rollback()


def test_the_untouched_log_extends_every_kept_checkpoint(world: World) -> None:
    assert len({c["chain"] for c in world.kept}) == 8
    assert len(world.kept) > 8  # two rounds, for the chains that changed in between
    assert detect(world, lambda s, w: None) == (set(), [])


@pytest.mark.parametrize("name", list(ATTACKS))
def test_tampering_is_detected(world: World, name: str) -> None:
    attack, expected = ATTACKS[name]
    found, problems = detect(world, attack)
    assert found == expected, (found, problems)
    if "checkpoints" in expected:
        assert all(str(p) for p in problems)


def test_a_rewrite_names_the_checkpoint_and_what_changed(world: World) -> None:
    _, problems = detect(world, _edit_recomputed)
    chain = world.chain("participants")
    assert {p.chain for p in problems} == {chain}
    # Both kept checkpoints of that chain are broken: each names its own number.
    assert sorted(p.seq for p in problems) == sorted({world.first[chain], world.newest[chain]})
    assert all("rewritten" in p.problem for p in problems), problems

    _, problems = detect(world, _delete_chain)
    assert any("chain is gone" in p.problem for p in problems), problems

    _, problems = detect(world, _replace_key)
    assert any("does not hold" in p.problem for p in problems), problems


def test_a_rewrite_after_the_newest_checkpoint_is_beyond_what_checkpoints_prove(
    world: World,
) -> None:
    """The documented limit: history after the newest kept checkpoint can still be rewritten
    consistently; the next checkpoint (taken often, on a schedule) shrinks that window."""

    def rewrite_last(session: Session, w: World) -> None:
        _after_checkpoint(session, w)
        session.flush()
        rechain(session, w.chain("participants"))

    assert detect(world, rewrite_last)[0] == set()


def test_a_forged_or_altered_checkpoint_is_refused(world: World) -> None:
    altered = [dict(c) for c in world.kept]
    altered[0]["head_hash"] = "0" * 64
    altered[1]["seq"] = altered[1]["seq"] + 1
    with Session(world.engine) as session:
        problems = cp.verify_checkpoints(session, altered)
    by_index = {p.index: p.problem for p in problems if "signature" in p.problem}
    assert set(by_index) == {0, 1}, problems


def test_the_server_refuses_to_sign_a_rewritten_chain(world: World) -> None:
    with Session(world.engine) as session:
        try:
            _edit_recomputed(session, world)
            session.flush()
            run = cp.create_checkpoints(session, Actor.system("test"), secret=SECRET)
            refused = {p.chain for p in run.refused}
            assert world.chain("participants") in refused
            assert world.chain("participants") not in {c.chain for c in run.created}
        finally:
            session.rollback()


# ---------------------------------------------------------------- random tampering


FIELDS = ("action", "actor_name", "object_id", "changes", "at", "space")


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    chain_index=st.integers(0, 7),
    position=st.floats(0, 1),
    field=st.sampled_from(FIELDS),
    recompute=st.booleans(),
)
def test_any_change_to_a_checkpointed_event_is_detected(
    world: World, chain_index: int, position: float, field: str, recompute: bool
) -> None:
    chain = sorted(world.newest)[chain_index]
    length = world.newest[chain]

    def tamper(session: Session, w: World) -> None:
        event = events(session, chain)[min(int(position * length), length - 1)]
        if field == "at":
            event.at = event.at + timedelta(microseconds=1)
        elif field == "changes":
            event.changes = {**event.changes, "tampered": [None, 1]}
        elif field == "space":
            event.space = "mediator" if event.space != "mediator" else "public"
        else:
            setattr(event, field, getattr(event, field) + "x")
        session.flush()
        if recompute:
            rechain(session, chain)

    found, _ = detect(world, tamper)
    assert "checkpoints" in found
    # A change verify cannot miss: any that leaves the chain's hashes as they were, or moves
    # the event out of its chain's space. A recomputed chain may still be caught by verify,
    # through the record states its events vouch for (tests/audit/test_record_state.py).
    moved_out = field == "space" and chain != "system"
    if not recompute or moved_out:
        assert "verify" in found


def test_kept_files_merge_without_duplicates(world: World, tmp_path: Path) -> None:
    doubled = cp.merge({"checkpoints": world.kept}, {"checkpoints": world.kept})
    assert len(doubled["checkpoints"]) == len(world.kept)
    assert {k["key_id"] for k in doubled["server_keys"]} == {c["key_id"] for c in world.kept}


def test_signed_checkpoints_that_contradict_each_other_prove_two_histories(world: World) -> None:
    """Equivocation: a server that shows each delegation its own history is caught once the
    delegations put their kept files together."""
    chain = world.chain("participants")
    newest = next(c for c in world.kept if c["chain"] == chain and c["seq"] == world.newest[chain])
    with Session(world.engine) as session:
        key = session.scalars(sa.select(ServerKey)).one()
        private = unseal(key.sealed_private_key, SECRET, key.public_key)

        def signed(seq: int, head_hash: str, at: str) -> dict[str, Any]:
            message = checkpoint_message(chain, seq, head_hash, at, key.key_id)
            return {
                **newest,
                "seq": seq,
                "head_hash": head_hash,
                "at": at,
                "signature": sign(private, message),
            }

        # Shown to another delegation: the same length, another history.
        other = signed(newest["seq"], "ab" * 32, newest["at"])
        # Later, a shorter chain whose events are all genuine: the log went backwards.
        first_hash = events(session, chain)[world.first[chain] - 1].hash
        back = signed(world.first[chain], first_hash, "2999-01-01T00:00:00.000000+00:00")
        problems = cp.verify_checkpoints(session, [*world.kept, other, back])
    found: dict[int | None, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.index, []).append(problem.problem)
    n = len(world.kept)
    assert set(found) == {n, n + 1}, problems
    assert any("two histories" in text for text in found[n])
    assert found[n + 1] == [
        f"shorter than the earlier checkpoint [{world.kept.index(newest)}] "
        f"({newest['seq']} events): the history went backwards"
    ]
