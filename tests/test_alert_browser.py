"""The rendered email in a real headless Chromium: no horizontal overflow at 360 px, hostile names shown as
text and never executed. Screenshots (360 and 1200 px) go to test-output/alert/ for people to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alert_helpers import realistic_rows
from browser_kit import NEEDS_CHROMIUM, horizontal_overflow

from alert_agent.rank import DistrictRow, TalukaSignal, rank_talukas
from alert_agent.reasons import interpretation
from alert_agent.render import browser_html, render_html
from alert_agent.routing import plan_messages
from alert_agent.settings import AlertSettings
from alert_agent.trend import inline_images, trend_for
from alert_agent.view import Freshness, email_view, status_of
from alert_agent.win_rate_run import render
from alert_agent.win_rate_view import DriverLine, WinRateEmail
from ground.config import PROJECT_ROOT
from testkit.rows import AS_OF, HOSTILE, district_rows, hotspot_row

SHOTS = PROJECT_ROOT / "test-output" / "alert"
LONG = "Shrirampur" * 8  # one 80-character word: must wrap, not widen the page

pytestmark = NEEDS_CHROMIUM


def email_html(rows: list[dict[str, Any]], settings: AlertSettings) -> str:
    """The outbox's browser copy of the email: the trend charts as data: URIs instead of cid: parts."""
    signals = [TalukaSignal.from_row(r) for r in rows]
    ranked = rank_talukas(signals, settings.weights)
    districts = [DistrictRow.from_row(r) for r in district_rows(rows)]
    plan = plan_messages(ranked, districts, settings, AS_OF.isoformat(), signals=signals)[0]
    freshness = Freshness(AS_OF, 12, datetime(2026, 11, 22, 2, 14, tzinfo=UTC))
    paragraph = interpretation(ranked, plan.talukas, AS_OF.isoformat(), settings.window_days)
    counts = {AS_OF - timedelta(days=i): 3 + (i * 7) % 5 + (9 if i < 4 else 0) for i in range(30)}
    trends = [trend_for(t.signal.taluka, AS_OF, counts, 30) for t in plan.talukas]
    charts = inline_images(trends, 5, [status_of(t.signal.status).accent for t in plan.talukas], AS_OF)
    view = email_view(plan, settings, freshness, paragraph, charts=charts)
    return browser_html(view, render_html(view))


def open_email(browser: Any, html: str, width: int, height: int) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content(html, wait_until="load")
    return page, dialogs


def test_phone_width_has_no_overflow_and_hostile_names_are_text(browser: Any) -> None:
    settings = AlertSettings(leadership=("ceo@example.com",), app_url="https://leads.example.com")
    html = email_html(realistic_rows(), settings)
    page, dialogs = open_email(browser, html, 360, 800)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.evaluate("document.querySelectorAll('script, iframe, link, style').length") == 0
        charts = page.evaluate(
            "Array.from(document.images)"
            ".map(i => [i.alt.slice(0, 20), i.naturalWidth, i.getBoundingClientRect().width])"
        )
        assert [c[0] for c in charts] == ["Leads per day in Hav", "Leads per day in <sc", "Leads per day in Sin"]
        assert all(natural == 560 and 250 < shown <= 340 for _, natural, shown in charts)  # scaled to the column
        assert page.evaluate("document.body.innerText").count(HOSTILE) == 3  # summary table, card, district view
        assert page.get_by_text(f"2. {HOSTILE}", exact=True).is_visible()
        assert dialogs == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "alert-360.png"), full_page=True)
    finally:
        page.close()
    wide, _ = open_email(browser, html, 1200, 900)
    try:
        assert wide.evaluate("document.querySelector('table table').getBoundingClientRect().width") <= 600
        wide.screenshot(path=str(SHOTS / "alert-1200.png"), full_page=True)
    finally:
        wide.close()


def test_all_clear_with_a_watch_list_at_phone_width(browser: Any) -> None:
    rows = [
        hotspot_row("Calm", "Pune", "STABLE"),
        hotspot_row("Dry", "Pune", "STABLE", hi_leads_cur=6, retail_cur=0),
        hotspot_row("Close", "Satara", "STABLE", recent_leads=40, upper_leads=45.0, surge_score=0.8),
    ]
    page, _ = open_email(browser, email_html(rows, AlertSettings(leadership=("ceo@example.com",))), 360, 800)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        body = page.evaluate("document.body.innerText")
        assert "All clear" in body and "WATCH LIST" in body.upper() and "Dry" in body and "Close" in body
        assert page.evaluate("document.links.length") == 0  # no app.public_url: no link at all
        page.screenshot(path=str(SHOTS / "alert-360-all-clear.png"), full_page=True)
    finally:
        page.close()


def test_a_long_unbroken_name_wraps_at_phone_width(browser: Any) -> None:
    rows = [hotspot_row(LONG, LONG, "HOTSPOT", leads_cur=1234567, leads_prev=20, hi_leads_cur=99999)]
    page, _ = open_email(browser, email_html(rows, AlertSettings(leadership=("ceo@example.com",))), 360, 800)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(SHOTS / "alert-360-long-name.png"), full_page=True)
    finally:
        page.close()


def test_the_win_rate_email_at_phone_width(browser: Any) -> None:
    """The weekly email's every section (a warning, new and ongoing drivers, coverage, the app link), styles
    inlined (no class or style element left), a hostile segment shown as text, a long name wrapped."""
    hostile = DriverLine("h", "below_parent", "Lead source", f"Lead source {HOSTILE} converts 4%.", "2026-11-22",
                         "about 40 deals lost", 40.0, True)  # fmt: skip
    long = DriverLine("d", "drop", "District drop", f"Win rate fell 26 points for district {LONG}.", "2026-11-20",
                      "about 25 deals lost", 25.2, False)  # fmt: skip
    email = WinRateEmail(
        "Win Rate Drivers | Week of 2026-11-16", "2 new drivers", "2 new drivers of the win rate", "2026-11-16",
        "2026-11-22", ("Last 7 days: win rate 26% on 1,200 closed deals, 30% the 28 days before.",), (hostile, long),
        (long,), "Over the last 30 days the win rate moved -3.0 points.", ("No deal has deal_value.",),
        "Most of the fall is the lead source mix.", "", "https://leads.example.com/?tab=performance",
        "Data as of 2026-11-22.", "the leadership list", data_warning="The night of 2026-11-22 is incomplete.",
    )  # fmt: skip
    page, dialogs = open_email(browser, render(email)[0], 360, 800)
    try:
        assert horizontal_overflow(page) == 0
        assert page.evaluate("document.querySelectorAll('script, style, [class]').length") == 0
        body = page.evaluate("document.body.innerText")
        assert body.count(f"Lead source {HOSTILE} converts 4%.") == 1 and dialogs == []
        assert "STILL ACTIVE FROM EARLIER WEEKS" in body.upper() and "no longer active" in body
        # the card rules reached the elements: each driver's accent border, the button's colour
        borders = page.evaluate(
            "Array.from(document.querySelectorAll('table[role=presentation]'))"
            ".map(t => getComputedStyle(t).borderLeftWidth).filter(w => w === '4px').length"
        )
        assert borders == 3
        link = page.get_by_role("link", name="Open Performance in the SCV app")
        assert link.evaluate("a => getComputedStyle(a).color") == "rgb(255, 255, 255)"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "win-rate-360.png"), full_page=True)
    finally:
        page.close()
