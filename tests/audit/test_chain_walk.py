"""The one walk along a chain (parley.audit.chain.ChainWalk), with no database: an intact chain
walks to its end, and any one tampering stops the walk at the event it touched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from parley.audit.chain import GENESIS, ChainWalk, chain_name, event_hash, recomputed_hash

PROCESS = uuid.UUID("00000000-0000-4000-8000-00000000000a")
CHAIN = chain_name(PROCESS, "participants")
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _chain(n: int, *, after: int = 0, prev: str = GENESIS) -> list[SimpleNamespace]:
    events = []
    for seq in range(after + 1, after + n + 1):
        event = SimpleNamespace(
            id=uuid.uuid4(),
            chain=CHAIN,
            seq=seq,
            prev_hash=prev,
            space="participants",
            process_id=PROCESS,
            at=T0 + timedelta(seconds=seq),
            actor_id=None,
            actor_name="illustrative",
            action="position:create",
            object_type="positions",
            object_id=f"obj-{seq}",
            changes={"text": [None, f"illustrative {seq}"]},
            state=None,
        )
        event.hash = recomputed_hash(event)
        prev = event.hash
        events.append(event)
    return events


def test_an_intact_chain_is_walked_to_its_end() -> None:
    events = _chain(5)
    walk = ChainWalk(CHAIN)
    assert list(walk.events(events)) == events
    assert (walk.seq, walk.hash, walk.broken, walk.problem) == (5, events[-1].hash, None, None)


def test_a_walk_can_start_at_a_checkpoint() -> None:
    first = _chain(3)
    rest = _chain(2, after=3, prev=first[-1].hash)
    walk = ChainWalk(CHAIN, 3, first[-1].hash).through(rest)
    assert walk.broken is None and walk.seq == 5
    # From the wrong hash, the first event after the checkpoint does not link.
    wrong = ChainWalk(CHAIN, 3, "f" * 64).through(rest)
    assert wrong.broken is rest[0] and wrong.problem == "link to previous broken"


TAMPERINGS = ("delete", "swap", "alter", "move", "relink")


@given(st.integers(2, 12), st.data(), st.sampled_from(TAMPERINGS))
def test_any_one_tampering_stops_the_walk_at_the_touched_event(
    n: int, data: st.DataObject, how: str
) -> None:
    events = _chain(n)
    at = data.draw(st.integers(0, n - 2))  # leaves an event after it, for delete and swap
    if how == "delete":
        del events[at]
        expect = ("deleted or reordered", events[at])
    elif how == "swap":
        events[at], events[at + 1] = events[at + 1], events[at]
        expect = ("deleted or reordered", events[at])
    elif how == "alter":
        events[at].changes = {"text": [None, "rewritten"]}
        expect = ("content altered", events[at])
    elif how == "move":
        events[at].space = "public"
        events[at].hash = recomputed_hash(events[at])
        expect = ("moved to another space", events[at])
    else:  # a consistent rewrite of one event breaks the link of the next one
        events[at].changes = {"text": [None, "rewritten"]}
        events[at].hash = recomputed_hash(events[at])
        expect = ("link to previous broken", events[at + 1])
    walk = ChainWalk(CHAIN)
    good = list(walk.events(events))
    problem, broken = expect
    assert walk.broken is broken and problem in str(walk.problem)
    assert good == events[: events.index(broken)]
    assert walk.seq == len(good) and walk.hash == (good[-1].hash if good else GENESIS)


def test_the_walk_uses_the_same_hash_as_the_log() -> None:
    event = _chain(1)[0]
    fields = {k: v for k, v in vars(event).items() if k not in ("id", "hash", "prev_hash")}
    assert event.hash == event_hash(prev_hash=GENESIS, **fields)
