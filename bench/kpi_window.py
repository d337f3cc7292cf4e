"""A KPI series' last days against the forecast the anomaly detector used (docs/kpi.md: why an event is missed).

    python bench/kpi_window.py --lake <lake> --level district --member "Bagalkote, Karnataka" --since 2026-10-04

Reads kpi_daily and kpi_forecast with delta-rs; each day's forecast is the one from the latest origin before it.
Prints the days, then for the last kpi.anomalies.window_days days the actual and forecast sums, the standard
deviation of the forecast sum (from the interval, as gold/kpi_anomalies.py), the detector's z (on the square-root
scale, ``count_z``), the plain z in units, and the z a Poisson spread (sqrt of the forecast sum) would give.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from statistics import NormalDist


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from gold.kpi_anomalies import count_z
    from ground.config import load_config
    from ground.lake import read_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--level", default="district")
    parser.add_argument("--member", required=True)
    parser.add_argument("--since", type=date.fromisoformat, required=True)
    args = parser.parse_args()
    settings = load_config().pipeline.kpi
    daily = read_table(f"{args.lake}/gold/kpi_daily", columns=["as_of_date", "level", "member", "retail_units"])
    forecast = read_table(
        f"{args.lake}/gold/kpi_forecast",
        columns=["as_of_date", "level", "member", "forecast_date", "forecast", "forecast_high", "model"],
    )
    if daily is None or forecast is None:
        raise SystemExit(f"no kpi_daily or kpi_forecast under {args.lake}")
    d = daily.to_pandas()
    f = forecast.to_pandas()
    d = d[(d["level"] == args.level) & (d["member"] == args.member) & (d["as_of_date"] >= args.since)]
    f = f[(f["level"] == args.level) & (f["member"] == args.member)]
    f = f[f["as_of_date"] == settings.forecast.origins_before(f["forecast_date"], f["level"])]
    rows = d.merge(f, left_on="as_of_date", right_on="forecast_date", how="left").sort_values("forecast_date")
    z90 = NormalDist().inv_cdf(0.5 + settings.forecast.interval / 200.0)
    rows["sd"] = (rows["forecast_high"] - rows["forecast"]) / z90
    print(rows[["forecast_date", "retail_units", "forecast", "forecast_high", "model"]].round(2).to_string(index=False))
    window = rows.tail(settings.anomalies.window_days)
    actual, expected = float(window["retail_units"].sum()), float(window["forecast"].sum())
    sd = float((window["sd"] ** 2).sum()) ** 0.5
    print(
        f"last {len(window)} days: actual {actual:.0f}, forecast {expected:.1f}, sd of the sum {sd:.1f}, "
        f"z {float(count_z(actual, expected, sd)):.2f} (plain {(actual - expected) / sd:.2f}), "
        f"Poisson z {(actual - expected) / expected**0.5:.2f}"
    )


if __name__ == "__main__":
    main()
