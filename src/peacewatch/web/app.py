"""`create_app(settings)`: the FastAPI app on the embedded store.

One JSON error shape for every failure: {"error": {"status", "code", "message"}}. The store is
opened once (read-write: incidents and users are written); each request works on its own DuckDB
cursor, and writes go through one lock (accounts.WRITE_LOCK).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from peacewatch import __version__
from peacewatch.errors import PeacewatchError
from peacewatch.incidents import Conflict, Forbidden, NotFound
from peacewatch.report import i18n
from peacewatch.settings import Settings
from peacewatch.store import Store
from peacewatch.web import admin, api_routes, pages
from peacewatch.web.cache import CacheAndHeaders, ResponseCache
from peacewatch.web.lang import page_language
from peacewatch.web.security import HEADERS, AuthError, LoginLimiter

LOG = logging.getLogger("peacewatch.web")
STATIC = Path(__file__).parent / "static"
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    429: "too_many_requests",
    500: "server_error",
}


VENDOR = {
    # mount -> (npm package folder, a file that must be there)
    "leaflet": ("leaflet/dist", "leaflet.js"),
    "swagger-ui": ("swagger-ui-dist", "swagger-ui-bundle.js"),
}
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>peacewatch API</title>
<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>
"""


def vendor_dir(settings: Settings, name: str = "leaflet") -> Path | None:
    """A browser library from `npm ci` (node_modules beside the checkout), if installed."""
    folder, marker = VENDOR[name]
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        path = base / "node_modules" / folder
        if (path / marker).is_file():
            return path
    return None


def error(status: int, message: str, **extra: object) -> JSONResponse:
    """The common error shape."""
    body = {"error": {"status": status, "code": CODES.get(status, "error"), "message": message}}
    body["error"].update(extra)
    return JSONResponse(body, status_code=status, headers=HEADERS)


def wants_page(request: Request) -> bool:
    """A person's browser asking for a page (not the API, not a script): answer in HTML."""
    if request.url.path.startswith("/api/") or request.url.path == "/api":
        return False
    return "text/html" in request.headers.get("accept", "")


def reply(
    request: Request, status: int, message: str, words: object = None, **extra: object
) -> Response:
    """The error as a page for a person, as the common JSON shape for everyone else.

    `words`: the exception, if it keeps its message's template and values (`tell`): the page
    shows it in the reader's language; the JSON keeps the English message.
    """
    if not wants_page(request):
        return error(status, message, **extra)
    lang = page_language(request)
    context = pages.page_context(lang, request.url.path)
    template = getattr(words, "template", None)
    if template:
        message = i18n.get(lang)._(template, **getattr(words, "values", {}))
    html = pages.TEMPLATES.get_template("error.html.j2").render(
        user=None,
        csrf=None,
        status=status,
        message=message,
        login=status == 401,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The app for `settings` (default: from the environment), on `store` if given."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="peacewatch",
        version=__version__,
        description="Conflict events, panels, indicators, forecasts, impact results and field "
        "incidents of the peacewatch store. Every error has the shape "
        '{"error": {"status", "code", "message"}}.',
    )
    app.state.settings = settings
    app.state.store = store or Store.open(settings.store_location)
    app.state.limiter = LoginLimiter()
    app.state.memo = {}
    app.state.control_digest = None  # set by `peacewatch serve` (web/admin.py)

    app.state.response_cache = ResponseCache()
    app.add_middleware(CacheAndHeaders, cache=app.state.response_cache, headers=HEADERS)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError) -> Response:
        return reply(request, exc.status, exc.message, exc)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return reply(request, 403, str(exc), exc)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return reply(request, 404, str(exc), exc)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return reply(request, 409, str(exc), exc)

    @app.exception_handler(PeacewatchError)
    async def bad_input(request: Request, exc: PeacewatchError) -> Response:
        return reply(request, 422, str(exc), exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'body', 'path'))}"
            f": {e.get('msg', 'invalid')}"
            for e in exc.errors()
        ]
        return reply(request, 422, "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        return reply(request, exc.status_code, detail, SimpleNamespace(template=detail, values={}))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        # The path only: query strings and headers may carry tokens.
        LOG.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return reply(request, 500, "internal error (logged)")

    app.include_router(api_routes.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in VENDOR:
        vendor = vendor_dir(settings, name)
        if vendor is not None:
            app.mount(f"/vendor/{name}", StaticFiles(directory=vendor), name=name)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI, served by the app itself (installed by `npm ci`; no CDN)."""
        return HTMLResponse(DOCS_PAGE)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    return app
