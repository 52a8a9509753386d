"""Error handling and static files; the routers themselves are included by ``parley.app``."""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm.exc import StaleDataError

from parley.authz import NotFound
from parley.authz.permissions import Forbidden, StepUpRequired
from parley.authz.rules import NotInState
from parley.db.conflict import Conflict
from parley.errors import InputError
from parley.web.deps import LoginRequired
from parley.web.inputs import plain_error
from parley.web.routing import ReleasingRoute
from parley.web.security import secure
from parley.web.templating import render

NOT_FOUND_BODY = {"detail": "Not Found"}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install(app: FastAPI) -> None:
    app.router.route_class = ReleasingRoute  # see parley.web.routing
    app.mount(
        "/static", StaticFiles(directory=str(files("parley") / "web" / "static")), name="static"
    )

    @app.get("/static-lib/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        # Served from the installed plotly package: vendored, never a CDN.
        path = files("plotly") / "package_data" / "plotly.min.js"
        return Response(
            path.read_bytes(),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/api/v1/health", tags=["operations"])
    def health() -> dict[str, str]:
        """Answers while the server runs (for load balancers and test harnesses)."""
        return {"status": "ok"}

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        # Identical to an unknown URL: a hidden object must look exactly like a missing one.
        return _not_found(request)

    @app.exception_handler(404)
    async def http_not_found(request: Request, exc: Exception) -> Response:
        return _not_found(request)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "Forbidden"}, status_code=403)
        return render(
            request,
            "error.html",
            403,
            title="Not allowed",
            message="You can see this, but you may not change it.",
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(StepUpRequired)
    async def step_up(request: Request, exc: StepUpRequired) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"detail": "Step-up required: send X-Parley-Password (and X-Parley-Code)"},
                status_code=403,
            )
        back = request.headers.get("referer", "/")
        path = "/" + back.split("://", 1)[-1].split("/", 1)[-1] if "://" in back else back
        return RedirectResponse(f"/reauth?next={quote(path)}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                # A problem with the body as a whole (not JSON, not an object) names "body".
                "field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query"))
                or ".".join(str(p) for p in e["loc"]),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        if wants_json(request):
            return JSONResponse({"detail": "Invalid input", "errors": errors}, status_code=422)
        message = " ".join(plain_error(e) for e in exc.errors())
        return render(
            request,
            "error.html",
            422,
            title="Please check what you entered",
            message=message,
            back=_back(request),
        )

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        # Every package's refusal of bad input names its field: one shape for all of them.
        if wants_json(request):
            return JSONResponse(
                {
                    "detail": "Invalid input",
                    "errors": [{"field": exc.field, "message": exc.problem}],
                },
                status_code=422,
            )
        return render(request, "error.html", 422, title="Not done", message=str(exc))

    @app.exception_handler(Conflict)
    @app.exception_handler(NotInState)
    @app.exception_handler(StaleDataError)
    async def conflict(request: Request, exc: Exception) -> Response:
        # Two requests changed the same record at once; the later one wrote nothing. A stale
        # lock_version (StaleDataError) says nothing a user could act on, hence the message.
        message = (
            str(exc)
            if isinstance(exc, Conflict | NotInState)
            else "Changed by someone else at the same moment; reload it and try again"
        )
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=409)
        return render(
            request,
            "error.html",
            409,
            title="Changed meanwhile",
            message=message,
            back=_back(request),
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette's ServerErrorMiddleware calls this (then re-raises, so the traceback is
        # still logged) outside every middleware: the security headers are applied here.
        if wants_json(request):
            response: Response = JSONResponse({"detail": "Internal Server Error"}, 500)
        else:
            response = PlainTextResponse("Internal Server Error", 500)
        secure(response.headers, request.scope)
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return _not_found(request)
        if wants_json(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return render(
            request,
            "error.html",
            exc.status_code,
            title="Not done",
            message=exc.detail,
            back=_back(request),
        )


def _back(request: Request) -> tuple[str, str] | None:
    """A link back to the page the user came from on this site (its form, typically)."""
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    if not referer.startswith(origin + "/"):
        return None
    path = referer[len(origin) :]
    if path.split("?", 1)[0] == request.url.path and request.method == "GET":
        return None
    return ("Go back", path)


def _not_found(request: Request) -> Response:
    if wants_json(request):
        return JSONResponse(NOT_FOUND_BODY, status_code=404)
    return render(
        request,
        "error.html",
        404,
        title="Not found",
        message="There is nothing here, or nothing you can see.",
    )
