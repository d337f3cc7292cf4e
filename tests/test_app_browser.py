"""A real headless Chromium signs in as a rep on a phone and as a leader on a desktop; screenshots are kept.

Screenshots go to test-output/app/ (ignored by git, kept by CI). Needs Debian's chromium (`make system-deps`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from browser_kit import APP_SHOTS, NEEDS_CHROMIUM, horizontal_overflow

from app.scope import Scope
from testkit import base_config, free_port, write_gold
from testkit.rows import AS_OF, make_user, write_sample_lake

USERS = {"rep1": Scope("rep", dealer_code="DLR0001"), "boss": Scope("leader")}

pytestmark = NEEDS_CHROMIUM


def write_accounts(lake: Path) -> None:
    """Two accounts at risk, one with a long name, for the Accounts view."""
    long_name = "Maharashtra State Road Transport Corporation Divisional Workshop Fleet Account"
    write_gold(lake, "account_health", [
        {"as_of_date": AS_OF, "account_id": a, "account_name": name, "segment": "Institutional",
         "district": "Pune", "state": "Maharashtra", "rfm_segment": "Cannot Lose", "health_score": score,
         "health_class": cls, "factors": "No order for 200 days (it usually orders every 60 days)",
         "intervention": "Visit the account this week: its next order is 140 days overdue",
         "is_new_critical": cls == "Critical"}
        for a, name, score, cls in (("ACC1", long_name, 31.0, "Critical"), ("ACC2", "Patil Transport", 60.0, "Poor"))
    ])  # fmt: skip
    write_gold(lake, "account_churn_risk", [
        {"as_of_date": AS_OF, "account_id": a, "churn_probability": 0.8, "horizon_days": 180} for a in ("ACC1", "ACC2")
    ])  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from app.handlers import AppContext
    from app.web import launch

    root = tmp_path_factory.mktemp("app-browser")
    write_sample_lake(root / "lake")
    write_accounts(root / "lake")
    passwords = {name: secrets.token_urlsafe(10) for name in USERS}
    for name, scope in USERS.items():
        make_user(root / "users.yaml", name, passwords[name], scope)
    config = base_config().with_overrides(
        paths={"lake_root": str(root / "lake")}, app={"users_file": str(root / "users.yaml"), "page_size": 4}
    )
    demo = launch(AppContext.from_config(config), "127.0.0.1", free_port(), prevent_thread_lock=True)
    yield demo.local_url, passwords
    demo.close()


def sign_in(page, server, user: str) -> None:
    url, passwords = server
    page.goto(url)
    page.get_by_label("User name").fill(user)
    page.get_by_label("password").fill(passwords[user])
    page.get_by_role("button", name="Sign in").click()


def clipped_texts(page) -> list[str]:
    """Card texts wider than their box (cut off instead of wrapped)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.lead-card *, .area-card *, .bar-row *'))
            .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'hidden')
            .filter(e => e.clientWidth > 0).map(e => e.className + ': ' + e.textContent.slice(0, 40))"""
    )


def test_rep_on_a_phone_sees_lead_cards(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, server, "rep1")
    page.wait_for_selector(".lead-card", timeout=30_000)
    page.screenshot(path=str(APP_SHOTS / "rep-390x844-first-screen.png"))  # what a rep sees first
    cards = page.locator(".lead-card")
    assert cards.count() == 4  # app.page_size
    more = page.get_by_role("button", name="Show more leads")
    more.click()
    page.wait_for_function("document.querySelectorAll('.lead-card').length == 5", timeout=15_000)
    assert more.is_hidden()  # nothing more to show
    # OPP-001 has the best score but was contacted on the scoring day: the next best customer is OPP-002
    assert cards.first.get_attribute("class") == "lead-card next-best"
    assert "Sunil Transport Company Private Limited" in cards.first.inner_text()
    assert "Asha Patil <i>VIP</i>" in page.inner_text(".cards")  # markup in data shown as text
    calls = page.locator("a.call")
    assert calls.count() == 5
    assert all(calls.nth(i).get_attribute("href").startswith("tel:+9198") for i in range(5))
    assert min(calls.nth(i).bounding_box()["height"] for i in range(5)) >= 44
    assert page.get_by_role("tab", name="Markets").count() == 0
    assert page.get_by_role("tab", name="Performance").count() == 0
    assert page.get_by_role("tab", name="Accounts").count() == 0
    assert page.get_by_role("tab", name="Pipeline").count() == 1
    assert horizontal_overflow(page) <= 0
    assert clipped_texts(page) == []
    page.screenshot(path=str(APP_SHOTS / "rep-390x844.png"), full_page=True)

    page.get_by_label("Classification").click()
    page.get_by_role("option", name="Warm").click()
    page.wait_for_function("document.querySelectorAll('.lead-card').length == 2", timeout=15_000)
    assert "Meena Kulkarni" in page.locator(".lead-card").first.inner_text()
    page.wait_for_timeout(500)  # let the option list finish closing before the screenshot
    page.screenshot(path=str(APP_SHOTS / "rep-390x844-filter-warm.png"), full_page=True)

    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_timeout(300)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(APP_SHOTS / "rep-360x740.png"), full_page=True)
    context.close()


def test_leader_on_a_desktop_sees_markets_and_charts(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, server, "boss")
    page.wait_for_selector(".area-card", timeout=30_000)
    assert page.get_by_role("tab", name="Markets").get_attribute("aria-selected") == "true"
    areas = page.locator(".area-card")
    assert areas.count() == 3
    assert "Haveli" in areas.first.inner_text() and "HOTSPOT" in areas.first.inner_text()
    assert "Supply gap" in areas.first.inner_text()
    districts = page.locator("section.district h3")
    assert [districts.nth(i).inner_text().split("\n")[0].strip() for i in range(2)][0].startswith("Pune")
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(APP_SHOTS / "leader-1366-markets.png"), full_page=True)

    page.get_by_role("tab", name="Pipeline").click()
    page.wait_for_selector(".bar-row", state="visible")
    assert "Open leads by product line" in page.inner_text("body")
    assert "Score distribution" in page.inner_text("body")
    page.screenshot(path=str(APP_SHOTS / "leader-1366-pipeline.png"), full_page=True)
    page.get_by_role("button", name="Refresh").click()
    page.wait_for_timeout(800)
    assert page.get_by_role("tab", name="Pipeline").get_attribute("aria-selected") == "true"  # stays put

    page.get_by_role("tab", name="Leads").click()
    page.wait_for_selector(".lead-card", state="visible")
    page.get_by_role("button", name="Show more leads").click()
    page.wait_for_function("document.querySelectorAll('.lead-card').length == 7", timeout=15_000)  # all dealers
    assert clipped_texts(page) == []
    page.screenshot(path=str(APP_SHOTS / "leader-1366-leads.png"), full_page=True)
    context.close()


def test_leader_sees_accounts_at_risk_and_they_fit_a_phone(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, server, "boss")
    page.wait_for_selector(".area-card", timeout=30_000)
    page.get_by_role("tab", name="Accounts").click()
    page.wait_for_selector("[data-account]", state="visible")
    cards = page.locator("[data-account]")
    assert cards.count() == 2 and "Maharashtra State Road Transport" in cards.first.inner_text()
    assert "What to do:" in cards.first.inner_text() and "New today" in cards.first.inner_text()
    assert "No pair of product lines is bought together by enough accounts yet." in page.inner_text("body")
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_timeout(300)
    assert horizontal_overflow(page) <= 0
    assert clipped_texts(page) == []
    page.screenshot(path=str(APP_SHOTS / "leader-360-accounts.png"), full_page=True)
    context.close()
