"""Step-up inside a confirmation dialog: the password typed in the dialog of the action itself
counts as the fresh confirmation (no detour through /reauth), a wrong one does not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.models import WebSession
from parley.config import Settings
from parley.db.base import utcnow
from parley.db.engine import create_db_engine, write_session

PASSWORD = "alpha-password"


@pytest.fixture
def client(small_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=small_url, secret_key="test-secret-step-up-dialog", step_up=True
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _age_the_confirmation(client: TestClient) -> None:
    engine = create_db_engine(str(client.app.state.settings.database_url))  # type: ignore[attr-defined]
    with write_session(engine) as session:
        session.execute(
            sa.update(WebSession).values(reauthenticated_at=utcnow() - timedelta(minutes=30))
        )
    engine.dispose()


def test_the_password_in_the_dialog_is_the_step_up(client: TestClient) -> None:
    assert (
        client.post("/login", data={"username": "alpha", "password": PASSWORD}).status_code == 303
    )
    page = client.get("/account/tokens").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    _age_the_confirmation(client)

    plain = client.post("/account/tokens", data={"csrf_token": csrf, "name": "a"})
    assert plain.status_code == 303 and plain.headers["location"].startswith("/reauth")
    wrong = {"csrf_token": csrf, "name": "b", "step_up_password": "not-it"}
    refused = client.post("/account/tokens", data=wrong)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/reauth")

    right = {"csrf_token": csrf, "name": "c", "step_up_password": PASSWORD}
    assert client.post("/account/tokens", data=right).status_code == 201
    # The dialog's confirmation stays fresh for the next action too.
    assert client.post("/account/tokens", data={"csrf_token": csrf, "name": "d"}).status_code == 201
