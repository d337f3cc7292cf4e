"""The app's handlers as plain functions: scope, filters, ordering, empty states, escaping."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app import handlers as h
from app.data import DataAccess
from app.handlers import AppContext
from app.scope import Scope, ScopeError
from testkit import base_config, write_gold
from testkit.rows import AS_OF, hotspot_row, lead_row, make_user, top3_row

OTHER_DEALER_MARKERS = ["OPP-D2-", "Nashik Buyer", "Fleet tender", "DLR0002"]


@pytest.fixture
def lake(tmp_path):
    root = tmp_path / "lake"
    leads = [
        lead_row("OPP-D1-1", "DLR0001", 70.0, customer_name="Asha", lead_classification="Warm"),
        lead_row("OPP-D1-2", "DLR0001", 90.0, customer_name="Bala", days_since_last_contact=0),
        lead_row("OPP-D1-3", "DLR0001", 80.0, customer_name="Chitra", opty_category="Digital"),
        lead_row("OPP-D1-4", "DLR0001", 80.0, customer_name="Deepak", lead_classification="Cold"),
        lead_row("OPP-D1-OLD", "DLR0001", 99.0, customer_name="Closed Long Ago", as_of_date=AS_OF - dt.timedelta(5)),
        lead_row(
            "OPP-D2-1",
            "DLR0002",
            95.0,
            customer_name="Nashik Buyer",
            district="Nashik",
            taluka="Sinnar",
            opty_category="Fleet tender",
            product_line="Bus",
        ),
        lead_row("OPP-D3-1", "DLR0003", 60.0, customer_name="Pune Other Dealer", taluka="Mulshi"),
    ]
    write_gold(root, "scv_customer_score", leads)
    write_gold(
        root,
        "macro_market_hotspot_taluka_5d",
        [
            hotspot_row("Mulshi", "Pune", "STABLE", leads_cur=50),
            hotspot_row("Haveli", "Pune", "HOTSPOT", leads_cur=20, leads_prev=10, has_supply_gap=True),
            hotspot_row("Velhe", "Pune", "NOISE", leads_cur=2),
            hotspot_row("Sinnar", "Nashik", "EMERGING", leads_cur=30),
        ],
    )
    write_gold(
        root,
        "district_top3_talukas",
        [
            top3_row("Pune", 2, "Mulshi", "STABLE", 50),
            top3_row("Pune", 1, "Haveli", "HOTSPOT", 20),
            top3_row("Nashik", 1, "Sinnar", "EMERGING", 30),
        ],
    )
    return root


def make_ctx(tmp_path, lake_root) -> AppContext:
    users_file = tmp_path / "users.yaml"
    config = base_config().with_overrides(
        paths={"lake_root": str(lake_root)}, app={"users_file": str(users_file), "page_size": 3}
    )
    for name, scope in {
        "rep1": Scope("rep", dealer_code="DLR0001"),
        "rep2": Scope("rep", dealer_code="DLR0002"),
        "rep-empty": Scope("rep", dealer_code="DLR0999"),
        "mgr": Scope("manager", district="Pune"),
        "mgr-ka": Scope("manager", district="Pune", state="Karnataka"),
        "boss": Scope("leader"),
    }.items():
        make_user(users_file, name, "unused-in-handler-tests", scope)
    return AppContext.from_config(config)


@pytest.fixture
def ctx(tmp_path, lake) -> AppContext:
    return make_ctx(tmp_path, lake)


def opty_ids(html: str) -> list[str]:
    return re.findall(r'data-opty="([^"]+)"', html)


def test_rep_cannot_read_another_dealers_rows_through_any_handler(ctx):
    outputs = [
        h.header_html(ctx, "rep1"),
        repr(h.filter_choices(ctx, "rep1")),
        repr(h.district_choices(ctx, "rep1")),
        *h.markets_view(ctx, "rep1"),
        *h.markets_view(ctx, "rep1", "EMERGING", "Nashik"),
        *h.pipeline_view(ctx, "rep1"),
    ]
    for enquiry in ["All", "Walk-in", "Fleet tender", "' or 1=1 --"]:
        for cls in ["All", "Hot", "Warm"]:
            outputs.append(h.leads_view(ctx, "rep1", enquiry, cls, limit=100))
    text = "\n".join(outputs)
    for marker in OTHER_DEALER_MARKERS + ["OPP-D3-", "Pune Other Dealer"]:
        assert marker not in text
    assert "Not available" in h.markets_view(ctx, "rep1")[0]
    assert "Bus" not in h.pipeline_view(ctx, "rep1")[0]  # DLR0002's product line
    # and below the handlers, the data layer refuses markets and slices leads to the dealer
    with pytest.raises(ScopeError):
        ctx.data.hotspots(Scope("rep", dealer_code="DLR0001"))
    page = ctx.data.leads(Scope("rep", dealer_code="DLR0001"), limit=100)
    assert {r["dealer_code"] for r in [page.next_best, *page.rows]} == {"DLR0001"}


def test_rep_sees_own_leads_best_first_with_next_best_customer_on_top(ctx):
    html = h.leads_view(ctx, "rep1", limit=10)
    # Bala has the best score but was contacted on the scoring day, so Chitra (80, OPP-D1-3 before -4) is next.
    assert opty_ids(html) == ["OPP-D1-3", "OPP-D1-2", "OPP-D1-4", "OPP-D1-1"]
    assert html.count('class="lead-card next-best"') == 1
    assert "Next best customer" in html
    assert "Top 4 of 4 open leads" in html
    assert "Closed Long Ago" not in html  # scored on an earlier date: no longer open


def test_page_size_limits_cards_and_show_more_raises_it(ctx):
    assert len(opty_ids(h.leads_view(ctx, "rep1"))) == 3  # app.page_size
    assert h.has_more_leads(ctx, "rep1")
    assert len(opty_ids(h.leads_view(ctx, "rep1", limit=6))) == 4
    assert not h.has_more_leads(ctx, "rep1", limit=6)
    assert not h.has_more_leads(ctx, "rep1", "Digital")
    assert not h.has_more_leads(ctx, "nobody")


def test_filters_by_classification_and_enquiry_type(ctx):
    assert opty_ids(h.leads_view(ctx, "rep1", "All", "Warm")) == ["OPP-D1-1"]
    assert opty_ids(h.leads_view(ctx, "rep1", "Digital", "All")) == ["OPP-D1-3"]
    assert opty_ids(h.leads_view(ctx, "rep1", "Walk-in", "Hot")) == ["OPP-D1-2"]
    assert "No leads match" in h.leads_view(ctx, "rep1", "Digital", "Cold")
    assert "1 matching" in h.leads_view(ctx, "rep1", "All", "Warm")


def test_filter_choices_come_from_the_users_scope(ctx):
    assert h.filter_choices(ctx, "rep1") == (["All", "Digital", "Walk-in"], ["All", "Cold", "Hot", "Warm"])
    assert h.filter_choices(ctx, "rep2") == (["All", "Fleet tender"], ["All", "Hot"])
    assert h.filter_choices(ctx, "nobody") == (["All"], ["All"])


def test_manager_sees_their_district_and_leader_everything(ctx):
    manager = opty_ids(h.leads_view(ctx, "mgr", limit=50))
    assert set(manager) == {"OPP-D1-1", "OPP-D1-2", "OPP-D1-3", "OPP-D1-4", "OPP-D3-1"}
    leader = opty_ids(h.leads_view(ctx, "boss", limit=50))
    assert set(leader) == set(manager) | {"OPP-D2-1"}
    assert "DLR0003 · Mulshi" in h.leads_view(ctx, "mgr", limit=50)  # managers see which dealer
    hotspots, top = h.markets_view(ctx, "mgr")
    assert "Sinnar" not in hotspots + top
    assert "Sinnar" in "".join(h.markets_view(ctx, "boss"))
    assert h.district_choices(ctx, "mgr") == ["All"]
    assert h.district_choices(ctx, "boss") == ["All", "Nashik", "Pune"]


def test_manager_state_narrows_the_district(ctx):
    assert "No open leads" in h.leads_view(ctx, "mgr-ka")
    assert "No talukas" in h.markets_view(ctx, "mgr-ka")[0]


def test_hotspots_most_urgent_first_with_reasons_and_status_filter(ctx):
    hotspots, top = h.markets_view(ctx, "mgr")
    names = re.findall(r'<h3 class="area-name">([^<]+)</h3>', hotspots)
    assert names == ["Haveli", "Mulshi", "Velhe"]  # HOTSPOT, then STABLE, then NOISE
    assert "Supply gap: high-intent demand but no retail" in hotspots
    assert "20 leads in 5 days (+100%)" in hotspots
    assert re.findall(r'class="top-name">([^<]+)<', top) == ["Haveli", "Mulshi"]  # by rank
    only_stable, _ = h.markets_view(ctx, "boss", "STABLE")
    assert re.findall(r'<h3 class="area-name">([^<]+)</h3>', only_stable) == ["Mulshi"]
    _, nashik_top = h.markets_view(ctx, "boss", "All", "Nashik")
    assert "Sinnar" in nashik_top and "Haveli" not in nashik_top


def test_leader_top3_lists_most_urgent_district_first(ctx):
    _, top = h.markets_view(ctx, "boss")
    assert top.index("Pune") < top.index("Nashik")  # Pune holds a HOTSPOT


def test_pipeline_charts_count_leads_in_scope(ctx):
    product_lines, scores = h.pipeline_view(ctx, "boss")
    assert "Pickup 1.5T</span>" in product_lines and "5 · avg 76" in product_lines
    assert "Bus</span>" in product_lines and "1 · avg 95" in product_lines
    assert product_lines.index("Pickup 1.5T") < product_lines.index("Bus")  # most leads first
    bands = dict(re.findall(r'bar-label">([^<]+)</span>.*?bar-value">(\d+)<', scores))
    expected = {f"{b}-{b + 9}": "0" for b in range(0, 90, 10)}
    expected.update({"90-100": "2", "80-89": "2", "70-79": "1", "60-69": "1"})
    assert bands == expected
    assert list(bands)[0] == "90-100"  # highest band first


def test_user_without_leads_gets_a_friendly_empty_state(ctx):
    html = h.leads_view(ctx, "rep-empty")
    assert "No open leads" in html and "dealer DLR0999" in html
    assert "No leads in scope" in h.pipeline_view(ctx, "rep-empty")[1]


def test_unknown_user_gets_nothing(ctx):
    for output in [h.leads_view(ctx, "nobody"), h.header_html(ctx, None), h.markets_view(ctx, "nobody")[0]]:
        assert "Not signed in" in output
    assert "Not signed in" in h.pipeline_view(ctx, "")[0]


def test_before_the_first_nightly_run_every_view_says_so(tmp_path):
    ctx = make_ctx(tmp_path, tmp_path / "empty-lake")
    assert "No scores yet" in h.leads_view(ctx, "rep1")
    hotspots, top = h.markets_view(ctx, "boss")
    assert "No market data yet" in hotspots and "No district ranking yet" in top
    assert "No scores yet" in h.pipeline_view(ctx, "boss")[0]
    assert "no scores yet" in h.header_html(ctx, "boss")


def test_values_from_data_are_escaped(tmp_path):
    lake = tmp_path / "lake"
    write_gold(
        lake,
        "scv_customer_score",
        [
            lead_row(
                'X"><script>',
                "DLR0001",
                50.0,
                customer_name="<img src=x onerror=alert(1)>",
                reasons=["<b>bold</b> reason"],
                next_best_action="<script>alert(2)</script>",
                customer_phone='+91 "><a href=evil>',
            )
        ],
    )
    write_gold(lake, "macro_market_hotspot_taluka_5d", [hotspot_row("<svg onload=x>", "Pune", "HOTSPOT", leads_cur=9)])
    html = h.leads_view(make_ctx(tmp_path, lake), "rep1")
    assert "<img" not in html and "<script" not in html and "<b>bold" not in html and "<a href=evil" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="tel:+91"' not in html  # too few digits: no call link
    assert "<svg" not in h.markets_view(make_ctx(tmp_path, lake), "boss")[0]


def test_tap_to_call_link_keeps_plus_and_digits(ctx):
    assert 'href="tel:+919876543210"' in h.leads_view(ctx, "rep1")


def test_results_are_reused_while_the_version_is_unchanged(lake):
    access = DataAccess.for_lake(str(lake), refresh_seconds=3600)
    rep = Scope("rep", dealer_code="DLR0001")
    assert access.leads(rep) is access.leads(rep)
    assert access.leads(rep, "Digital") is not access.leads(rep)


def test_supply_gap_sentence_names_what_is_missing():
    from app.markets import taluka_reasons

    row = {"leads_cur": 74, "hi_leads_cur": 57, "retail_cur": 7, "saleable_stock": 0, "has_supply_gap": True}
    assert "Supply gap: high-intent demand but no saleable stock" in taluka_reasons(row)
    row.update(retail_cur=0, saleable_stock=3)
    assert "Supply gap: high-intent demand but no retail" in taluka_reasons(row)
    row.update(saleable_stock=0)
    assert "Supply gap: high-intent demand but no retail and no saleable stock" in taluka_reasons(row)
