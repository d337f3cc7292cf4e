"""In Chromium at 360, 390 and 1366 px: no horizontal overflow, the Pipeline bars visible with width (stacked on
a phone), a lead marked done leaving the list and landing in the actions table, and a rep offered no other
dealer's lead to act on. Screenshots of a rep, a manager and a leader go to test-output/app/."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from browser_kit import APP_SHOTS, NEEDS_CHROMIUM, horizontal_overflow

from app.scope import Scope
from testkit import base_config, free_port
from testkit.rows import make_user, write_sample_lake

USERS = {"rep1": Scope("rep", dealer_code="DLR0001"), "mgr": Scope("manager", district="Pune"), "boss": Scope("leader")}

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from app.handlers import AppContext
    from app.web import launch

    root: Path = tmp_path_factory.mktemp("app-actions")
    write_sample_lake(root / "lake")
    passwords = {name: secrets.token_urlsafe(10) for name in USERS}
    for name, scope in USERS.items():
        make_user(root / "users.yaml", name, passwords[name], scope)
    config = base_config().with_overrides(
        paths={"lake_root": str(root / "lake")}, app={"users_file": str(root / "users.yaml"), "page_size": 6}
    )
    demo = launch(AppContext.from_config(config), "127.0.0.1", free_port(), prevent_thread_lock=True)
    yield demo.local_url, passwords
    demo.close()


def open_as(browser, server, user: str, width: int, height: int = 844):  # type: ignore[no-untyped-def]
    url, passwords = server
    mobile = width < 600
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    page.goto(url)
    assert page.title().startswith("Sign in") and "radio" not in page.title().lower()
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(passwords[user])
    page.get_by_role("button", name="Sign in").click()
    page.locator(".lead-card:visible, .area-card:visible").first.wait_for(timeout=30_000)
    return context, page


def bar_boxes(page) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.bar-row')).filter(r => r.querySelector('.bar-fill')
            .getBoundingClientRect().height > 0).map(r => ({
              track: r.querySelector('.bar-track').getBoundingClientRect().width,
              fill: r.querySelector('.bar-fill').getBoundingClientRect().width,
              label: r.querySelector('.bar-label').getBoundingClientRect().height}))"""
    )


@pytest.mark.parametrize("width", [360, 390, 1366])
def test_pipeline_bars_have_width_and_nothing_overflows(server, browser, width: int) -> None:
    context, page = open_as(browser, server, "boss", width)
    assert horizontal_overflow(page) <= 0
    page.get_by_role("tab", name="Pipeline").click()
    page.wait_for_selector(".bar-row", state="visible")
    page.wait_for_timeout(300)
    bars = bar_boxes(page)
    assert bars and all(b["track"] >= 60 and b["fill"] > 0 for b in bars)
    charts = page.evaluate(
        "Array.from(document.querySelectorAll('.chart')).map(c => c.getBoundingClientRect())"
        ".map(r => [Math.round(r.left), Math.round(r.top), Math.round(r.width)])"
    )
    assert len(charts) == 2
    if width < 760:  # one above the other, each the width of the screen (less the margins)
        assert charts[0][0] == charts[1][0] and charts[1][1] > charts[0][1] and charts[0][2] >= width - 60
    else:  # side by side
        assert charts[0][1] == charts[1][1] and charts[1][0] > charts[0][0]
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(APP_SHOTS / f"leader-{width}-pipeline.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("width", [360, 390])
def test_a_rep_marks_a_lead_done_and_it_leaves_the_list(server, browser, width: int) -> None:
    context, page = open_as(browser, server, "rep1", width)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(APP_SHOTS / f"rep-{width}-leads.png"), full_page=True)
    lead = "OPP-003" if width == 360 else "OPP-004"
    assert page.locator(f'.lead-card[data-opty="{lead}"]').count() == 1
    page.get_by_label("Lead", exact=True).click()
    options = page.get_by_role("option").all_inner_texts()
    assert options and all("OPP-00" in o for o in options)  # DLR0001's leads only: never OPP-101 or OPP-201
    page.get_by_role("option", name=lead).click()
    page.get_by_label("Done").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(f'#actions-table tr[data-opty="{lead}"]', timeout=15_000)
    assert page.locator(f'.lead-card[data-opty="{lead}"]').count() == 0
    assert "Marked done" in page.inner_text("body")
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(APP_SHOTS / f"rep-{width}-after-done.png"), full_page=True)
    context.close()


@pytest.mark.parametrize(("user", "width"), [("mgr", 390), ("boss", 1366)])
def test_managers_and_leaders_search_filter_and_export(server, browser, user: str, width: int) -> None:
    context, page = open_as(browser, server, user, width)
    page.get_by_role("tab", name="Leads").click()
    page.wait_for_selector(".lead-card", state="visible")
    assert page.locator("a.export").count() == 1
    page.get_by_label("Search").fill("sunil")
    page.get_by_label("Search").press("Enter")
    page.wait_for_function("document.querySelectorAll('.lead-card').length == 1", timeout=15_000)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(APP_SHOTS / f"{user}-{width}-search.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("a.export").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("opty_id,dealer_code") and "OPP-002" in text and "OPP-101" not in text
    context.close()
