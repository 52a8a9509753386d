"""Jinja2 set-up: templates from web/templates and each package's templates/ folder."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

PACKAGES = (
    "web",
    "processes",
    "records",
    "audit",
    "auth",
    "positions",
    "sequencing",
    "texts",
    "sessions",
    "commitments",
    "intake",
    "timeline",
)


def _loader() -> ChoiceLoader:
    root = files("parley")
    dirs = [str(root / pkg / "templates") for pkg in PACKAGES]
    return ChoiceLoader([FileSystemLoader(d) for d in dirs])


env = Environment(loader=_loader(), autoescape=select_autoescape(["html"]))
templates = Jinja2Templates(env=env)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    auth = getattr(request.state, "auth", None)
    context.setdefault("auth", auth)
    context.setdefault("actor", auth.actor if auth else None)
    context.setdefault("csrf_token", auth.csrf_token if auth else None)
    return templates.TemplateResponse(request, name, context, status_code=status_code)
