"""The timeline pages: /p/{key}/history for a reader's own view of everything dated, and
/public/{key}/timeline, the public record of a published process (readable without signing in,
``public`` records only, whoever asks). JSON twins under /api/v1. The old /p/{key}/timeline
redirects to /p/{key}/history."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from parley.authz import Actor
from parley.processes.models import Process
from parley.records.kinds import scoped
from parley.timeline.queries import KINDS, Filters, activity_figure, party_keys, timeline
from parley.web.deps import CurrentActor, Db, process_by_key
from parley.web.pagination import Page
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        from fastapi import HTTPException

        raise HTTPException(422, f"date: {value!r} is not a YYYY-MM-DD date") from None


def _filters(
    party: str | None = None,
    kind: str | None = None,
    document: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Filters:
    """The query parameters every timeline page and API takes (empty values: no filter)."""
    return Filters(party or None, kind or None, document or None, _date(start), _date(end))


TimelineFilters = Annotated[Filters, Depends(_filters)]


def _size(request: Request) -> int:
    return int(request.app.state.settings.page_size) * 8


def _data(
    request: Request, db: Db, actor: Actor, process: Process, filters: Filters, page: int
) -> dict[str, Any]:
    items = timeline(db, actor, process, filters)
    size = _size(request)
    pager = Page(max(page, 1), size, len(items))
    shown = items[(pager.number - 1) * size : pager.number * size]
    keys = party_keys(db, process)
    return {
        "items": [i.as_json(keys) for i in shown],
        "all": items,
        "page": pager,
        "keys": keys,
    }


def _page(
    request: Request,
    db: Db,
    actor: Actor,
    process: Process,
    filters: Filters,
    page: int,
    public: bool,
) -> Response:
    from parley.texts.models import Document

    data = _data(request, db, actor, process, filters, page)
    days: dict[str, list[dict[str, Any]]] = {}
    for item in data["items"]:
        days.setdefault(item["date"], []).append(item)
    documents = sorted(d.key for d in db.scalars(scoped(actor, Document, process.id)))
    return render(
        request,
        "timeline/history.html",
        process=process,
        days=days,
        filters=filters,
        kinds=KINDS,
        parties=sorted(data["keys"].values()),
        documents=documents,
        page=data["page"],
        figure=json.dumps(activity_figure(data["all"])) if data["all"] else None,
        public=public,
    )


@router.get("/p/{key}/history", include_in_schema=False)
def history_page(
    request: Request,
    key: str,
    db: Db,
    actor: CurrentActor,
    filters: TimelineFilters,
    page: int = 1,
) -> Response:
    process = process_by_key(db, actor, key)
    return _page(request, db, actor, process, filters, page, False)


@router.get(API + "/{key}/history", tags=["timeline"])
def history_api(
    request: Request,
    key: str,
    db: Db,
    actor: CurrentActor,
    filters: TimelineFilters,
    page: int = 1,
) -> dict[str, Any]:
    """Every dated record the caller may see (filters: party, kind, document, start, end)."""
    process = process_by_key(db, actor, key)
    data = _data(request, db, actor, process, filters, page)
    return {"items": data["items"], **data["page"].as_json()}


def _moved(request: Request, target: str) -> Response:
    query = request.url.query
    return RedirectResponse(target + (f"?{query}" if query else ""), status_code=308)


# The old basic timeline moved to the history view, which takes the same ``kind`` values and
# more filters. The redirect reads nothing, so it answers alike for every key: hidden and
# unknown processes are told apart only by the target, which 404s both the same way.
@router.get("/p/{key}/timeline", include_in_schema=False)
def old_timeline_page(request: Request, key: str) -> Response:
    return _moved(request, f"/p/{quote(key, safe='')}/history")


@router.get(
    API + "/{key}/timeline",
    tags=["timeline"],
    deprecated=True,
    status_code=308,
    response_class=RedirectResponse,
    responses={308: {"description": "Moved: see Location (the history API)"}},
)
def old_timeline_api(request: Request, key: str) -> Response:
    """Moved to `/api/v1/processes/{key}/history` (a page of items, not a bare list)."""
    return _moved(request, f"{API}/{quote(key, safe='')}/history")


def _public_process(db: Db, key: str) -> tuple[Actor, Process]:
    # Always the anonymous reader: a signed-in member sees the public record here too.
    actor = Actor.anonymous()
    return actor, process_by_key(db, actor, key)


@router.get("/public/{key}/timeline", include_in_schema=False)
def public_timeline_page(
    request: Request,
    key: str,
    db: Db,
    filters: TimelineFilters,
    page: int = 1,
) -> Response:
    actor, process = _public_process(db, key)
    return _page(request, db, actor, process, filters, page, True)


@router.get("/api/v1/public/{key}/timeline", tags=["timeline"])
def public_timeline_api(
    request: Request,
    key: str,
    db: Db,
    filters: TimelineFilters,
    page: int = 1,
) -> dict[str, Any]:
    """The public timeline of a published process: `public` records only, no sign-in."""
    actor, process = _public_process(db, key)
    data = _data(request, db, actor, process, filters, page)
    return {"items": data["items"], **data["page"].as_json()}
