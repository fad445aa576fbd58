"""The review page's ASGI application: the gate in front, then the views, the changes, the
pictures and video, the live streams, the downloads and the static files.

Core errors become HTTP statuses with the core's own sentence: as JSON for ``/api/`` and for the
page's own requests (htmx and ``fetch`` send ``HX-Request`` / ``Accept: application/json``), as a
small page otherwise.
"""

from __future__ import annotations

import logging
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import BinsightError
from ..metrics import Registry
from .actions import Actions
from .context import WebContext
from .downloads import Downloads
from .events import Events
from .gate import LOGIN_PATH, TOKEN_COOKIE, Gate, Refused
from .media import Media
from .pages import Pages

log = logging.getLogger(__name__)

HTTP_STATUS = {"invalid_argument": 400, "not_found": 404, "failed_precondition": 409, "unavailable": 503,
               "cancelled": 409, "unimplemented": 501, "permission_denied": 403, "unauthenticated": 401,
               "resource_exhausted": 429, "internal": 500}
READ_METHODS = frozenset({"GET", "HEAD"})


class CachedStatic(StaticFiles):
    """Static files cached for good: vendored files carry their version in their name, the
    page's own files a digest in their URL (``?v=``)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class GateMiddleware:
    """Asks the gate about every HTTP request before any route sees it."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            try:
                token = self.gate.admit(headers, write=scope["method"] not in READ_METHODS, path=scope["path"])
                scope.setdefault("state", {})["api_token"] = token
            except Refused as refused:
                await _error(Request(scope), refused.status, "permission_denied", refused.message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _login(request: Request) -> Response:
    """``/login?token=SECRET``: keep an API token in an HTTP-only cookie, then go to the bins."""
    secret = request.query_params.get("token", "")
    gate: Gate = request.app.state.gate
    if gate.access is None or not secret or gate.access.authenticate(secret) is None:
        return _error(request, 401, "unauthenticated", "that token is not valid: ask the server's admin for one")
    response = RedirectResponse("/scenes", status_code=303)
    response.set_cookie(TOKEN_COOKIE, secret, httponly=True, samesite="strict", secure=gate.scheme == "https")
    return response


def _wants_json(request: Request) -> bool:
    return (request.url.path.startswith("/api/") or "hx-request" in request.headers
            or "application/json" in request.headers.get("accept", ""))


def _error(request: Request, status: int, kind: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message, "kind": kind}, status_code=status)
    if request.url.path.startswith(("/keyframes/", "/faces/", "/media/", "/shots/", "/export")):
        return PlainTextResponse(message, status_code=status)
    return HTMLResponse(f"<!doctype html><title>Binsight</title><link rel=stylesheet href=/static/review.css>"
                        f"<main class=error-page><h1>That did not work</h1><p data-error>{escape(message)}</p>"
                        f"<p><a href=/scenes>Back to the bins</a></p></main>", status_code=status)


async def _core_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BinsightError)
    return _error(request, HTTP_STATUS.get(exc.kind, 500), exc.kind, str(exc))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("review page request failed", extra={"path": request.url.path})
    return _error(request, 500, "internal", f"{type(exc).__name__}: {exc}")


def build_app(ctx: WebContext, metrics: Registry | None = None) -> Starlette:
    routes = [*Pages(ctx).routes(), *Actions(ctx).routes(), *Media(ctx).routes(), *Events(ctx).routes(),
              *Downloads(ctx).routes(), Route(LOGIN_PATH, _login),
              Mount("/static", CachedStatic(packages=[("binsight.web", "static")]))]
    if metrics is not None:
        routes.append(Route("/metrics", lambda request: PlainTextResponse(
            metrics.render(), media_type="text/plain; version=0.0.4")))
    app = Starlette(routes=routes, exception_handlers={BinsightError: _core_error, Exception: _unexpected})
    app.add_middleware(GateMiddleware, gate=ctx.gate)
    app.state.gate = ctx.gate
    return app
