"""Hostile input gets a 4xx, never a 500 (issue #14): body size, JSON shape, paging, HEAD.

Each request below answered 500 (or was accepted and stored) on the code before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from parley.app import create_app
from parley.config import Settings

API = "/api/v1/processes/small"
MAX_PAGE_PARAM = 1_000_000  # parley.web.limits.MAX_PAGE_PARAM (imported where needed)


@pytest.fixture
def client(small_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=small_url, max_body_bytes=64 * 1024)
    with TestClient(create_app(settings)) as client:
        token = client.post(
            "/api/v1/auth/token", json={"username": "alpha", "password": "alpha-password"}
        ).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def test_a_body_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    big = {"title": "x" * (200 * 1024)}
    answer = client.post(f"{API}/positions", json=big)
    assert answer.status_code == 413
    assert "body" in answer.json()["detail"]
    assert answer.headers["content-security-policy"]  # the security headers hold on refusals


def test_a_streamed_body_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    answer = client.post(
        f"{API}/positions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


def test_deeply_nested_json_is_refused_with_422(client: TestClient) -> None:
    deep = "[" * 5000 + "]" * 5000
    answer = client.post(
        f"{API}/positions",
        content=json.dumps({"title": "t", "body": "b"})[:-1] + f', "x": {deep}}}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422 and "nested deeper" in answer.json()["detail"]


def test_too_many_json_values_are_refused_with_422(small_url: str) -> None:
    settings = Settings(database_url=small_url, json_max_items=100)
    with TestClient(create_app(settings)) as client:
        answer = client.post("/api/v1/auth/token", json={"username": "a", "password": [0] * 500})
    assert answer.status_code == 422 and "JSON values" in answer.json()["detail"]


@pytest.mark.parametrize("param", ["page=100000000000000000000", "page=-5", "size=10000000000"])
def test_paging_out_of_bounds_is_refused_with_422(client: TestClient, param: str) -> None:
    answer = client.get(f"{API}/audit?{param}")
    assert answer.status_code == 422, answer.text
    assert str(MAX_PAGE_PARAM) in answer.json()["detail"]


def test_paging_within_bounds_still_works(client: TestClient) -> None:
    assert client.get(f"{API}/audit?page=1000000").status_code == 200


@pytest.mark.parametrize("path", ["/", "/login", f"{API}/positions", "/api/v1/openapi.json"])
def test_head_works_wherever_get_does(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


@given(
    st.recursive(
        st.none() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=30,
    )
)
def test_json_shape_measures_depth_like_the_parser(value: object) -> None:
    from parley.web.limits import json_shape

    text = json.dumps(value).encode()
    depth, items = json_shape(text)
    assert depth == _depth(value)
    assert items >= _count(value) - 1


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _count(value: object) -> int:
    if isinstance(value, list):
        return 1 + sum(_count(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(_count(v) for v in value.values())
    return 1


def test_check_query_names_the_parameter() -> None:
    from parley.web.limits import check_query

    assert check_query("page=2&size=25") is None
    assert check_query("q=10000000000000") is None  # not a paging parameter
    assert check_query("page=1e9") is None  # not a whole number: the route's own 422
    assert check_query("limit=99999999999") == f"limit: a whole number from 0 to {MAX_PAGE_PARAM}"


def test_the_markdown_export_of_a_version_escapes_html_and_still_round_trips() -> None:
    from parley.texts.markdown_export import version_to_markdown
    from parley.texts.numbered import parse_numbered
    from parley.texts.plain import PlainProvision, PlainVersion

    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)> &lt;kept&gt;'
    version = PlainVersion(
        document_title="<b>Plan</b>",
        document_kind="plan",
        label="v1",
        kind="party_draft",
        author="AAA",
        provisions=(
            PlainProvision(wid="p1", number="1", heading="<i>Heading</i>", text=hostile),
            PlainProvision(wid="p2", number="2", heading=None, text="<!-- not a comment -->"),
        ),
    )
    markdown = version_to_markdown(version)
    body = markdown.split("---", 2)[2]
    assert "<" not in body and ">" not in body  # no tag can reach a Markdown renderer
    parsed = parse_numbered(markdown)
    texts = [item.text for item in parsed.provisions]
    assert hostile in texts[0] and texts[1] == "<!-- not a comment -->"
    assert parsed.provisions[0].heading == "<i>Heading</i>" and parsed.title == "<b>Plan</b>"
