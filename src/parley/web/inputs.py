"""Reading a change from a request: a JSON object checked against a schema, or a form whose
problems are shown next to their fields.

JSON handlers read the raw body themselves, after the process is found, so that a hidden
process answers 404 whatever the body; a bad body then answers 422 naming each field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from parley.authz.rules import NotInState
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
    """``{field: message}`` for a refused form: each problem shown next to its field, in
    plain words (``evidence.0.quote`` is the form's ``evidence_quote``)."""
    if isinstance(exc, InputError):
        return {_form_name(exc.field): plain_problem(exc.problem)}
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        name = _form_name(".".join(loc)) if loc else "body"
        out.setdefault(name, plain_error(error))
    return out


def plain_problem(problem: str) -> str:
    """A service's refusal ("must not come before starts_at") as a sentence."""
    text = problem.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else "Not valid."


def plain_error(error: Mapping[str, Any]) -> str:
    """One validation error in plain words, naming the field as a person would."""
    names = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form")]
    field = (names[-1] if names else "the form").replace("_", " ")
    context = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "missing":
        return f"Enter the {field}."
    if kind == "string_too_short":
        return f"The {field} needs at least {context.get('min_length')} characters."
    if kind == "string_too_long":
        return f"The {field} can have at most {context.get('max_length')} characters."
    if kind in ("int_parsing", "float_parsing", "decimal_parsing"):
        return f"The {field} must be a number."
    if kind.startswith(("date", "datetime")):
        return f"The {field} must be a date like 2025-12-20."
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        limit = next(iter(context.values()), "")
        word = "at least" if kind.startswith("greater") else "at most"
        return f"The {field} must be {word} {limit}."
    if kind == "string_pattern_mismatch":
        return f"The {field} is not in the expected form."
    if kind in ("enum", "literal_error"):
        return f"Choose one of the offered {field} values."
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"The {field}: {message}."


def _form_name(field: str) -> str:
    parts = [p for p in field.split(".") if not p.isdigit()]
    return "_".join(parts) if parts else "body"


def save_form(request: Any, change: Callable[[Any], Any]) -> tuple[Any, dict[str, str]]:
    """One service call from a form, in its own transaction: ``(result, {})``, or
    ``(None, {field: message})`` in plain words when refused (nothing written)."""
    from parley.web.deps import request_write_session

    try:
        with request_write_session(request) as session:
            return change(session), {}
    except (InputError, ValidationError) as exc:
        return None, field_errors(exc)
    except NotInState as exc:
        return None, {"body": plain_problem(str(exc))}
