"""Ranking and routing on hand-built rows: the expected orders and priorities are worked out by hand from the
weights in conf/base/alert.yaml (docs/alert.md shows the arithmetic)."""

from __future__ import annotations

import pytest
from alert_helpers import make_config, realistic_rows

from alert_agent.rank import DistrictRow, TalukaSignal, district_view, rank_talukas, score_taluka
from alert_agent.routing import DISTRICT, LEADERSHIP, plan_messages
from alert_agent.settings import AlertSettings, DistrictManager, RankingWeights, alert_settings
from ground.config import ConfigError
from testkit.rows import AS_OF, HOSTILE, district_rows, hotspot_row

WEIGHTS = RankingWeights()


def signals(rows: list[dict]) -> list[TalukaSignal]:
    return [TalukaSignal.from_row(r) for r in rows]


def test_realistic_order_and_priorities_are_pinned() -> None:
    ranked = rank_talukas(signals(realistic_rows()), WEIGHTS)
    # Haveli:  50 + 10*0.6 + 15*1.0 + 10*1 + 20 (gap: 30 high-intent, 0 retail)          = 101.00
    # hostile: 50 + 10*0.75 + 15*1.0 + 10*35/50                                           =  79.50
    # Sinnar:  25 + 10*13/28 + 15*8/12 + 10*41/50 + 20 (gap: no retail, no stock)         =  67.84
    # Mulshi:  25 + 10*7/15 + 15*1/8 + 10*22/50 - 15 (excess: 30 saleable >= 2 * 9)       =  20.95
    # STABLE Niphad and NOISE Wai are not alerted.
    assert [(t.rank, t.signal.taluka, t.priority) for t in ranked] == [
        (1, "Haveli", 101.0),
        (2, HOSTILE, 79.5),
        (3, "Sinnar", 67.84),
        (4, "Mulshi", 20.95),
    ]
    assert [(t.is_supply_gap, t.is_excess_stock) for t in ranked] == [
        (True, False),
        (False, False),
        (True, False),
        (False, True),
    ]


def test_emerging_with_supply_gap_outranks_a_weak_hotspot_with_excess_stock() -> None:
    weak_hotspot = hotspot_row("Weak", "D1", "HOTSPOT", leads_cur=10, leads_prev=7, hi_leads_cur=4,
                               hi_leads_prev=3, retail_cur=5, saleable_stock=10)  # fmt: skip
    strong_emerging = hotspot_row("Strong", "D2", "EMERGING", leads_cur=60, leads_prev=30, hi_leads_cur=25,
                                  hi_leads_prev=10, retail_cur=0, saleable_stock=3)  # fmt: skip
    ranked = rank_talukas(signals([weak_hotspot, strong_emerging]), WEIGHTS)
    # Strong: 25 + 10*1.0 + 15*1.5 + 10 + 20 = 87.5;  Weak: 50 + 10*3/7 + 15*1/3 + 10*10/50 - 15 = 46.29
    assert [(t.signal.taluka, t.priority) for t in ranked] == [("Strong", 87.5), ("Weak", 46.29)]


def test_growth_is_capped_and_negative_growth_counts_as_zero() -> None:
    spike = score_taluka(signals([hotspot_row("Spike", "D", "EMERGING", leads_cur=40, leads_prev=2)])[0], WEIGHTS)
    assert spike.components["lead_growth"] == 20.0  # growth 19.0 capped at 2.0 -> 10 * 2
    falling = score_taluka(signals([hotspot_row("Fall", "D", "EMERGING", hi_leads_cur=2, hi_leads_prev=8)])[0], WEIGHTS)
    assert falling.components["intent_growth"] == 0.0


