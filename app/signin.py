"""Sign-in and sign-out: the app's own form and routes in front of Gradio.

- ``GET /login``: a small self-contained page (no script, nothing about the API).
- ``POST /login``: Origin checked (by ``app.web.Guard``), throttled per name and address (``app.throttle``),
  the bcrypt check in a worker thread (never on the event loop, at most ``PARALLEL_CHECKS`` at once), then a
  session cookie (HttpOnly, SameSite=Lax, Secure over https). A browser form gets a redirect or the page
  again with the reason; other clients (``gradio_client``) get JSON and 200, 401, 429 or 503.
- ``POST /logout``: ends every session of the user. There is no GET: a link or an image cannot sign anyone out.

Every sign-in, failure, refusal and lockout is logged on ``app.security`` with the user name, the client
address and the time; never the password or a hash.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from html import escape

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.auth import UserStore
from app.sessions import COOKIE, SessionStore
from app.settings import AppSettings
from app.throttle import SignInThrottle

log = logging.getLogger("app.security")

PARALLEL_CHECKS = 1  # bcrypt checks at once: the other core keeps serving signed-in users
MAX_WAITING_CHECKS = 32  # beyond this many queued checks a sign-in is answered 503 at once
MAX_FIELD_BYTES = 1024


@dataclass
class SignIn:
    """What the sign-in routes share with the request guard."""

    settings: AppSettings
    users: UserStore
    sessions: SessionStore
    throttle: SignInThrottle
    limiter: anyio.CapacityLimiter | None = None  # made on the server's event loop

    def user_for(self, request: Request) -> str | None:
        """Gradio's ``auth_dependency``: the signed-in user of the request's session cookie, or None."""
        return self.sessions.user_for(request.cookies.get(COOKIE), self.users)


def client_address(request: Request) -> str:
    """The client's address (uvicorn has already replaced it with X-Forwarded-For from a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def _log_name(name: str) -> str:
    """The submitted name as it may appear in a log line: printable, no spaces, at most 64 characters."""
    cleaned = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in name[:64])
    return (cleaned or "-") + ("..." if len(name) > 64 else "")


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


PRODUCT = "SCV Sales Intelligence"


