"""The field app as it is served: the project's FastAPI application with the Gradio Blocks mounted inside.

Around Gradio, from the outside in:

- ``SecurityHeaders``: a Content-Security-Policy with ``frame-ancestors 'none'``, ``X-Content-Type-Options``,
  ``Referrer-Policy`` and friends on every response; ``no-store`` on everything but the static bundle; and no
  ``Access-Control-*`` header at all in an answer to an origin that is not allowed.
- Starlette's ``CORSMiddleware`` with the origins of ``app.web.allowed_origins`` only (Gradio steps its own
  CORS handling aside when the parent application configures this one).
- ``Guard``: closes Gradio routes the app does not use (``/gradio_api/token``, uploads, the API schemas, file
  and proxy routes, run history, ...), refuses a state-changing request from a foreign Origin (sign-in
  included), and lets nothing but the sign-in page through without a live session.

Sessions and sign-in live in ``app.sessions``, ``app.throttle`` and ``app.signin``; Gradio learns the user
through ``auth_dependency``, so ``gr.Request.username`` is still what every handler scopes by.
"""

from __future__ import annotations

import json
import logging
import posixpath
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.sessions import COOKIE

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from app.handlers import AppContext
    from app.signin import SignIn

log = logging.getLogger("app.security")

# Gradio routes this app does not use: closed (404) for everyone, signed in or not. A prefix ends in "/" or "=".
CLOSED = (
    "/gradio_api/token",
    "/gradio_api/upload",
    "/gradio_api/upload_progress",
    "/gradio_api/openapi.json",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/gradio_api/dev/",
    "/gradio_api/runs",
    "/gradio_api/run-history/",
    "/gradio_api/proxy=",
    "/gradio_api/file=",
    "/gradio_api/file/",
    "/gradio_api/stream/",
    "/gradio_api/deep_link",
    "/gradio_api/mcp",
    "/gradio_api/component_server",
    "/monitoring",
    "/manifest.json",
    "/gradio_api/vibe",
)
PUBLIC = {("GET", "/login"), ("HEAD", "/login"), ("POST", "/login"), ("POST", "/logout")}
# The app's own routes: Gradio's of the same path (a GET /logout, its own /login) are never reached.
OWN_PATHS = {"/login": "GET, HEAD, POST", "/logout": "POST"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_FORM_BYTES = 8192
STATIC_PREFIXES = ("/assets/", "/static/", "/svelte/")

CSP = "; ".join(
    [
        "default-src 'self'",
        # Gradio's page carries its configuration in inline scripts that differ per request (no hash fits), and
        # Gradio 6's gr.HTML compiles its template with Function() (refused without 'unsafe-eval', seen in Chromium)
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def normal_path(path: str) -> str:
    """``//gradio_api/./token/`` -> ``/gradio_api/token``: the form the closed list is matched against."""
    cleaned = posixpath.normpath("/" + path.lstrip("/"))
    return "/" if cleaned in (".", "//") else cleaned.rstrip("/") or "/"


def is_closed(path: str) -> bool:
    for closed in CLOSED:
        if closed.endswith(("/", "=")):
            if path.startswith(closed) or path == closed.rstrip("/="):
                return True
        elif path == closed or path.startswith(closed + "/"):
            return True
    return False


def _origin_of(scheme: str, host: str) -> str:
    host = host.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme, "")
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}"


def own_origin(scope: Scope) -> str:
    """The app's origin as the client sees it (scheme as the trusted proxy says, host from the Host header)."""
    return _origin_of(scope.get("scheme", "http"), Headers(scope=scope).get("host", ""))


def is_foreign(scope: Scope, allowed: tuple[str, ...]) -> bool:
    """True for a browser request from another origin than the app's own or ``app.web.allowed_origins``.

    A request without ``Origin`` and without ``Sec-Fetch-Site: cross-site`` comes from a non-browser client
    (curl, gradio_client): there is no browser session to forge, so it is not foreign.
    """
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site") == "cross-site"
    scheme, _, host = origin.strip().partition("://")
    return not host or (_origin_of(scheme.lower(), host) != own_origin(scope) and origin.lower() not in allowed)


async def _answer(send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    raw = json.dumps(body).encode("utf-8")
    fields = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    fields += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": raw})


STARTING_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="2">
<title>Starting</title></head><body style="font-family:system-ui,sans-serif;margin:0;background:#f4f5fa;color:#1f2430">
<main style="max-width:380px;margin:0 auto;padding:32px 16px"><h1 style="font-size:22px">Starting up</h1>
<p>Loading today's leads. This page opens the app by itself in a moment.</p></main></body></html>"""


class Guard:
    """Closed routes, Origin checks on every state-changing request, and a live session for everything else.

    While the app is still starting (``ready`` not yet set: Gradio and the data load in the background), a
    signed-in page request gets a short 'starting' page that reloads itself, and anything else a 503."""

    def __init__(self, app: ASGIApp, signin: SignIn, ready: threading.Event | None = None):
        self.app = app
        self.signin = signin
        self.ready = ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the app uses none
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = normal_path(scope["path"]), scope["method"]
        if is_closed(path) or (path in OWN_PATHS and scope["path"] != path):
            await _answer(send, 404, {"detail": "Not Found"})
            return
        if path in OWN_PATHS and (method, path) not in PUBLIC:
            await _answer(send, 405, {"detail": "Method Not Allowed"}, {"Allow": OWN_PATHS[path]})
            return
        request = Request(scope)
        address = request.client.host if request.client else "unknown"
        if method not in SAFE_METHODS and is_foreign(scope, self.signin.settings.web.allowed_origins):
            log.warning("refused %s %s from origin=%s address=%s", method, path, request.headers.get("origin"), address)
            await _answer(send, 403, {"detail": "Cross-origin request refused"})
            return
        if (method, path) in PUBLIC:
            size = request.headers.get("content-length")
            if method == "POST" and (size is None or not size.isdigit() or int(size) > MAX_FORM_BYTES):
                await _answer(send, 413 if size else 411, {"detail": f"Send a form of at most {MAX_FORM_BYTES} bytes"})
                return
            await self.app(scope, receive, send)
            return
        token = request.cookies.get(COOKIE)
        if self.signin.sessions.user_for(token, self.signin.users) is None:
            await self._not_signed_in(scope, send, request, token is not None)
            return
        if self.ready is not None and not self.ready.is_set():
            await self._starting(scope, send, request)
            return
        await self._call_quietly(scope, receive, send, path)

    async def _starting(self, scope: Scope, send: Send, request: Request) -> None:
        if scope["method"] in ("GET", "HEAD") and "text/html" in request.headers.get("accept", ""):
            fields = [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(STARTING_PAGE)).encode()),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": fields})
            await send({"type": "http.response.body", "body": STARTING_PAGE})
            return
        await _answer(send, 503, {"detail": "Starting up"}, {"Retry-After": "2"})

    async def _call_quietly(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Gradio raises on malformed calls (an unknown ``fn_index`` is a KeyError): one log line and a 500,
        not a traceback per request that any signed-in user can write into the log (``-v`` shows it)."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the answer is the same whatever went wrong
            log.warning("request failed: %s %s: %s", scope["method"], path, type(exc).__name__)
            log.debug("request failed", exc_info=True)
            if not started:
                await _answer(send, 500, {"detail": "Internal Server Error"})

    async def _not_signed_in(self, scope: Scope, send: Send, request: Request, had_cookie: bool) -> None:
        headers = {"Set-Cookie": f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=lax"} if had_cookie else {}
        if scope["method"] in ("GET", "HEAD") and "text/html" in request.headers.get("accept", ""):
            headers["Location"] = scope.get("root_path", "") + "/login"
            await _answer(send, 303, {"detail": "Sign in first"}, headers)
            return
        await _answer(send, 401, {"detail": "Not signed in"}, headers)


class SecurityHeaders:
    """Security headers on every answer; Access-Control-* headers only for allowed origins."""

    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...]):
        self.app = app
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        is_allowed = origin is not None and origin.lower() in self.allowed_origins
        is_static = normal_path(scope["path"]).startswith(STATIC_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not is_static:
                    headers["Cache-Control"] = "no-store"
                if not is_allowed:
                    for name in [k for k in headers if k.lower().startswith("access-control-")]:
                        del headers[name]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def export_router(ctx: AppContext, signin: SignIn) -> Any:
    """``GET /export.csv``: the signed-in manager's or leader's current list as CSV (the Guard has already
    refused anyone without a session; the scope comes from the session's user, never from the query)."""
    from fastapi import APIRouter
    from fastapi.responses import Response

    from app.handlers import export_csv, lead_query

    routes = APIRouter()

    @routes.get("/export.csv", include_in_schema=False)
    def export(
        request: Request,
        enquiry_type: str = "",
        classification: str = "",
        search: str = "",
        sort: str = "score",
        district: str = "",
        dealer: str = "",
    ) -> Response:
        user = signin.user_for(request)
        text = export_csv(ctx, user, lead_query(enquiry_type, classification, search, sort, district, dealer))
        if text is None:
            return Response("Exports are for managers and leadership.", status_code=403, media_type="text/plain")
        log.info("export user=%s rows=%d", user, max(text.count("\n") - 1, 0))
        headers = {"Content-Disposition": 'attachment; filename="leads.csv"'}
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)

    return routes


def build_app(ctx: AppContext) -> FastAPI:
    """The whole served application: sign-in routes, the guards, and the Gradio Blocks mounted at ``/``."""
    app = build_shell(ctx)
    mount_blocks(app, ctx)
    app.state.ready.set()
    return app


def build_shell(ctx: AppContext) -> FastAPI:
    """Everything but Gradio: sign-in and export routes and the guards. Cheap to import and build, so the
    server answers (the sign-in page) within a second or two; ``mount_blocks`` adds the app itself."""
    import asyncio
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from starlette.middleware.cors import CORSMiddleware

    from app.sessions import SessionStore
    from app.signin import SignIn, router
    from app.throttle import SignInThrottle

    settings = ctx.settings
    signin = SignIn(settings, ctx.users, SessionStore(settings.sessions), SignInThrottle(settings.sign_in))
    ready = threading.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        app.state.loop = asyncio.get_running_loop()  # where a late mount runs Gradio's startup events
        yield

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.ready = ready
    app.state.signin = signin
    app.include_router(router(signin))
    app.include_router(export_router(ctx, signin))
    app.add_middleware(Guard, signin=signin, ready=ready)  # type: ignore[arg-type]
    app.add_middleware(
        CORSMiddleware,  # type: ignore[arg-type]
        allow_origins=list(settings.web.allowed_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
    )
    app.add_middleware(SecurityHeaders, allowed_origins=settings.web.allowed_origins)  # type: ignore[arg-type]
    return app


def mount_blocks(app: FastAPI, ctx: AppContext) -> Any:
    """Build the Gradio Blocks and mount them at ``/`` (the slow part of a start: importing Gradio)."""
    import gradio as gr

    from app.theme import CSS, theme
    from app.ui import build_blocks

    signin = app.state.signin
    blocks = build_blocks(ctx)
    blocks.queue(default_concurrency_limit=8)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth_dependency=signin.user_for,
        app_kwargs={"openapi_url": None, "docs_url": None, "redoc_url": None},
        head=f"<style>{CSS}</style>",  # raw: Gradio's css= rewrites selectors and breaks @media rules
        theme=theme(),
        footer_links=[],
        run_history=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        show_error=False,
        max_file_size=1,  # no file inputs; the upload route is closed anyway
    )
    return blocks


def _mount_when_started(server: uvicorn.Server, app: FastAPI, ctx: AppContext) -> None:
    """In the background: mount Gradio once the server listens, start its queue on the server's loop, then
    let signed-in users in (until then they get the 'starting' page)."""
    import asyncio

    try:
        blocks = mount_blocks(app, ctx)
        while not server.started:
            time.sleep(0.05)

        async def startup() -> None:
            blocks.run_startup_events()
            await blocks.run_extra_startup_events()

        asyncio.run_coroutine_threadsafe(startup(), app.state.loop).result(timeout=60)
        app.state.ready.set()
        log.info("app ready")
    except Exception:  # the sign-in page keeps answering; say why the app itself did not start
        logging.getLogger(__name__).exception("the app could not start")


@dataclass
class RunningApp:
    """A served app: ``local_url`` to reach it, ``close()`` to stop it (when served in the background)."""

    server: uvicorn.Server
    local_url: str
    thread: threading.Thread | None = None

    def close(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)


def serve(ctx: AppContext, host: str, port: int, background: bool = False) -> RunningApp:
    """Serve with uvicorn; believes X-Forwarded-For/-Proto only from ``app.web.trusted_proxies``."""
    import uvicorn

    ctx.data.cache.warm(background=True)
    app = build_app(ctx) if background else build_shell(ctx)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=list(ctx.settings.web.trusted_proxies),
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    running = RunningApp(server, f"http://{host}:{port}/")
    if not background:  # answer at once; Gradio and the data load behind the sign-in page
        threading.Thread(target=_mount_when_started, args=(server, app, ctx), name="scv-app-mount", daemon=True).start()
        server.run()
        return running
    running.thread = threading.Thread(target=server.run, name="scv-app", daemon=True)
    running.thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not running.thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start on {host}:{port}")
        time.sleep(0.05)
    return running


def launch(ctx: AppContext, host: str, port: int, prevent_thread_lock: bool = False) -> RunningApp:
    """Serve the app inside the project's FastAPI application: own sign-in, sessions, guards. With
    ``prevent_thread_lock`` the server runs in a background thread and this returns once it listens."""
    return serve(ctx, host, port, background=prevent_thread_lock)
