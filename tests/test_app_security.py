"""The served app's web surface, through real HTTP requests: CORS, closed routes, headers, uploads, Origin
checks on sign-in and sign-out, and phone values that are not numbers.

Each test here failed on the app as Gradio served it before issue 20 (see docs/app.md "Security").
"""

from __future__ import annotations

import logging
import os
import time
from urllib.parse import urlparse

import httpx
import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from app.cards import lead_card, tel_href  # noqa: E402
from app.scope import Scope  # noqa: E402
from testkit.rows import ServedApp, lead_row, served_app  # noqa: E402

PARTNER = "https://partner.example"  # listed in app.web.allowed_origins below
EVIL = "https://evil.example"
USERS = {"rep1": Scope("rep", dealer_code="DLR0001"), "boss": Scope("leader")}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("app-security")
    with served_app(root, USERS, web={"allowed_origins": [PARTNER]}, sign_in={"backoff_seconds": 0}) as served:
        yield served


def sign_in(app: ServedApp, name: str, **headers: str) -> httpx.Client:
    client = httpx.Client(base_url=app.url, timeout=30)
    response = client.post("login", data={"username": name, "password": app.passwords[name]}, headers=headers)
    assert response.status_code == 200, response.text
    return client


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def test_another_origin_gets_no_credentialed_cors_answer(app):
    client = sign_in(app, "rep1")
    for host in ("leads.example.com", urlparse(app.url).netloc):  # a real host name, and loopback
        for path in ("config", "gradio_api/info"):
            response = client.get(path, headers={"Host": host, "Origin": EVIL})
            assert cors_headers(response) == {}, (host, path)
        preflight = client.options(
            "gradio_api/call/leads",
            headers={
                "Host": host,
                "Origin": EVIL,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert cors_headers(preflight) == {}
    # an origin of app.web.allowed_origins is answered, with credentials
    allowed = client.get("config", headers={"Origin": PARTNER})
    assert allowed.headers["access-control-allow-origin"] == PARTNER
    assert allowed.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize(
    "path",
    [
        "gradio_api/token",
        "gradio_api/token/",
        "gradio_api//token",
        "openapi.json",
        "gradio_api/openapi.json",
        "docs",
        "gradio_api/upload_progress?upload_id=x",
    ],
)
def test_token_and_api_schema_routes_are_closed_even_when_signed_in(app, path):
    response = sign_in(app, "boss").get(path)
    assert response.status_code == 404, response.text
    assert "token" not in response.text.lower() or response.status_code == 404


def test_the_sign_in_page_says_nothing_about_the_api(app):
    anonymous = httpx.Client(base_url=app.url, timeout=30, follow_redirects=True)
    page = anonymous.get("", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'name="password"' in page.text
    for marker in ("named_endpoints", "gradio_api_info", "/whoami", "/leads"):
        assert marker not in page.text
    assert anonymous.get("openapi.json").status_code in (401, 404)
    assert anonymous.get("gradio_api/info").status_code == 401


def test_security_headers_on_the_sign_in_page_the_app_and_the_api(app):
    client = sign_in(app, "rep1")
    for response in (
        httpx.get(app.url + "login"),
        client.get("", headers={"Accept": "text/html"}),
        client.get("config"),
    ):
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "connect-src 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"


def test_an_upload_is_refused_and_not_kept(app):
    client = sign_in(app, "rep1")
    response = client.post("gradio_api/upload", files={"files": ("leads.csv", b"x" * 1_000_000, "text/csv")})
    assert response.status_code == 404
    assert "leads.csv" not in response.text and "/tmp" not in response.text


def test_sign_in_from_another_origin_is_refused(app):
    form = {"username": "rep1", "password": app.passwords["rep1"]}
    foreign = httpx.post(app.url + "login", data=form, headers={"Origin": EVIL})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    cross_site = httpx.post(app.url + "login", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    same_origin = app.url.rstrip("/")
    assert httpx.post(app.url + "login", data=form, headers={"Origin": same_origin}).status_code == 200
    assert httpx.post(app.url + "login", data=form, headers={"Origin": PARTNER}).status_code == 200


def test_a_browser_form_sign_in_is_redirected_into_the_app_with_a_strict_cookie(app):
    form = {"username": "rep1", "password": app.passwords["rep1"]}
    response = httpx.post(app.url + "login", data=form, headers={"Accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"] == "./"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    behind_tls = httpx.post(app.url + "login", data=form, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in behind_tls.headers["set-cookie"].lower()  # the loopback proxy says https
    wrong = httpx.post(app.url + "login", data={**form, "password": "wrong"}, headers={"Accept": "text/html"})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text


def test_logout_is_a_post_from_the_app_itself(app):
    client = sign_in(app, "boss")
    assert client.get("logout").status_code == 405  # a link or an image cannot sign anyone out
    assert client.post("logout", headers={"Origin": EVIL}).status_code == 403
    assert client.get("config").status_code == 200  # still signed in
    assert client.post("logout", headers={"Origin": app.url.rstrip("/")}).status_code == 200
    assert client.get("config").status_code == 401


def test_a_phone_value_that_is_not_a_number_is_shown_as_text():
    assert tel_href("+91 98765 43210") == "tel:+919876543210"
    assert tel_href("(020) 2612-3456") == "tel:02026123456"
    for junk in ("javascript:alert(1)//+919876543210", "call +91 98765 43210", "+91 98765 43210 ext. 2", "1234"):
        assert tel_href(junk) is None, junk
    card = lead_card(lead_row("OPP-X", "DLR0001", 50.0, customer_phone="javascript:alert(1)"), Scope("leader"))
    assert "href=" not in card and "Phone: javascript:alert(1)" in card


def test_an_unknown_function_index_is_one_log_line_not_a_traceback(app, caplog):
    client = sign_in(app, "rep1")
    call = {"data": [], "fn_index": 999, "session_hash": "probe", "event_data": None, "trigger_id": None}
    with caplog.at_level(logging.WARNING):
        response = client.post("gradio_api/queue/join", json=call)
        # Gradio's own error middleware answers 500 before the error reaches the guard's log line
        deadline = time.monotonic() + 5
        while "request failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert response.status_code == 500 and "KeyError" not in response.text
    assert "request failed: POST /gradio_api/queue/join: KeyError" in caplog.text
    assert "Traceback" not in caplog.text