def login_page(title: str, message: str = "") -> str:
    """The sign-in page in the product's words; its title and link-preview tags name the product, never the
    framework underneath (a link shared in a chat previews as this page: the app itself needs a session)."""
    notice = f'<p class="msg" role="alert">{escape(message)}</p>' if message else ""
    about = f"{title}: the leads to call today, and the markets to watch. {PRODUCT}."
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>Sign in · {escape(title)}</title>
<meta name="description" content="{escape(about)}">
<meta property="og:title" content="{escape(title)}"><meta property="og:description" content="{escape(about)}">
<meta property="og:site_name" content="{escape(PRODUCT)}"><meta name="twitter:card" content="summary">
<style>
body {{ margin:0; font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; background:#f4f5fa;
  color:#1f2430; }}
main {{ max-width:380px; margin:0 auto; padding:32px 16px; }}
h1 {{ font-size:22px; margin:0 0 6px; }} p {{ color:#5b6475; margin:0 0 18px; }}
.product {{ font-size:13px; font-weight:700; letter-spacing:.04em; text-transform:uppercase; color:#3949ab;
  margin:0 0 4px; }}
form {{ background:#fff; border:1px solid #e3e6ee; border-radius:14px; padding:18px; display:grid; gap:8px; }}
label {{ font-weight:600; font-size:15px; }}
input {{ font-size:16px; min-height:44px; padding:0 12px; border:1px solid #c9cdd8; border-radius:10px; }}
button {{ margin-top:10px; min-height:48px; font-size:17px; font-weight:700; border:0; border-radius:10px;
  background:#3949ab; color:#fff; }}
.msg {{ background:#fdecec; color:#8a1c1c; border-radius:10px; padding:10px 12px; }}
</style></head>
<body><main><p class="product">{escape(PRODUCT)}</p><h1>{escape(title)}</h1>
<p>Sign in with the user name and password your administrator gave you.</p>{notice}
<form method="post" action="login">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" required maxlength="64">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="72">
<button type="submit">Sign in</button>
</form></main></body></html>"""


def _refuse(request: Request, title: str, status: int, message: str, retry_after: float | None = None) -> Response:
    headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after else None
    if _wants_html(request):
        return HTMLResponse(login_page(title, message), status_code=status, headers=headers)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _is_https(request: Request, settings: AppSettings) -> bool:
    return settings.web.secure_cookie == "always" or request.url.scheme == "https"


def _signed_in_response(request: Request) -> Response:
    """A browser form goes on into the app; other clients get JSON."""
    if _wants_html(request):
        return RedirectResponse("./", status_code=303)
    return JSONResponse({"success": True})


def router(signin: SignIn) -> APIRouter:
    routes = APIRouter()
    title = signin.settings.title

    @routes.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def show_login() -> HTMLResponse:
        return HTMLResponse(login_page(title))

    @routes.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        address = client_address(request)
        try:
            form = await request.form(max_files=0, max_fields=8, max_part_size=MAX_FIELD_BYTES)
        except Exception:  # noqa: BLE001 - any malformed body is the same refusal
            return _refuse(request, title, 400, "Send the user name and password as a form.")
        name, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
        refusal = signin.throttle.attempt(name, address)
        if refusal is not None:
            log.warning(
                "sign-in refused user=%s address=%s reason=%s retry_after=%.0fs",
                _log_name(name),
                address,
                refusal.reason,
                refusal.retry_after,
            )
            if refusal.is_lockout:
                message = f"Too many failed sign-ins. Try again in {math.ceil(refusal.retry_after / 60)} min."
            else:
                message = f"Wait {math.ceil(refusal.retry_after)} s before trying again."
            return _refuse(request, title, 429, message, refusal.retry_after)
        limiter = signin.limiter or anyio.CapacityLimiter(PARALLEL_CHECKS)
        signin.limiter = limiter
        if limiter.statistics().tasks_waiting >= MAX_WAITING_CHECKS:
            signin.throttle.succeeded(name, address)  # not this client's fault: take the attempt back
            log.warning("sign-in refused user=%s address=%s reason=busy", _log_name(name), address)
            return _refuse(request, title, 503, "The app is busy. Try again in a minute.", 60)
        user = await anyio.to_thread.run_sync(signin.users.verify, name, password, limiter=limiter)
        if user is None:
            locked = signin.throttle.failed(name, address)
            log.warning("sign-in failed user=%s address=%s", _log_name(name), address)
            for kind in locked:
                log.warning(
                    "sign-in locked %s=%s for %.0fs (user=%s address=%s)",
                    kind,
                    _log_name(name) if kind == "user" else address,
                    signin.settings.sign_in.lockout_seconds,
                    _log_name(name),
                    address,
                )
            return _refuse(request, title, 401, "Wrong user name or password.")
        signin.throttle.succeeded(name, address)
        token = signin.sessions.start(user)
        log.info("signed in user=%s address=%s role=%s", user.name, address, user.scope.role)
        response = _signed_in_response(request)
        response.set_cookie(
            COOKIE,
            token,
            max_age=max(1, math.ceil(signin.settings.sessions.max_seconds)),
            path="/",
            httponly=True,
            samesite="lax",
            secure=_is_https(request, signin.settings),
        )
        return response

    @routes.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        user = signin.sessions.end(request.cookies.get(COOKIE))
        if user is not None:
            log.info("signed out user=%s address=%s", user, client_address(request))
        response: Response = (
            RedirectResponse("login", status_code=303) if _wants_html(request) else JSONResponse({"success": True})
        )
        response.delete_cookie(
            COOKIE, path="/", httponly=True, samesite="lax", secure=_is_https(request, signin.settings)
        )
        return response

    return routes
