"""scv evaluate's win-rate driver metrics on hand-built alert rows: an episode is true only when it names a
planted driver of its kind on or after its start; lead days from the start (or the first evaluated date)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from operations.evaluate import driver_metrics, mix_attribution

D0 = date(2026, 10, 1)
DRIVERS = pd.DataFrame(
    [
        ("district_drop", "district", "Pune, MH", D0 + timedelta(days=10), ""),
        ("poor_source", "lead_source", "Website", D0 - timedelta(days=60), ""),
        ("competitor", "product_line_in_district", "Pickup in Satara, MH", D0 + timedelta(days=3), "Vega"),
        ("mix_shift", "lead_source", "Website", D0 + timedelta(days=5), ""),
    ],
    columns=["kind", "dimension", "segment", "start_date", "competitor"],
)


def alerts(*rows: tuple[int, str, str, int]) -> pd.DataFrame:
    """(day offset, kind|dimension|segment|competitor, episode start offset) per row."""
    records = []
    for day, alert_id, start in rows:
        kind, dimension, segment, competitor = alert_id.split("|")
        records.append(
            {"as_of_date": D0 + timedelta(days=day), "alert_id": alert_id, "kind": kind, "dimension": dimension,
             "segment": segment, "competitor": competitor or None, "episode_start": D0 + timedelta(days=start)}
        )  # fmt: skip
    return pd.DataFrame(records)


def test_an_episode_longer_than_the_look_back_counts_once() -> None:
    # the table traces 28 days back, so a long episode's start moves with the date: counted by its dates
    rows = alerts(*[(d, "below_parent|lead_source|Website|", d - 28) for d in range(40)])
    report = driver_metrics(rows, DRIVERS, [D0 + timedelta(days=i) for i in range(40)])
    assert (report["driver_alert_episodes"], report["driver_alert_precision"]) == (1, 1.0)


def test_precision_recall_and_lead_days() -> None:
    rows = alerts(
        (0, "below_parent|lead_source|Website|", -20),  # present before the first date: 0 lead days
        (1, "below_parent|lead_source|Website|", -20),
        (2, "drop|district|Pune, MH|", 2),  # before the drop started: false (and 11 days before the next)
        (13, "drop|district|Pune, MH|", 13),  # 3 days after its start
        (8, "competitor|product_line_in_district|Pickup in Satara, MH|Apex", 8),  # the wrong competitor
        (9, "competitor|product_line_in_district|Pickup in Satara, MH|Vega", 9),  # 6 days after its start
        (20, "drop|lead_source|Website|", 20),  # Website's rate did not fall: the mix did
    )
    dates = [D0 + timedelta(days=i) for i in range(25)]
    report = driver_metrics(rows, DRIVERS, dates)
    assert report["driver_alert_episodes"] == 6
    assert report["driver_alert_precision"] == 0.5  # 3 of 6 episodes name a planted driver of their kind
    assert report["driver_alert_recall"] == 0.75  # the mix shift was never told as mix
    assert report["driver_alert_lead_days"] == 3.0  # (0 + 3 + 6) / 3
    assert report["driver_alert_max_lead_days"] == 6
    assert sorted(report["driver_alert_false_episodes"]) == [
        "competitor|product_line_in_district|Pickup in Satara, MH|Apex from 2026-10-09",
        "drop|district|Pune, MH| from 2026-10-03",
        "drop|lead_source|Website| from 2026-10-21",
    ]


def test_mix_attribution_on_the_last_date() -> None:
    split = pd.DataFrame(
        [
            {"as_of_date": D0 + timedelta(days=20), "window_days": 7, "dimension": "lead_source",
             "total_change": -0.03, "total_mix": -0.025, "total_rate": -0.005},
            {"as_of_date": D0 + timedelta(days=21), "window_days": 7, "dimension": "lead_source",
             "total_change": -0.02, "total_mix": -0.005, "total_rate": -0.015},
        ]
    )  # fmt: skip
    report = mix_attribution(split, DRIVERS, 7)
    assert report["mix_shift_attributed"] is False  # on the last date the rate outweighs the mix
    assert report["mix_shift_split"] == {
        "as_of_date": "2026-10-22", "window_days": 7, "change_points": -2.0, "mix_points": -0.5, "rate_points": -1.5,
    }  # fmt: skip
    assert mix_attribution(split[:1], DRIVERS, 7)["mix_shift_attributed"] is True
