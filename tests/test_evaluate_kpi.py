"""scv evaluate's KPI figures (operations/evaluate.py) on tiny hand-built frames with exact values."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from operations.evaluate import forecast_metrics, kpi_metrics, other_causes, slow_moving_metrics
from testkit import base_config

D = date
EVENTS = pd.DataFrame(
    [
        {"kind": "retail_drop", "level": "district", "member": "Morbi, Gujarat", "product_line": "",
         "dealer_codes": "DLR0012 DLR0014", "start_date": D(2026, 10, 10), "end_date": D(2026, 10, 31)},
        {"kind": "product_spike", "level": "product_line", "member": "Cargo EV", "product_line": "Cargo EV",
         "dealer_codes": "", "start_date": D(2026, 10, 12), "end_date": D(2026, 10, 18)},
        {"kind": "festive", "level": "company", "member": "All", "product_line": "", "dealer_codes": "",
         "start_date": D(2026, 10, 8), "end_date": D(2026, 11, 9)},
    ]
)  # fmt: skip


def row(day: date, level: str, member: str, direction: str, contributors: str = "", line: str | None = None) -> dict:
    return {"as_of_date": day, "alert_id": f"retail_units:{level}:{member}:{direction}", "kpi": "retail_units",
            "level": level, "member": member, "direction": direction, "contributors": contributors,
            "top_product_line": line}  # fmt: skip


def test_anomaly_precision_recall_and_root_cause() -> None:
    anomalies = pd.DataFrame(
        [
            # the drop: two days at district level (one names both planted dealers first), one at the state
            row(D(2026, 10, 14), "district", "Morbi, Gujarat", "below", "DLR0014; DLR0012"),
            row(D(2026, 10, 15), "district", "Morbi, Gujarat", "below", "DLR0012; DLR0099"),
            row(D(2026, 10, 15), "state", "Gujarat", "below", "Morbi, Gujarat; Rajkot, Gujarat"),
            # the spike, in its own series and in a district whose gap is mostly that line
            row(D(2026, 10, 14), "product_line", "Cargo EV", "above", "Pune, Maharashtra; Morbi, Gujarat"),
            row(D(2026, 10, 20), "district", "Pune, Maharashtra", "above", "DLR0001; DLR0002", "Cargo EV"),
            # a hotspot selling more (another planted cause), and noise
            row(D(2026, 10, 16), "district", "Hingoli, Maharashtra", "above", "DLR0101; DLR0102", "Pickup"),
            row(D(2026, 10, 16), "district", "Wardha, Maharashtra", "above", "DLR0201; DLR0202", "Pickup"),
        ]
    )
    hotspots = pd.DataFrame(
        [{"state": "Maharashtra", "district": "Hingoli", "start_date": D(2026, 10, 1), "end_date": D(2026, 10, 9),
          "has_supply_gap": False}]
    )  # fmt: skip
    drivers = pd.DataFrame(columns=["kind", "segment", "start_date"])
    dates = [D(2026, 10, 1) + timedelta(days=k) for k in range(31)]
    got = kpi_metrics(anomalies, EVENTS, dates, 7, 7, other_causes(hotspots, drivers))
    # episodes: Morbi, Gujarat, Cargo EV, Pune (spike), Hingoli (hotspot), Wardha (false)
    assert got["anomaly_episodes"] == 6
    assert got["anomaly_precision"] == round(5 / 6, 4)
    assert got["anomaly_precision_kpi_events"] == round(4 / 6, 4)
    assert got["anomaly_recall"] == 1.0
    assert got["root_cause_hit_rate"] == 0.5  # of the two district rows, the first names both dealers
    assert got["anomaly_false_episodes"] == ["retail_units:district:Wardha, Maharashtra:above from 2026-10-16"]
    assert got["anomaly_other_causes"] == ["hotspot: retail_units:district:Hingoli, Maharashtra:above"]


def test_the_festive_season_explains_a_state_selling_more_but_not_a_lone_district() -> None:
    anomalies = pd.DataFrame(
        [
            row(D(2026, 10, 20), "state", "Maharashtra", "above", "Pune, Maharashtra; Nagpur, Maharashtra"),
            row(D(2026, 10, 20), "district", "Wardha, Maharashtra", "above", "DLR0201; DLR0202", "Pickup"),
            row(D(2026, 9, 20), "state", "Gujarat", "above", "Morbi, Gujarat; Rajkot, Gujarat"),  # before it
        ]
    )
    dates = [D(2026, 9, 15) + timedelta(days=k) for k in range(40)]
    causes = other_causes(pd.DataFrame(), pd.DataFrame(columns=["kind"]), EVENTS)
    got = kpi_metrics(anomalies, EVENTS, dates, 7, 7, causes)
    assert got["anomaly_other_causes"] == ["festive season: retail_units:state:Maharashtra:above"]
    assert got["anomaly_false_episodes"] == [
        "retail_units:district:Wardha, Maharashtra:above from 2026-10-20",
        "retail_units:state:Gujarat:above from 2026-09-20",
    ]
    assert got["anomaly_precision"] == round(1 / 3, 4) and got["anomaly_precision_kpi_events"] == 0.0


def test_forecast_mase_uses_each_days_forecast_from_the_origin_before_it() -> None:
    settings = base_config().pipeline.kpi.forecast  # origins on Sundays
    sunday, next_sunday = D(2026, 10, 18), D(2026, 10, 25)
    forecasts = pd.DataFrame(
        [
            # the 19th and the 20th from the 18th; the 25th's own row from the 25th is never used for the 25th
            {"as_of_date": sunday, "kpi": "retail_units", "level": "district", "member": "A", "forecast_date": day,
             "forecast": 10.0, "naive_scale": 2.0} for day in (D(2026, 10, 19), D(2026, 10, 20), D(2026, 10, 25))
        ] + [
            {"as_of_date": next_sunday, "kpi": "retail_units", "level": "district", "member": "A",
             "forecast_date": D(2026, 10, 26), "forecast": 0.0, "naive_scale": 2.0},
            {"as_of_date": sunday, "kpi": "retail_units", "level": "company", "member": "All",
             "forecast_date": D(2026, 10, 19), "forecast": 100.0, "naive_scale": 10.0},
        ]
    )  # fmt: skip
    actuals = pd.DataFrame(
        [
            {"as_of_date": D(2026, 10, 19), "kpi": "retail_units", "level": "district", "member": "A", "actual": 12.0},
            {"as_of_date": D(2026, 10, 20), "kpi": "retail_units", "level": "district", "member": "A", "actual": 9.0},
            {"as_of_date": D(2026, 10, 25), "kpi": "retail_units", "level": "district", "member": "A", "actual": 30.0},
            {"as_of_date": D(2026, 10, 26), "kpi": "retail_units", "level": "district", "member": "A", "actual": 4.0},
            {"as_of_date": D(2026, 10, 19), "kpi": "retail_units", "level": "company", "member": "All",
             "actual": 95.0},
        ]
    )  # fmt: skip
    got = forecast_metrics(forecasts, actuals, settings)
    # district A: errors 2, 1, 20 (the 25th from the 18th), 4 over a scale of 2 -> mean 27/8; company 5/10
    assert got["forecast_mase_by_level"] == {"company": 0.5, "district": 3.375}
    assert got["forecast_mase"] == round((0.5 + 3.375) / 2, 4)


def test_slow_moving_recall_counts_the_planted_pairs_due_on_the_last_date() -> None:
    events = pd.concat(
        [
            EVENTS,
            pd.DataFrame(
                [
                    {"kind": "slow_moving", "level": "dealer_product_line", "member": dealer, "product_line": line,
                     "dealer_codes": dealer, "start_date": start, "end_date": D(2026, 10, 31)}
                    for dealer, line, start in (
                        ("DLR0001", "Pickup", D(2026, 9, 1)),  # 60 days by the 31st, listed
                        ("DLR0002", "Pickup", D(2026, 9, 1)),  # 60 days, not listed on the last date
                        ("DLR0003", "Cargo EV", D(2026, 10, 20)),  # 11 days: not yet due
                    )
                ]
            ),
        ],
        ignore_index=True,
    )  # fmt: skip
    slow = pd.DataFrame(
        [
            {"as_of_date": D(2026, 10, 31), "dealer_code": "DLR0001", "product_line": "Pickup"},
            {"as_of_date": D(2026, 10, 31), "dealer_code": "DLR0009", "product_line": "Pickup"},
            {"as_of_date": D(2026, 10, 30), "dealer_code": "DLR0002", "product_line": "Pickup"},  # not the last date
        ]
    )
    got = slow_moving_metrics(slow, events, 30)
    assert got == {"slow_moving_recall": 0.5, "slow_moving_planted_due": 2, "slow_moving_pairs_listed": 2}
