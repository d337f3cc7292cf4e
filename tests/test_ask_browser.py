"""The Ask tab in a real headless Chromium: a manager on a phone picks a guided question and reads the answer of
their district, the table scrolling inside its box; a rep has no Ask tab. Screenshots go to test-output/app/."""

from __future__ import annotations

import os
import secrets

import pytest
from browser_kit import APP_SHOTS, NEEDS_CHROMIUM, horizontal_overflow
from test_app_browser import sign_in

from app.scope import Scope
from testkit import base_config, free_port
from testkit.rows import make_user, write_sample_lake

USERS = {"rep1": Scope("rep", dealer_code="DLR0001"), "mgr": Scope("manager", district="Pune")}

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from app.handlers import AppContext
    from app.web import launch

    root = tmp_path_factory.mktemp("ask-browser")
    write_sample_lake(root / "lake")
    passwords = {name: secrets.token_urlsafe(10) for name in USERS}
    for name, scope in USERS.items():
        make_user(root / "users.yaml", name, passwords[name], scope)
    config = base_config().with_overrides(
        paths={"lake_root": str(root / "lake")}, app={"users_file": str(root / "users.yaml")}
    )
    demo = launch(AppContext.from_config(config), "127.0.0.1", free_port(), prevent_thread_lock=True)
    yield demo.local_url, passwords
    demo.close()


def test_a_manager_on_a_phone_asks_a_guided_question(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, server, "mgr")
    page.wait_for_selector(".area-card", timeout=30_000)
    page.get_by_role("button", name="More tabs").click()  # a phone shows three tabs; the others are under ⋯
    page.locator(".overflow-dropdown button", has_text="Ask").click()
    assert page.get_by_label("Or ask in your own words").count() == 0  # no model configured: guided only
    page.get_by_label("A guided question (no model needed)").click()
    page.get_by_role("option", name="Which talukas are hot right now?").click()
    page.wait_for_selector(".ask-table", state="visible", timeout=30_000)
    answer = page.inner_text(".ask-answer")
    assert "Haveli" in answer and "Nashik" not in answer
    assert "From macro_market_hotspot_taluka_5d" in answer
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(APP_SHOTS / "manager-390x844-ask.png"), full_page=True)
    context.close()


def test_a_rep_has_no_ask_tab(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, server, "rep1")
    page.wait_for_selector(".lead-card", timeout=30_000)
    assert page.get_by_role("tab", name="Ask").count() == 0
    context.close()