def test_supply_gap_needs_enough_high_intent_leads_even_when_gold_flags_it() -> None:
    few = hotspot_row("Few", "D", "EMERGING", hi_leads_cur=2, retail_cur=0)
    flagged = hotspot_row("Flag", "D", "EMERGING", hi_leads_cur=2, retail_cur=0, has_supply_gap=True)
    no_stock = hotspot_row("NoStock", "D", "EMERGING", hi_leads_cur=5, retail_cur=3, saleable_stock=0)
    gaps = {t.signal.taluka: t.is_supply_gap for t in rank_talukas(signals([few, flagged, no_stock]), WEIGHTS)}
    assert gaps == {"Few": False, "Flag": False, "NoStock": True}


def test_ties_break_on_high_intent_then_leads_then_names() -> None:
    rows = [hotspot_row(name, "D", "EMERGING", leads_cur=20, leads_prev=20) for name in ("Bravo", "Alpha")]
    rows.append(hotspot_row("Charlie", "D", "EMERGING", leads_cur=20, leads_prev=20, hi_leads_cur=9, hi_leads_prev=9))
    assert [t.signal.taluka for t in rank_talukas(signals(rows), WEIGHTS)] == ["Charlie", "Alpha", "Bravo"]


def test_weights_from_configuration_change_the_order(tmp_path, monkeypatch) -> None:
    config = make_config(tmp_path, monkeypatch, ranking={"status_points": {"HOTSPOT": 0, "EMERGING": 0}})
    ranked = rank_talukas(signals(realistic_rows()), alert_settings(config).weights)
    # Without status points: Haveli 51, Sinnar 42.84, hostile 29.5, Mulshi -4.05
    assert [t.signal.taluka for t in ranked] == ["Haveli", "Sinnar", HOSTILE, "Mulshi"]


def test_null_measures_and_names_are_tolerated() -> None:
    row = {"as_of_date": AS_OF, "status": "hotspot", "taluka": None, "leads_cur": 12, "leads_prev": None}
    signal = TalukaSignal.from_row(row)
    assert (signal.taluka, signal.status, signal.leads_prev, signal.lead_growth) == ("(unknown)", "HOTSPOT", 0, 12.0)


def test_bad_weights_are_refused(tmp_path, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="status_points"):
        alert_settings(make_config(tmp_path, monkeypatch, ranking={"status_points": {"HOT": 1}}))
    with pytest.raises(ConfigError, match="lead_growth must be a number"):
        alert_settings(make_config(tmp_path, monkeypatch, ranking={"lead_growth": "high"}))


def test_district_view_keeps_the_pipeline_rank_and_the_given_district_order() -> None:
    rows = [DistrictRow.from_row(r) for r in district_rows(realistic_rows())]
    view = district_view(rows, [("Maharashtra", "Nashik"), ("Maharashtra", "Pune")], max_districts=5)
    assert [(d, [(r.rank, r.taluka) for r in lines]) for _, d, lines in view] == [
        ("Nashik", [(1, "Sinnar"), (2, "Niphad")]),
        ("Pune", [(1, "Haveli"), (2, "Mulshi")]),
    ]
    assert len(district_view(rows, [("Maharashtra", "Nashik"), ("Maharashtra", "Pune")], max_districts=1)) == 1


