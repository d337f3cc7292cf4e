"""Sweep the hotspot surge detector's settings over built lakes and their planted truth: precision, recall and
days to the first flag per setting and seed, scored like `scv evaluate`.

    python bench/hotspot_sweep.py --lake /tmp/s7/lake --truth /tmp/s7/truth \\
                                  --lake /tmp/s11/lake --truth /tmp/s11/truth [--grid docs] [--check]

Each lake is one seed: `scv demo-data --scale medium --seed S --end-date 2026-10-31 --clean`, then
`scv nightly --date 2026-10-31` and `scv nightly --from 2026-09-17 --to 2026-10-31 --skip-quality`. The
detector is recomputed here (bench/hotspot_detector.py, the same arithmetic as
sql/gold/taluka_lead_surveillance.sql) from the lake's silver and gold tables, so one night per seed serves
the whole grid. ``--check`` first shows that it reproduces the stored detector for the configured defaults.
``--grid full`` is the search, ``--grid docs`` the rows shown in docs/pipeline.md (with the 5-day growth rule
the detector replaced), ``--cusum`` a CUSUM rule for comparison. This is how the defaults in
conf/base/pipeline.yaml were chosen.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hotspot_detector import (  # noqa: E402
    CUSUM_SPAN_DAYS,
    LakeSeries,
    Setting,
    compare_with_lake,
    cusum,
    growth_rule,
    load_lake,
    statuses,
    surveillance,
)

from ground.config import load_config  # noqa: E402
from operations.evaluate import hotspot_metrics  # noqa: E402


def grid(name: str) -> list[Setting]:
    if name == "docs":
        return [
            Setting(42, 7, 3, 3.0),  # the defaults
            Setting(28, 7, 3, 3.0),
            Setting(56, 7, 3, 3.0),
            Setting(42, 0, 3, 3.0),
            Setting(42, 3, 3, 3.0),
            Setting(42, 7, 2, 3.0),
            Setting(42, 7, 5, 3.0),
            Setting(42, 7, 3, 2.5),
            Setting(42, 7, 3, 3.5),
            Setting(42, 7, 3, 4.0),
            Setting(42, 7, 3, 3.0, 2, 3),
            Setting(42, 7, 3, 2.5, 2, 3),
            Setting(42, 7, 3, 3.0, 2, 2),
            Setting(42, 7, 3, 3.0, poisson=True),
            Setting(42, 7, 3, 3.5, poisson=True),
        ]
    persistence = [(1, 1), (2, 2), (2, 3)]
    return [
        Setting(b, g, w, z, k, m)
        for b, g, w, z, (k, m) in itertools.product(
            [28, 42, 56], [0, 3, 7], [2, 3, 5], [2.5, 3.0, 3.5, 4.0], persistence
        )
    ]


def spots(truth: Path) -> pd.DataFrame:
    frame = pd.read_csv(truth / "hotspots.csv", parse_dates=["start_date", "end_date"])
    for column in ("start_date", "end_date"):
        frame[column] = frame[column].dt.date
    return frame


def score(series: LakeSeries, truth: pd.DataFrame, is_surge: np.ndarray, hotspot: dict, window_days: int) -> dict:  # type: ignore[type-arg]
    flags = statuses(series, is_surge, hotspot["min_dealers"], hotspot["min_leads"])
    m = hotspot_metrics(flags, truth, window_days)
    return {
        "precision": m["hotspot_precision"] or 0.0,
        "recall": m["hotspot_recall"],
        "lead_days": m["hotspot_lead_days"],
        "flags": m["flags"],
    }


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    by = rows.groupby("setting", sort=False)
    return pd.DataFrame(
        {
            "precision": by["precision"].mean().round(3),
            "min_precision": by["precision"].min().round(3),
            "recall": by["recall"].mean().round(3),
            "min_recall": by["recall"].min().round(3),
            "lead_days": by["lead_days"].mean().round(2),
            "max_lead_days": by["lead_days"].max().round(2),
            "flags": by["flags"].mean().round(1),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", action="append", required=True, help="a built lake (repeat: one per seed)")
    parser.add_argument("--truth", action="append", type=Path, required=True, help="its truth folder (same order)")
    parser.add_argument("--grid", choices=["docs", "full"], default="docs")
    parser.add_argument("--check", action="store_true", help="first compare with the stored detector (defaults)")
    parser.add_argument("--cusum", action="store_true", help="also score a daily CUSUM rule for comparison")
    parser.add_argument("--per-seed", action="store_true", help="print every seed's figures, not only the summary")
    parser.add_argument("--csv", type=Path, help="write every (setting, seed) row here")
    args = parser.parse_args()
    if len(args.lake) != len(args.truth):
        parser.error("give one --truth per --lake")
    settings = load_config(only_base=True).pipeline
    hotspot = settings.hotspot.model_dump()
    window_days = settings.windows.window_days
    default = Setting(
        *(hotspot[k] for k in ("baseline_days", "guard_days", "surge_window_days", "upper_z")),
        hotspot["persist_days"],
        hotspot["persist_window_days"],
    )
    candidates = grid(args.grid)
    longest = max(s.lookback_days for s in [*candidates, default])
    if args.cusum:
        longest = max(longest, default.baseline_days + default.guard_days + CUSUM_SPAN_DAYS)
    rows = []
    for lake, truth_dir in zip(args.lake, args.truth, strict=True):
        series, truth = load_lake(lake, longest), spots(truth_dir)
        print(f"{lake}: {len(series.dates)} as-of dates, {len(series.keys)} talukas, {len(truth)} planted hotspots")
        if args.check:
            print(f"  stored detector vs this one ({default.label()}): {compare_with_lake(lake, series, default)}")
        for s in candidates:
            rows.append(
                {
                    "setting": s.label(),
                    "lake": lake,
                    **score(series, truth, surveillance(series, s)["is_surge"], hotspot, window_days),
                }
            )
        if args.grid == "docs":
            label = "before: 5-day growth > 0.5 and lead_z > 4"
            rows.append(
                {"setting": label, "lake": lake, **score(series, truth, growth_rule(series), hotspot, window_days)}
            )
        if args.cusum:
            for reference, limit in itertools.product([1.0, 1.5], [3.0, 4.0, 5.0]):
                flags = cusum(series, Setting(default.baseline_days, default.guard_days, 1, 0.0), reference, limit)
                label = f"CUSUM B{default.baseline_days} g{default.guard_days} k{reference:g} h{limit:g}"
                rows.append({"setting": label, "lake": lake, **score(series, truth, flags, hotspot, window_days)})
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    pd.set_option("display.width", 200)
    if args.per_seed:
        print(frame.to_string(index=False))
    print(summary(frame).to_string())


if __name__ == "__main__":
    main()
