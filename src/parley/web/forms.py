"""The browser's limits, taken from the server's: HTML attributes from a pydantic model.

``field_attrs(PositionIn, "reason")`` gives ``{"maxlength": 2000}`` and so on, so that a form
refuses in the browser exactly what the server would refuse (``required``, ``minlength``,
``maxlength``, ``pattern``, ``min``, ``max``). The form-field macro in
``web/templates/_components.html`` calls it when a page passes the model.
"""

from __future__ import annotations

import importlib
import types
from functools import lru_cache
from typing import Any, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel


@lru_cache(maxsize=256)
def resolve_model(ref: str) -> type[BaseModel]:
    """A model named ``"package.module:Class"`` (so a template can name it)."""
    module, _, name = ref.partition(":")
    model = getattr(importlib.import_module(module), name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{ref} is not a pydantic model")
    return model


def _required(field: Any) -> bool:
    if not field.is_required():
        return False
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return type(None) not in get_args(annotation)
    return annotation is not bool  # an unticked checkbox sends nothing


def js_pattern(pattern: str) -> str:
    """A Python regular expression as an HTML ``pattern`` (JavaScript, ``v`` flag, whole value).

    HTML anchors the pattern to the whole value; pydantic searches, so an unanchored side may
    be preceded or followed by anything. In ``v`` mode the characters ``( ) [ ] { } / - |``
    must be escaped inside a character class, and named groups are written ``(?<name>``.
    """
    body = pattern.replace("(?P<", "(?<")
    start = body.startswith("^")
    end = body.endswith("$") and not body.endswith("\\$")
    body = body[1 if start else 0 : len(body) - 1 if end else len(body)]
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(body[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
                out.append(ch)
            elif ch == "-":
                prev, nxt = body[i - 1], body[i + 1] if i + 1 < len(body) else "]"
                # A range stays a range; a dash at either end of the class is a literal.
                out.append("-" if prev not in "[^" and nxt != "]" else "\\-")
            elif ch in "()[{}/|":
                out.append("\\" + ch)
            else:
                out.append(ch)
        else:
            if ch == "[":
                in_class = True
                out.append(ch)
                if body[i + 1 : i + 2] == "^":
                    out.append("^")
                    i += 1
            else:
                out.append(ch)
        i += 1
    text = "".join(out)
    if not start:
        text = "[\\s\\S]*" + text
    if not end:
        text = text + "[\\s\\S]*"
    return text


def field_attrs(model: type[BaseModel] | str | None, name: str) -> dict[str, Any]:
    """HTML attributes for the input of ``model``'s field ``name`` ({} without a model)."""
    if model is None:
        return {}
    if isinstance(model, str):
        model = resolve_model(model)
    field = model.model_fields.get(name)
    if field is None:
        raise KeyError(f"{model.__name__} has no field {name!r}")
    attrs: dict[str, Any] = {}
    if _required(field):
        attrs["required"] = True
    for item in field.metadata:
        if isinstance(item, annotated_types.MinLen) and item.min_length:
            attrs["minlength"] = item.min_length
            attrs["required"] = True
        elif isinstance(item, annotated_types.MaxLen):
            attrs["maxlength"] = item.max_length
        elif isinstance(item, annotated_types.Ge):
            attrs["min"] = item.ge
        elif isinstance(item, annotated_types.Le):
            attrs["max"] = item.le
        elif isinstance(item, annotated_types.Gt) and isinstance(item.gt, int):
            attrs["min"] = item.gt + 1
        elif isinstance(item, annotated_types.Lt) and isinstance(item.lt, int):
            attrs["max"] = item.lt - 1
        else:
            for attr, html in (
                ("min_length", "minlength"),
                ("max_length", "maxlength"),
                ("pattern", "pattern"),
            ):
                value = getattr(item, attr, None)
                if value:
                    attrs[html] = js_pattern(value) if attr == "pattern" else value
                    if attr == "min_length":
                        attrs["required"] = True
    return attrs
