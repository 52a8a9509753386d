"""Reading a change from a request: a JSON object checked against a schema, or a form whose
problems are shown next to their fields.

JSON handlers read the raw body themselves, after the process is found, so that a hidden
process answers 404 whatever the body; a bad body then answers 422 naming each field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from parley.errors import InputError

T = TypeVar("T", bound=BaseModel)


def _body_problem(message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body",), "msg": message, "type": "json_invalid"}])


def json_object(raw: bytes) -> dict[str, Any]:
    """The request's JSON object; an empty, non-JSON or non-object body is invalid input."""
    if not raw.strip():
        raise _body_problem("a JSON object is required")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _body_problem(f"not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _body_problem(f"a JSON object is required, not {type(body).__name__}")
    return body


def validated(schema: type[T], body: Mapping[str, Any]) -> T:
    """The body as ``schema``, or invalid input naming each field (422)."""
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


def body_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The request body for the OpenAPI document of a handler that reads it itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def form_values(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The named form fields that were filled in (a blank field means "not given")."""
    return {n: form[n] for n in names if str(form.get(n, "")).strip() != ""}


def field_errors(exc: ValidationError | InputError) -> dict[str, str]:
    """``{field: message}`` for a refused form: each problem shown next to its field
    (``evidence.0.quote`` is the form's ``evidence_quote``)."""
    if isinstance(exc, InputError):
        return {_form_name(exc.field): exc.problem}
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        name = _form_name(".".join(loc)) if loc else "body"
        out.setdefault(name, error["msg"])
    return out


def _form_name(field: str) -> str:
    parts = [p for p in field.split(".") if not p.isdigit()]
    return "_".join(parts) if parts else "body"
