"""A real headless Chromium against the served app: a page on another origin cannot read a signed-in rep's
token or leads, nor frame the app; a ``javascript:`` phone value is text; the page runs under its CSP; and
signing out is a form POST that ends the session.

Needs Debian's chromium (`make system-deps`); screenshots go to test-output/app/.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from browser_kit import NEEDS_CHROMIUM

from app.scope import Scope
from testkit.rows import lead_row, served_app

USERS = {"rep1": Scope("rep", dealer_code="DLR0001")}
JS_PHONE = "javascript:alert(document.domain)//+919876543210"
HOSTILE_LEAD = lead_row("OPP-JS", "DLR0001", 99.0, customer_name="Phone Prankster", customer_phone=JS_PHONE)

pytestmark = NEEDS_CHROMIUM

# What a page on another origin would try with the visitor's cookies (the attack of issue 20).
STEAL = """async (app) => {
  const out = {};
  try {
    const r = await fetch(app + 'gradio_api/token', {credentials: 'include'});
    out.token = r.status + ' ' + await r.text();
  } catch (e) { out.token = 'blocked: ' + e; }
  try {
    const r = await fetch(app + 'gradio_api/call/leads', {method: 'POST', credentials: 'include',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify({data: ['All', 'All']})});
    const id = (await r.json()).event_id;
    const s = await fetch(app + 'gradio_api/call/leads/' + id, {credentials: 'include'});
    out.leads = s.status + ' ' + await s.text();
  } catch (e) { out.leads = 'blocked: ' + e; }
  return out;
}"""


class _OtherSite(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"<!doctype html><title>another site</title><p>nothing to see</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("app-sec-browser"), USERS, extra_leads=[HOSTILE_LEAD]) as served:
        yield served


@pytest.fixture(scope="module")
def other_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtherSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def sign_in(page, app, user: str = "rep1") -> None:
    page.goto(app.url)
    page.get_by_label("User name").fill(user)
    page.get_by_label("password").fill(app.passwords[user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".lead-card", timeout=30_000)


def test_a_page_on_another_origin_cannot_read_the_token_or_the_leads_nor_frame_the_app(app, other_site, browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, app)
    page.goto(other_site)
    stolen = page.evaluate(STEAL, app.url)
    assert stolen["token"].startswith("blocked"), stolen["token"]
    assert stolen["leads"].startswith("blocked"), stolen["leads"]
    page.evaluate(
        "(url) => { const f = document.createElement('iframe'); f.src = url; document.body.append(f); }", app.url
    )
    page.wait_for_timeout(1500)
    framed = [frame.url for frame in page.frames if frame != page.main_frame]
    assert framed == ["chrome-error://chromewebdata/"]  # refused by frame-ancestors 'none' / X-Frame-Options
    context.close()


def test_a_javascript_phone_is_text_the_csp_holds_and_sign_out_ends_the_session(app, browser, tmp_path):
    from conftest import TEST_OUTPUT

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, app)
    card = page.locator('.lead-card[data-opty="OPP-JS"]')
    assert card.count() == 1
    assert card.locator("a").count() == 0  # no link at all from this value
    assert "Phone: " + JS_PHONE in card.inner_text()
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.locator('a.call[href^="tel:+9198"]').count() == 5  # the real numbers still call
    card.locator(".phone-text").click()
    page.wait_for_timeout(300)
    assert dialogs == [] and violations == []
    (TEST_OUTPUT / "app").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(TEST_OUTPUT / "app" / "rep-390x844-javascript-phone.png"))

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector('input[name="password"]', timeout=15_000)
    page.goto(app.url)  # the old session is gone: back to the sign-in page
    assert page.locator('input[name="password"]').count() == 1
    context.close()
