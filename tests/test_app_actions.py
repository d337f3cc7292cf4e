"""Rep actions through the handlers: stored in the lake at once (append-only, with user and time), shown at
once, only on the user's own leads; and the list tools: search, sort, district and dealer filters, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading

import pytest
from test_app_handlers import make_ctx

from app import handlers as h
from app.actions import ActionStore, LeadAction, read_actions
from app.handlers import AppContext
from testkit.rows import write_sample_lake

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def ctx(tmp_path) -> AppContext:
    write_sample_lake(tmp_path / "lake")
    return make_ctx(tmp_path, tmp_path / "lake")


def opty_ids(html: str) -> list[str]:
    return re.findall(r'<article[^>]*data-opty="([^"]+)"', html)


def test_done_leaves_the_list_at_once_and_lands_in_the_actions_table(ctx) -> None:
    assert "OPP-003" in opty_ids(h.leads_view(ctx, "rep1"))
    message = h.record_action(ctx, "rep1", "OPP-003", "done", today=TODAY)
    assert "Marked done: Meena Kulkarni" in message
    assert "OPP-003" not in opty_ids(h.leads_view(ctx, "rep1"))
    assert "1 lead done or snoozed" in h.leads_view(ctx, "rep1")
    rows = read_actions(str(ctx.settings.lake_root)).to_pylist()
    assert [(r["opty_id"], r["action"], r["user_name"], r["dealer_code"]) for r in rows] == [
        ("OPP-003", "done", "rep1", "DLR0001")
    ]
    assert rows[0]["acted_at"].tzinfo is not None
    assert 'data-opty="OPP-003"' in h.actions_view(ctx, "rep1")


def test_a_rep_cannot_act_on_another_dealers_lead(ctx) -> None:
    refused = h.record_action(ctx, "rep1", "OPP-101", "done", today=TODAY)
    assert "You can only log actions on your own leads." in refused
    assert read_actions(str(ctx.settings.lake_root)).num_rows == 0
    assert "OPP-101" in opty_ids(h.leads_view(ctx, "rep2"))  # still on its own rep's list
    assert "You can only log" in h.record_action(ctx, "mgr", "OPP-101", "note", note="x", today=TODAY)


def test_call_snooze_and_note_show_on_the_card_and_incomplete_ones_are_refused(ctx) -> None:
    assert "Say how the call went." in h.record_action(ctx, "rep1", "OPP-002", "called", today=TODAY)
    assert "Pick a date after today" in h.record_action(ctx, "rep1", "OPP-002", "snoozed", None, TODAY)
    assert "Call logged" in h.record_action(
        ctx, "rep1", "OPP-002", "called", "Connected", note="Wants EMI", today=TODAY
    )
    html = h.leads_view(ctx, "rep1")
    assert "Call logged: Connected on" in html and "Note: Wants EMI" in html
    assert "Last contact today (logged in the app)" in html
    assert "Snoozed" in h.record_action(ctx, "rep1", "OPP-004", "snoozed", None, "2099-01-01", today=TODAY)
    assert "OPP-004" not in opty_ids(h.leads_view(ctx, "rep1"))


def test_concurrent_writers_never_lose_an_action(tmp_path) -> None:
    stores = [ActionStore(str(tmp_path / "lake")) for _ in range(4)]  # four app processes' worth of writers
    ActionStore(str(tmp_path / "lake")).append(LeadAction("OPP-0", "D1", "note", "u", note="first"))

    def write(store: ActionStore, n: int) -> None:
        for i in range(5):
            store.append(LeadAction(f"OPP-{n}-{i}", "D1", "note", f"u{n}", note="x"))

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert read_actions(str(tmp_path / "lake")).num_rows == 1 + 4 * 5


def test_search_sort_and_filters(ctx) -> None:
    assert opty_ids(h.leads_view(ctx, "rep1", search="meena")) == ["OPP-003"]
    assert opty_ids(h.leads_view(ctx, "rep1", search="98003")) == ["OPP-003"]  # digits of the phone
    by_contact = opty_ids(h.leads_view(ctx, "rep1", sort="Longest without contact", limit=5))
    assert by_contact[1:] == ["OPP-004", "OPP-005", "OPP-003", "OPP-001"]  # never contacted first
    assert set(opty_ids(h.leads_view(ctx, "boss", district="Nashik", limit=10))) == {"OPP-101"}
    assert set(opty_ids(h.leads_view(ctx, "mgr", dealer="DLR0003", limit=10))) == {"OPP-201"}
    assert h.filter_values(ctx, "mgr", "dealer_code") == ["All", "DLR0001", "DLR0003"]
    assert h.filter_values(ctx, "rep1", "dealer_code") == ["All"]


def test_csv_export_for_managers_neutralises_formulas(tmp_path) -> None:
    from testkit import write_gold
    from testkit.rows import lead_row

    write_sample_lake(tmp_path / "lake")
    hostile = lead_row("OPP-9", "DLR0001", 99.0, customer_name="=HYPERLINK(1)")
    write_gold(tmp_path / "lake", "scv_customer_score", [hostile], mode="append")
    ctx = make_ctx(tmp_path, tmp_path / "lake")
    assert h.export_csv(ctx, "rep1", h.lead_query()) is None
    rows = list(csv.DictReader(io.StringIO(h.export_csv(ctx, "mgr", h.lead_query()) or "")))
    assert {r["opty_id"] for r in rows} == {"OPP-001", "OPP-002", "OPP-003", "OPP-004", "OPP-005", "OPP-201", "OPP-9"}
    assert next(r for r in rows if r["opty_id"] == "OPP-9")["customer_name"] == "'=HYPERLINK(1)"


def test_markets_on_a_past_date_and_a_taluka_trend(tmp_path) -> None:
    from testkit import write_gold
    from testkit.rows import AS_OF, hotspot_row

    write_sample_lake(tmp_path / "lake")
    earlier = AS_OF - dt.timedelta(days=3)
    past = [{**hotspot_row("Haveli", "Pune", "STABLE", leads_cur=20), "as_of_date": earlier}]
    write_gold(tmp_path / "lake", "macro_market_hotspot_taluka_5d", past, mode="append")
    ctx = make_ctx(tmp_path, tmp_path / "lake")
    assert h.market_dates(ctx, "mgr") == ["Latest", earlier.isoformat()]
    assert h.market_dates(ctx, "rep1") == ["Latest"]
    hot, _ = h.markets_view(ctx, "mgr", as_of=earlier.isoformat())
    assert "Haveli" in hot and "HOTSPOT" not in hot and "STABLE" in hot
    trend = h.trend_view(ctx, "mgr", "Haveli")
    assert "Haveli: last 2 dates" in trend and "Leads in 5 days: 42" in trend and "(from 20 on" in trend
    assert "Not available" in h.trend_view(ctx, "rep1", "Haveli")
    assert "Sinnar" not in h.trend_view(ctx, "mgr", "Sinnar") or "no trend yet" in h.trend_view(ctx, "mgr", "Sinnar")
