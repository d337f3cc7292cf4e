"""The KPI anomalies section of the daily leadership email and the app's KPIs view (docs/kpi.md)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alert_helpers import realistic_rows
from test_alert_render import view_for

from alert_agent.kpi_section import AnomalySection, section
from alert_agent.render import render_html, render_text
from app.handlers import AppContext, kpis_view
from app.kpis import chart_points
from app.scope import Scope
from testkit import base_config, write_gold
from testkit.rows import HOSTILE, make_user

AS_OF = date(2026, 10, 31)


def anomaly(member: str, level: str, rank: int, is_new: bool = True, contributors: str = "", **values: Any) -> dict:
    return {
        "as_of_date": AS_OF, "anomaly_id": f"retail_units:{level}:{member}:below", "kpi": "retail_units",
        "level": level, "member": member, "direction": "below", "severity": "high", "rank": rank, "is_new": is_new,
        "contributors": contributors, "sentence": f"Retail units in {member} 40% below forecast.", **values,
    }  # fmt: skip


def test_the_section_shows_new_episodes_ranked_and_leaves_a_parent_to_its_child() -> None:
    rows = [
        anomaly("All", "company", 1, contributors="Gujarat; Maharashtra"),  # its top child, Gujarat, is new too
        anomaly(
            "Gujarat", "state", 2, contributors="Morbi, Gujarat; Rajkot, Gujarat"
        ),  # ... and Morbi tells Gujarat's story
        anomaly("Morbi, Gujarat", "district", 3, contributors="DLR0012; DLR0014", severity="medium"),
        anomaly("Pickup", "product_line", 4, is_new=False),  # raised on an earlier day: not repeated
        anomaly("Pune, Maharashtra", "district", 5),
        anomaly("Nashik, Maharashtra", "district", 6),
    ]
    shown = section(rows, 2)
    assert [line.sentence for line in shown.lines] == [
        "Retail units in Morbi, Gujarat 40% below forecast.",
        "Retail units in Pune, Maharashtra 40% below forecast.",
    ]
    assert [line.severity for line in shown.lines] == ["medium", "high"]
    assert shown.ongoing_note == "1 KPI anomaly raised earlier still active (in the app)."


def test_the_email_carries_the_section_escaped_and_keeps_its_other_sections() -> None:
    hostile = section([anomaly(HOSTILE, "district", 1)], 3)
    view = view_for(realistic_rows())
    with_section = type(view)(**{**view.__dict__, "anomalies": hostile})
    text, html = render_text(with_section), render_html(with_section)
    assert "KPI ANOMALIES" in text and f"Retail units in {HOSTILE} 40% below forecast." in " ".join(text.split())
    assert "KPI anomalies" in html and "<script>" not in html and "TOP TALUKAS" in text
    assert "DISTRICT VIEW" in text
    plain = render_text(type(view)(**{**view.__dict__, "anomalies": AnomalySection()}))
    assert "KPI ANOMALIES" not in plain


def kpi_rows() -> dict[str, list[dict[str, Any]]]:
    """Two districts of Maharashtra (Pune: DLR0001, Nashik: DLR0002) over a week, the network's top mover hostile."""
    days = [AS_OF - timedelta(days=k) for k in range(7)]
    places = {
        ("company", "All"): {}, ("district", "Pune, MH"): {"state": "MH", "district": "Pune"},
        ("district", "Nashik, MH"): {"state": "MH", "district": "Nashik"},
        ("dealer", "DLR0001"): {"state": "MH", "district": "Pune", "dealer_code": "DLR0001"},
        ("dealer", "DLR0002"): {"state": "MH", "district": "Nashik", "dealer_code": "DLR0002"},
    }  # fmt: skip
    daily = [
        {"as_of_date": d, "level": level, "member": member, **place, "retail_units": 5, "leads": 9, "hi_leads": 4,
         "bookings": 2, "mtd_retail_units": 100, "top_mover_product_line": HOSTILE if level == "company" else "Pickup"}
        for d in days for (level, member), place in places.items()
    ]  # fmt: skip
    origin = date(2026, 10, 25)
    forecast = [
        {"as_of_date": origin, "kpi": "retail_units", "level": level, "member": member, **place,
         "forecast_date": origin + timedelta(days=k), "horizon_day": k, "forecast": 6.0, "forecast_low": 3.0,
         "forecast_high": 9.0, "model": "ets"}
        for (level, member), place in places.items() for k in range(1, 31)
    ]  # fmt: skip
    anomalies = [
        {**anomaly(m, "district", rank), "state": "MH", "district": m.split(",")[0], "episode_start": AS_OF}
        for rank, m in enumerate(("Pune, MH", "Nashik, MH"), start=1)
    ]
    slow = [
        {"as_of_date": AS_OF, "dealer_code": d, "product_line": "Pickup", "district": district, "state": "MH",
         "saleable_stock": 3, "days_without_sale": 40, "bucket_days": 30, "units_tied_up": 3}
        for d, district in (("DLR0001", "Pune"), ("DLR0002", "Nashik"))
    ]  # fmt: skip
    abc = [{"as_of_date": AS_OF, "dimension": "product_line", "item": "Pickup", "product_line": "Pickup",
            "value": 1e7, "units": 12, "share": 1.0, "cumulative_share": 1.0, "abc_class": "A", "rank": 1}]  # fmt: skip
    return {"kpi_daily": daily, "kpi_forecast": forecast, "kpi_anomalies": anomalies, "slow_moving_stock": slow,
            "product_abc": abc}  # fmt: skip


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    lake = tmp_path / "lake"
    for name, rows in kpi_rows().items():
        write_gold(lake, name, rows)
    users = tmp_path / "users.yaml"
    scopes = {"rep1": Scope("rep", dealer_code="DLR0001"), "mgr": Scope("manager", district="Pune"),
              "boss": Scope("leader")}  # fmt: skip
    for name, scope in scopes.items():
        make_user(users, name, "unused", scope)
    config = base_config().with_overrides(paths={"lake_root": str(lake)}, app={"users_file": str(users)})
    return AppContext.from_config(config)


