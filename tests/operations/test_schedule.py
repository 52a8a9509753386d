"""The running server signs checkpoints on its own schedule, on both databases."""

from __future__ import annotations

import time

import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.config import Settings
from parley.db.engine import create_db_engine
from parley.operations.models import Checkpoint


def _count(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(Checkpoint)) or 0
    finally:
        engine.dispose()


def _serve(url: str, interval: int) -> TestClient:
    settings = Settings(database_url=url, checkpoint_interval_seconds=interval)
    return TestClient(create_app(settings))


def test_the_server_signs_every_changed_chain_on_its_schedule(small_url: str) -> None:
    assert _count(small_url) == 0
    with _serve(small_url, 1):  # entering the client runs the app's lifespan
        deadline = time.monotonic() + 30
        while _count(small_url) < 8 and time.monotonic() < deadline:
            time.sleep(0.2)
        signed = _count(small_url)
        time.sleep(2.5)  # two more ticks with nothing new: nothing more is signed
        again = _count(small_url)
    assert signed == 8  # every chain of the small scenario, the system chain included
    assert again == signed


def test_an_interval_of_zero_turns_the_schedule_off(small_url: str) -> None:
    with _serve(small_url, 0) as client:
        assert client.get("/").status_code < 500
        time.sleep(1.5)
    assert _count(small_url) == 0
