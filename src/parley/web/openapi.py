"""The OpenAPI document: FastAPI's, with Parley's own error shape for 422 answers.

FastAPI declares every 422 as its ``HTTPValidationError`` (``detail``: a list of ``{loc, msg,
type}``). Parley answers invalid input with ``{"detail": "Invalid input", "errors": [{"field",
"message"}]}`` (parley.web.routes) and refusals of a service with ``{"detail": text}`` (or, for
the optimizer, an object with the messages), so the document declares that shape instead: what
the API answers and what it says it answers must be the same (tests/security, schemathesis).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

REF = "#/components/schemas/{model}"


class FieldProblem(BaseModel):
    """One refused field: its dotted name (``body`` for the body as a whole) and why."""

    field: str
    message: str


class Error(BaseModel):
    """A refusal: what went wrong, and, for invalid input, each field's problem."""

    detail: str | dict[str, Any] = Field(
        description='"Invalid input" with `errors`, or the message (naming the field first)'
    )
    errors: list[FieldProblem] = Field(
        default_factory=list, description="Each invalid field (only for invalid input)"
    )


ERROR_RESPONSE = {
    "description": "Invalid input: `detail` says what, `errors` name each field",
    "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
}
FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")


def error_schemas() -> dict[str, Any]:
    schema = Error.model_json_schema(ref_template=REF)
    found: dict[str, Any] = schema.pop("$defs", {})
    return {**found, "Error": schema}


def parley_openapi(app: FastAPI) -> dict[str, Any]:
    """The document, built once: FastAPI's, with every 422 answer declared as ``Error``."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            if "422" in responses:
                responses["422"] = ERROR_RESPONSE
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_SCHEMAS:  # dropped unless something else still refers to them
        others = {k: v for k, v in schemas.items() if k != name}
        if f'"{REF.format(model=name)}"' not in json.dumps([document["paths"], others]):
            schemas.pop(name, None)
    schemas.update(error_schemas())
    app.openapi_schema = document
    return document


def install_openapi(app: FastAPI) -> None:
    app.openapi = lambda: parley_openapi(app)  # type: ignore[method-assign]