def test_each_role_sees_its_own_series_band_and_anomalies(ctx: AppContext) -> None:
    rep, manager, leader = kpis_view(ctx, "rep1"), kpis_view(ctx, "mgr"), kpis_view(ctx, "boss")
    assert "Dealer DLR0001" in rep and "<svg" in rep and "Nashik" not in rep and "ABC" not in rep
    assert "District Pune" in manager and "Retail units in Pune, MH" in manager and "Nashik" not in manager
    assert "The whole network" in leader and "Retail units in Nashik, MH" in leader and "ABC" in leader
    assert HOSTILE not in leader and "&lt;script&gt;" in leader  # every value from data is escaped
    assert "DLR0001</b> Pickup: 3 units" in rep  # the rep's slow stock


def test_an_empty_lake_says_so(tmp_path: Path) -> None:
    config = base_config().with_overrides(paths={"lake_root": str(tmp_path / "none")})
    users = tmp_path / "users.yaml"
    make_user(users, "boss", "unused", Scope("leader"))
    ctx = AppContext.from_config(config.with_overrides(app={"users_file": str(users)}))
    assert "No KPIs yet" in kpis_view(ctx, "boss")


def _chart_from(origins: list[date]) -> dict[date, tuple[Any, ...]]:
    """The chart of 25-27 Oct 2026 (10, 11, 12 units) against forecasts from ``origins``, each of them forecasting
    its day of the month for the 14 days after it."""
    first = date(2026, 10, 25)
    actuals = [{"as_of_date": first + timedelta(days=k), "retail_units": 10 + k} for k in range(3)]
    forecasts = [
        {"as_of_date": origin, "forecast_date": origin + timedelta(days=k), "forecast": float(origin.day),
         "forecast_low": 1.0, "forecast_high": 2.0}
        for origin in origins for k in range(1, 15)
    ]  # fmt: skip
    return {p[0]: p for p in chart_points(actuals, forecasts)}


def test_the_band_of_each_past_day_comes_from_the_origin_before_it() -> None:
    sunday = date(2026, 10, 25)
    points = _chart_from([date(2026, 10, 18), sunday])
    assert points[sunday][1:3] == (10.0, 18.0)  # the 25th is forecast from the 18th
    assert points[date(2026, 10, 27)][1:3] == (12.0, 25.0)  # the 27th from the 25th
    assert points[date(2026, 11, 1)][1:3] == (None, 25.0)  # ahead: from the latest origin


def test_a_nightly_refitted_series_band_comes_from_the_night_before() -> None:
    first = date(2026, 10, 25)
    points = _chart_from([first + timedelta(days=k) for k in range(-1, 3)])  # the 24th to the 27th
    assert points[first][1:3] == (10.0, 24.0)
    assert points[date(2026, 10, 27)][1:3] == (12.0, 26.0)
    assert points[date(2026, 10, 28)][1:3] == (None, 27.0)  # ahead: from the last day's origin
    assert points[date(2026, 10, 23)][2] is None  # no origin before the 24th: no band