def test_routing_leadership_gets_top_n_and_managers_their_districts() -> None:
    ranked = rank_talukas(signals(realistic_rows()), WEIGHTS)
    rows = [DistrictRow.from_row(r) for r in district_rows(realistic_rows())]
    settings = AlertSettings(
        leadership=("ceo@example.com", "cro@example.com"),
        district_managers=(
            DistrictManager("pune@example.com", ("pune",)),
            DistrictManager("kolhapur@example.com", ("Kolhapur",)),
        ),
    )
    plans = plan_messages(ranked, rows, settings, "2026-11-21")
    assert [(p.alert_type, p.recipient) for p in plans] == [
        (LEADERSHIP, "ceo@example.com"),
        (LEADERSHIP, "cro@example.com"),
        (DISTRICT, "pune@example.com"),
        (DISTRICT, "kolhapur@example.com"),
    ]
    leadership, _, pune, kolhapur = plans
    # built from what is shown: the count, and the first taluka by name
    assert leadership.subject == "Macro Market Hotspot Alert | Top 3 Talukas | 2026-11-21 | First: Haveli (HOTSPOT)"
    assert [t.signal.taluka for t in leadership.talukas] == ["Haveli", HOSTILE, "Sinnar"]
    assert [d for _, d, _ in leadership.districts] == ["Pune", "Satara", "Nashik"]
    assert [t.signal.taluka for t in pune.talukas] == ["Haveli", "Mulshi"]
    assert pune.subject == "Macro Market Hotspot Alert | Top 2 Talukas | 2026-11-21 | First: Haveli (HOTSPOT) | pune"
    assert kolhapur.is_all_clear and kolhapur.subject.startswith("Macro Market Hotspot Alert | All clear |")


def test_routing_when_empty_skip_sends_nothing_and_to_overrides_everyone() -> None:
    quiet = rank_talukas(signals([hotspot_row("Calm", "D", "STABLE")]), WEIGHTS)
    skip = AlertSettings(leadership=("ceo@example.com",), when_empty="skip",
                         district_managers=(DistrictManager("m@example.com", ("D",)),))  # fmt: skip
    assert plan_messages(quiet, [], skip, "2026-11-21") == []
    all_clear = plan_messages(quiet, [], AlertSettings(leadership=("ceo@example.com",)), "2026-11-21")
    assert [p.is_all_clear for p in all_clear] == [True]
    ranked = rank_talukas(signals(realistic_rows()), WEIGHTS)
    override = plan_messages(ranked, [], skip, "2026-11-21", override_to=["me@example.com"])
    assert [(p.alert_type, p.recipient) for p in override] == [(LEADERSHIP, "me@example.com")]


def test_when_empty_skip_still_sends_accounts_turning_critical_to_whom_they_concern() -> None:
    quiet = rank_talukas(signals([hotspot_row("Calm", "D", "STABLE")]), WEIGHTS)
    skip = AlertSettings(leadership=("ceo@example.com",), when_empty="skip",
                         district_managers=(DistrictManager("d@example.com", ("D",)),
                                            DistrictManager("e@example.com", ("E",))))  # fmt: skip
    plans = plan_messages(quiet, [], skip, "2026-11-21", account_districts=["d"])
    assert [(p.recipient, p.is_all_clear) for p in plans] == [("ceo@example.com", True), ("d@example.com", True)]


def test_manager_scope_and_unknown_districts_are_reported() -> None:
    from alert_agent.reasons import interpretation
    from alert_agent.routing import unknown_districts

    ranked = rank_talukas(signals(realistic_rows()), WEIGHTS)
    settings = AlertSettings(district_managers=(DistrictManager("pune@example.com", ("Pune",)),))
    (pune,) = plan_messages(ranked, [], settings, "2026-11-21")
    assert [t.signal.taluka for t in pune.alerted] == ["Haveli", "Mulshi"] and pune.where == "in Pune"
    assert interpretation(pune.alerted, pune.talukas, "2026-11-21", 5, pune.where).startswith(
        "1 taluka is HOTSPOT and 1 is EMERGING as of 2026-11-21. Most urgent: Haveli (Pune)"
    )
    assert interpretation((), (), "2026-11-21", 5, "in Kolhapur") == (
        "No taluka is HOTSPOT or EMERGING as of 2026-11-21: lead growth in the last 5 days is within the "
        "normal range in Kolhapur with enough data to judge."
    )
    managers = AlertSettings(district_managers=(DistrictManager("k@example.com", ("Kolhapur", "pune")),))
    assert unknown_districts(managers, ["Pune", "Satara"]) == [
        "k@example.com: no taluka rows for district Kolhapur (check alert.recipients.district_managers)"
    ]
