"""Sweep the hotspot thresholds over a built lake and its planted truth; print precision and recall.

    python bench/hotspot_sweep.py --lake var/lake --truth var/truth

Reads macro_market_hotspot_taluka_5d (any thresholds: the status is recomputed here from the stored
measures with the same rule as sql/gold/macro_market_hotspot_taluka_5d.sql) and scores each combination
with the same metric as `scv evaluate`. This is how the defaults in conf/base/pipeline.yaml were chosen.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import pandas as pd

from ground.lake import read_table
from operations.evaluate import hotspot_metrics


def statuses(frame: pd.DataFrame, min_dealers: int, min_leads: int, lead_growth: float, min_z: float) -> pd.Series:
    rise = (frame["lead_growth"] > lead_growth) & (frame["lead_z"] > min_z)
    status = pd.Series("STABLE", index=frame.index)
    status[rise] = "EMERGING"
    status[(frame["dealer_count"] < min_dealers) | (frame["leads_cur"] < min_leads)] = "NOISE"
    return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", default="var/lake")
    parser.add_argument("--truth", type=Path, default=Path("var/truth"))
    parser.add_argument("--window-days", type=int, default=5)
    args = parser.parse_args()
    table = read_table(f"{args.lake}/gold/macro_market_hotspot_taluka_5d")
    if table is None:
        raise SystemExit(f"no hotspot table under {args.lake}")
    frame = table.to_pandas()
    spots = pd.read_csv(args.truth / "hotspots.csv", parse_dates=["start_date", "end_date"])
    for column in ("start_date", "end_date"):
        spots[column] = spots[column].dt.date
    rows = []
    for min_leads, growth, min_z in itertools.product([8], [0.3, 0.5, 0.75], [-1000.0, 3.0, 3.5, 4.0, 4.5]):
        flags = frame.assign(status=statuses(frame, 2, min_leads, growth, min_z))
        m = hotspot_metrics(flags, spots, args.window_days)
        rows.append(
            (min_leads, growth, min_z, m["hotspot_precision"], m["hotspot_recall"], m["hotspot_lead_days"], m["flags"])
        )
    result = pd.DataFrame(
        rows, columns=["min_leads", "lead_growth", "min_lead_z", "precision", "recall", "lead_days", "flags"]
    )
    print(f"{frame['as_of_date'].nunique()} as-of dates, {len(spots)} planted hotspots")
    print(result.to_string(index=False))


if __name__ == "__main__":
    main()
