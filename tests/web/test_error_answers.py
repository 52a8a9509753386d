"""Error answers: invalid bodies are 422 in Parley's shape, which the OpenAPI document declares;
a server error (500) still carries the security headers.

These close findings that tests/security/test_schemathesis.py reported (see
tests/security/accepted_findings.md): the same checks, aimed on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.web.security import HEADERS
from web.support import CLOSED_KEY, KEY, Canary, make_settings

API = f"/api/v1/processes/{KEY}"


def _conforms(document: dict[str, Any], body: Any) -> None:
    """``body`` is valid as the document's Error schema (its refs resolve in the document)."""
    schema = {"$ref": "#/components/schemas/Error", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_a_records_body_that_is_not_a_json_object_is_422_naming_the_body(
    shared_canary: Canary,
) -> None:
    client = shared_canary.client("aaa-head")
    headers = {**shared_canary.csrf("aaa-head"), "Content-Type": "application/json"}
    document = client.get("/api/v1/openapi.json").json()
    step = shared_canary.ref("steps:CANARY-AAA-STEP-KEY")
    for method, url in (("POST", f"{API}/notes"), ("PATCH", f"{API}/steps/{step}")):
        for body, says in (
            (b"", "a JSON object is required"),
            (b"   ", "a JSON object is required"),
            (b"{not json", "not valid JSON"),
            (b"\xff\xfe", "not valid JSON"),
            (b"[1, 2]", "a JSON object is required, not list"),
            (b'"text"', "a JSON object is required, not str"),
        ):
            response = client.request(method, url, content=body, headers=headers)
            assert response.status_code == 422, (method, url, body, response.text)
            answer = response.json()
            assert answer["detail"] == "Invalid input"
            assert [e["field"] for e in answer["errors"]] == ["body"], answer
            assert says in answer["errors"][0]["message"], answer
            _conforms(document, answer)


def test_a_records_body_with_bad_fields_names_each_field(shared_canary: Canary) -> None:
    client = shared_canary.client("aaa-head")
    response = client.post(
        f"{API}/notes",
        json={"title": "", "colour": "red"},
        headers=shared_canary.csrf("aaa-head"),
    )
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"title", "space", "colour"}
    _conforms(client.get("/api/v1/openapi.json").json(), response.json())


def test_a_hidden_process_answers_404_whatever_the_body(shared_canary: Canary) -> None:
    client = shared_canary.client("bbb-head")
    headers = {**shared_canary.csrf("bbb-head"), "Content-Type": "application/json"}
    for key in (CLOSED_KEY, "no-such-process"):
        response = client.post(f"/api/v1/processes/{key}/notes", content=b"{", headers=headers)
        assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
    anonymous = shared_canary.client("anonymous").post(f"{API}/notes", content=b"{")
    assert anonymous.status_code == 401


def test_every_422_is_declared_as_parleys_error_shape(shared_canary: Canary) -> None:
    document = shared_canary.client("anonymous").get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    declared = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            answer = operation["responses"].get("422")
            if answer is None:
                continue
            declared += 1
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)
    assert declared > 50
    # The three shapes a 422 takes: invalid input, a service's refusal, the optimizer's.
    for body in (
        {"detail": "Invalid input", "errors": [{"field": "title", "message": "too short"}]},
        {"detail": "space: unknown space"},
        {"detail": {"message": "m", "errors": ["m"], "missing": {}}},
    ):
        _conforms(document, body)
    with pytest.raises(jsonschema.ValidationError):
        _conforms(document, {"detail": [{"loc": ["body"], "msg": "x", "type": "y"}], "errors": 1})


def test_the_records_routes_declare_their_bodies(shared_canary: Canary) -> None:
    document = shared_canary.client("anonymous").get("/api/v1/openapi.json").json()
    create = document["paths"]["/api/v1/processes/{key}/notes"]["post"]["requestBody"]
    schema = create["content"]["application/json"]["schema"]
    assert create["required"] is True
    assert set(schema["required"]) == {"title", "space"}
    assert schema["additionalProperties"] is False
    update = document["paths"]["/api/v1/processes/{key}/steps/{object_id}"]["patch"]
    assert "key" not in update["requestBody"]["content"]["application/json"]["schema"]["properties"]


def test_the_version_export_declares_the_files_it_answers(shared_canary: Canary) -> None:
    client = shared_canary.client("aaa-head")
    document = client.get("/api/v1/openapi.json").json()
    path = "/api/v1/processes/{key}/texts/{doc_key}/v/{label}/export/{fmt}"
    declared = set(document["paths"][path]["get"]["responses"]["200"]["content"])
    assert "application/json" not in declared
    for fmt in ("md", "docx", "akn"):
        response = client.get(f"{API}/texts/plan/v/v1/export/{fmt}")
        assert response.status_code == 200, (fmt, response.text)
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in declared, (fmt, media_type)


def test_a_server_error_still_carries_the_security_headers(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'boom.db'}"))

    def boom() -> None:
        raise RuntimeError("a bug")

    # Test-only routes, on this app instance only: one JSON, one page.
    app.add_api_route("/api/v1/test-only/boom", boom)
    app.add_api_route("/p/test-only/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/api/v1/test-only/boom", "/p/test-only/boom"):
            response = client.get(path)
            assert response.status_code == 500, path
            for name, value in HEADERS.items():
                assert response.headers.get(name) == value, (path, name)
            assert response.headers["cache-control"] == "no-store"
            assert "a bug" not in response.text  # no traceback or message leaks
        assert client.get("/api/v1/test-only/boom").json() == {"detail": "Internal Server Error"}
    # The exception still reaches the server (its log, and tests that want it raised).
    with TestClient(app) as raising, pytest.raises(RuntimeError, match="a bug"):
        raising.get("/api/v1/test-only/boom")
