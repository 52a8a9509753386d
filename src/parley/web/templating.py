"""Jinja2 set-up: templates from web/templates and each package's templates/ folder, the human
formatting filters, and the layout's context (navigation, account, flash message).

Filters every page can use (see docs/ui.md):

* ``value|when`` — ``Sat 20 Dec 2025, 14:00 EST`` in the process's time zone, as a ``<time>``;
  ``value|when(relative=True)`` adds "· 3 hours ago"; ``value|when(tz="Europe/Kyiv")``.
* ``value|day`` — ``Sat 20 Dec 2025``; ``value|ago`` — "3 hours ago" (beside an exact time only).
* ``space|space`` — the space as a coloured badge in words, with the process's party names
  (``party_names``, set for every page that has a ``process``); ``space|space_words`` — the words.
* ``amount|money(currency)`` — ``€20,000,000``; ``money(currency, compact=True)`` — ``€20 m``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from parley.authz import navigation
from parley.web import formatting
from parley.web.flash import clear_flash, take_flash
from parley.web.forms import field_attrs

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
    "operations",
)


def _loader() -> ChoiceLoader:
    root = files("parley")
    dirs = [str(root / pkg / "templates") for pkg in PACKAGES]
    return ChoiceLoader([FileSystemLoader(d) for d in dirs])


env = Environment(loader=_loader(), autoescape=select_autoescape(["html"]))
templates = Jinja2Templates(env=env)


# ---------------------------------------------------------------- filters


def _tz(context: Context, tz: str | None) -> str | None:
    """An explicit zone, else the page's ``time_zone``, else the process's, else UTC."""
    if tz:
        return tz
    if context.get("time_zone"):
        return str(context["time_zone"])
    process = context.get("process")
    return getattr(process, "time_zone", None)


@pass_context
def _when(context: Context, value: Any, tz: str | None = None, relative: bool = False) -> Markup:
    return formatting.time_html(value, _tz(context, tz), with_relative=relative)


@pass_context
def _day(context: Context, value: Any, tz: str | None = None) -> str:
    return formatting.format_date(value, _tz(context, tz))


@pass_context
def _space(context: Context, value: Any, parties: Mapping[str, str] | None = None) -> Markup:
    return formatting.space_badge(
        value, parties if parties is not None else context.get("party_names")
    )


@pass_context
def _space_words(context: Context, value: Any) -> str:
    return formatting.space_words(value, context.get("party_names"))[0]


env.filters.update(
    when=_when,
    day=_day,
    ago=formatting.relative,
    space=_space,
    space_words=_space_words,
    money=formatting.money,
)
env.globals.update(field_attrs=field_attrs)


# ---------------------------------------------------------------- the layout's context

ContextProvider = Callable[[Request, dict[str, Any]], Mapping[str, Any]]
_providers: list[ContextProvider] = []


def add_context_provider(provider: ContextProvider) -> ContextProvider:
    """Register ``provider(request, context) -> extra context`` for every full page.

    How a domain package fills a slot of the layout without ``web`` importing it: the home
    package registers one that sets ``inbox_count`` for the process in ``context``."""
    _providers.append(provider)
    return provider


def _layout(request: Request, context: dict[str, Any]) -> None:
    actor = context.get("actor")
    process = context.get("process")
    db = getattr(request.state, "db", None)
    if process is not None and actor is not None and getattr(process, "key", None):
        process_id = getattr(process, "id", None)
        found = navigation.sections(
            actor, process.key, process_id if isinstance(process_id, uuid.UUID) else None
        )
        context.setdefault("nav_sections", found)
        context.setdefault("nav_current", navigation.current_section(found, request.url.path))
        context.setdefault("account", navigation.account(actor, process_id, process.key))
        if db is not None and isinstance(process_id, uuid.UUID):
            context.setdefault("party_names", navigation.party_names(db, process_id))
    if actor is not None and db is not None and len(getattr(actor, "memberships", ())) > 1:
        context.setdefault("own_processes", navigation.own_processes(db, actor))
    for provider in _providers:
        for key, value in provider(request, context).items():
            context.setdefault(key, value)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    auth = getattr(request.state, "auth", None)
    context.setdefault("auth", auth)
    context.setdefault("actor", auth.actor if auth else None)
    context.setdefault("csrf_token", auth.csrf_token if auth else None)
    # An htmx fragment has no layout, and must not take the message meant for the next page;
    # nor does an error page (a 404 must read the same whatever was done before it).
    full_page = "hx-request" not in request.headers
    message = take_flash(request) if full_page and status_code < 400 else None
    context.setdefault("flash", message)
    if full_page:
        _layout(request, context)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if message is not None:
        clear_flash(response)
    return response
