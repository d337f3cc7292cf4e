"""How often the anomaly detector's window test lands beyond -z and +z, per level, over a lake's as-of dates
(docs/kpi.md: why the test is on the square-root scale).

    python bench/kpi_z_tails.py --lake <lake>

Reads kpi_daily and kpi_forecast with delta-rs and forms every series' window on every date as
gold/kpi_anomalies.py does (``day_forecasts``, ``window_checks``; windows with ``min_expected`` units expected or
more). Prints per level the share of windows below -z and above +z three ways: the detector's z (square-root
scale), the plain z in units ((A - F) / sd), and the tail of a negative binomial with the window's mean and
variance (Poisson where the variance is not above the mean) turned into a normal z. A right test puts
1 - Phi(z) on each side (0.13% at z 3); planted events and any real anomaly add to it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import NormalDist

import numpy as np


def negative_binomial_z(actual: np.ndarray, expected: np.ndarray, var: np.ndarray) -> np.ndarray:
    from scipy import stats

    var = np.maximum(var, expected * (1 + 1e-9))
    n = expected**2 / (var - expected)
    p = n / (n + expected)
    upper = stats.nbinom.sf(actual - 1, n, p)
    lower = stats.nbinom.cdf(actual, n, p)
    return np.where(
        actual >= expected, -stats.norm.ppf(np.clip(upper, 1e-300, 1.0)), stats.norm.ppf(np.clip(lower, 1e-300, 1.0))
    )


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from gold.kpi_anomalies import day_forecasts, window_checks
    from ground.config import load_config
    from ground.lake import read_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    args = parser.parse_args()
    settings = load_config().pipeline.kpi
    anomalies = settings.anomalies
    daily = read_table(f"{args.lake}/gold/kpi_daily", columns=["as_of_date", "level", "member", "retail_units"])
    forecast = read_table(
        f"{args.lake}/gold/kpi_forecast",
        columns=["as_of_date", "kpi", "level", "member", "forecast_date", "forecast", "forecast_low", "forecast_high"],
    )
    if daily is None or forecast is None:
        raise SystemExit(f"no kpi_daily or kpi_forecast under {args.lake}")
    d = daily.to_pandas()
    d = d[d["level"].isin(anomalies.levels)]
    # every member every day (kpi_daily has no row for a member's day without data: 0 units)
    grid = d.pivot_table(index=["level", "member"], columns="as_of_date", values="retail_units", fill_value=0)
    actuals = grid.stack().rename("actual").reset_index().rename(columns={"as_of_date": "day"})
    actuals["kpi"] = "retail_units"
    f = forecast.to_pandas()
    days = day_forecasts(f[f["level"].isin(anomalies.levels)], settings.forecast)
    dates = sorted(d["as_of_date"].unique())
    checks = window_checks(actuals, days, dates, anomalies)
    checks = checks[checks["expected"] >= anomalies.min_expected]
    z = anomalies.z
    print(f"{len(dates)} dates, z {z}: a right test puts {1 - NormalDist().cdf(z):.2%} of windows on each side")
    print(f"{'level':13} {'windows':>7} {'members':>7}   {'square root':>15} {'plain':>15} {'neg. binomial':>15}")
    for level, g in checks.groupby("level"):
        var = g["var"].to_numpy(dtype=float)
        actual, expected = g["actual"].to_numpy(dtype=float), g["expected"].to_numpy(dtype=float)
        ways = [
            g["z"].to_numpy(dtype=float),
            (actual - expected) / np.sqrt(var),
            negative_binomial_z(actual, expected, var),
        ]
        tails = "".join(f"  {np.mean(w < -z):6.2%} {np.mean(w > z):6.2%}" for w in ways)
        print(f"{level:13} {len(g):7} {g['member'].nunique():7} {tails}")
    print("(each way: the share of windows below -z, then above +z)")


if __name__ == "__main__":
    main()
