"""scv demo-data: the planted win-rate drivers (truth drivers.csv) show in the exported opportunities, and the
new optional columns are filled as the mapping reads them. Small scale; no Spark."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from test_demo_data import good_rows, small_landing, truth_csv

QUALIFIED = {"C1", "C2", "C3", "Closed Won"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return small_landing(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def closed(landing: dict[str, Any]) -> list[dict[str, Any]]:
    """Every closed opportunity: its closing row, whether it won and whether it got past the enquiry."""
    stages: dict[str, set[str]] = defaultdict(set)
    closing: dict[str, dict[str, str]] = {}
    for _, row in good_rows(landing, "customer_pipeline"):
        stages[row["Opty ID"]].add(row["Sales Stage"])
        if row["Opty Status"] in ("WON", "LOST"):
            closing.setdefault(row["Opty ID"], row)
    deals = []
    for opty, row in closing.items():
        deals.append(
            {
                **row,
                "won": row["Opty Status"] == "WON",
                "qualified": bool(stages[opty] & QUALIFIED),
                "closed": dt.datetime.strptime(row["Closed Date"], "%d-%m-%Y").date(),
            }
        )
    return deals


def _rate(deals: list[dict[str, Any]]) -> float:
    qualified = [d for d in deals if d["qualified"]]
    return sum(d["won"] for d in qualified) / len(qualified)


def _planted(landing: dict[str, Any], kind: str) -> dict[str, str]:
    return next(p for p in truth_csv(landing, "drivers.csv") if p["kind"] == kind)


def test_every_driver_is_planted_once(landing: dict[str, Any]) -> None:
    kinds = [p["kind"] for p in truth_csv(landing, "drivers.csv")]
    assert sorted(kinds) == ["competitor", "district_drop", "erratic_rep", "mix_shift", "poor_source"]


def test_closed_rows_carry_date_reason_and_competitor(closed: list[dict[str, Any]]) -> None:
    assert all(d["Sales Consultant"].startswith("SC") and d["Lead Source"] and d["Deal Value"] for d in closed)
    assert all(d["Lost Reason"] == "" for d in closed if d["won"])
    lost = [d for d in closed if not d["won"]]
    assert all(d["Lost Reason"] for d in lost)
    assert all(bool(d["Competitor"]) == (d["Lost Reason"] == "COMPETITION") for d in lost)


def test_the_drop_district_loses_at_least_15_points_from_its_start(
    landing: dict[str, Any], closed: list[dict[str, Any]]
) -> None:
    planted = _planted(landing, "district_drop")
    district, state = planted["segment"].split(", ")
    start = dt.date.fromisoformat(planted["start_date"])
    mine = [d for d in closed if (d["District"], d["State"]) == (district, state)]
    before = [d for d in mine if start - dt.timedelta(days=28) <= d["closed"] < start]
    after = [d for d in mine if d["closed"] >= start]
    assert _rate(before) - _rate(after) >= 0.15, (_rate(before), _rate(after))


def test_the_poor_source_converts_at_most_half_as_well(landing: dict[str, Any], closed: list[dict[str, Any]]) -> None:
    source = _planted(landing, "poor_source")["segment"].upper().replace(" ", "_")
    poor = [d for d in closed if d["Lead Source"] == source]
    rest = [d for d in closed if d["Lead Source"] != source]
    assert _rate(poor) <= 0.5 * _rate(rest)


def test_the_product_loses_to_one_competitor_in_its_district(
    landing: dict[str, Any], closed: list[dict[str, Any]]
) -> None:
    planted = _planted(landing, "competitor")
    product, place = planted["segment"].split(" in ")
    district, state = place.split(", ")
    start = dt.date.fromisoformat(planted["start_date"])
    cell = [
        d
        for d in closed
        if not d["won"] and d["closed"] >= start and (d["PPL"], d["District"], d["State"]) == (product, district, state)
    ]
    to_rival = [d for d in cell if d["Competitor"] == planted["competitor"]]
    assert len(to_rival) >= 3 and len(to_rival) > 0.5 * sum(bool(d["Competitor"]) for d in cell)


def test_the_erratic_consultant_swings_from_week_to_week(landing: dict[str, Any], closed: list[dict[str, Any]]) -> None:
    rep = _planted(landing, "erratic_rep")["segment"]
    weeks: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for d in closed:
        if d["Sales Consultant"] == rep and d["qualified"]:
            weeks[d["closed"].isocalendar()[:2]].append(d)
    rates = [sum(d["won"] for d in w) / len(w) for w in weeks.values() if len(w) >= 4]
    assert len(rates) >= 3 and max(rates) - min(rates) >= 0.4, rates


def test_the_mix_shift_brings_more_leads_from_the_poor_source(landing: dict[str, Any]) -> None:
    planted = _planted(landing, "mix_shift")
    source = planted["segment"].upper().replace(" ", "_")
    start = dt.date.fromisoformat(planted["start_date"])
    created: dict[str, tuple[dt.date, str]] = {}
    for _, row in good_rows(landing, "customer_pipeline"):
        day = dt.datetime.strptime(row["Created Date"], "%d-%m-%Y").date()
        created[row["Opty ID"]] = (day, row["Lead Source"])
    before = [s for day, s in created.values() if day < start]
    after = [s for day, s in created.values() if day >= start]
    assert after.count(source) / len(after) - before.count(source) / len(before) >= 0.15
