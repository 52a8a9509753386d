"""The server's own checkpoint schedule: sign the audit chains every few minutes.

Each worker runs the schedule; `create_checkpoints` queues concurrent runs on the system
chain's head, so a chain is never signed twice for the same head. A failed run is logged and
retried at the next tick: a checkpoint that is late is better than a server that stops.
"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from anyio import to_thread

from parley.authz import Actor
from parley.db.engine import write_session

log = logging.getLogger("parley.checkpoints")


def checkpoint_once(engine: sa.Engine, secret: str) -> int:
    """Sign every chain that changed since its last checkpoint; the number signed."""
    from parley.operations.checkpoints import create_checkpoints

    with write_session(engine) as session:
        run = create_checkpoints(session, Actor.system("schedule:checkpoint"), secret=secret)
    for problem in run.refused:
        log.error("checkpoint refused: %s", problem)
    return len(run.created)


async def run_schedule(engine: sa.Engine, secret: str, interval_seconds: float) -> None:
    """Checkpoint every ``interval_seconds`` until cancelled (when the server stops)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            created = await to_thread.run_sync(checkpoint_once, engine, secret)
        except Exception:  # noqa: BLE001 - logged; the next tick tries again
            log.exception("scheduled checkpoint failed; retrying at the next tick")
        else:
            if created:
                log.info("signed %d checkpoint(s)", created)
