"""Backtest of forecast settings for kpi_forecast on a lake's retail (docs/kpi.md: the choice of model and history).

    python bench/kpi_forecast_backtest.py --lake <lake> --spec ANA/56 --spec ANA/112 --spec SNAIVE/56

Daily retail units per series (company, state, district, product line, and --dealers dealers drawn at random) are
built from the lake's silver retail and dealer master with pandas; for every origin from --first-origin on,
--step-days apart (7: weekly), each spec (an AutoETS model string, SNAIVE, WA<n>, SWA<n> or SES, then the days
of history, then c to cap the history as kpi.forecast.spike_fence_iqr 3 does) forecasts the next --ahead-days
days (7; 1 with --step-days 1: a level refitted nightly, read a day ahead). Printed per
spec: the seconds it took, the MASE per level (mean absolute error over the in-sample seasonal-naive error, averaged
over the level's series) and their mean, and per level the spread and mean of the standardised error of the window's
sum (1 and 0 for a calibrated interval).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd


def daily_series(lake: str, dealers: int, seed: int) -> dict[tuple[str, str], pd.Series]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ground.lake import read_table

    retail = read_table(f"{lake}/silver/retail", columns=["dealer_code", "product_line", "retail_date", "units"])
    master = read_table(f"{lake}/silver/dealers", columns=["dealer_code", "district", "state"])
    if retail is None or master is None:
        raise SystemExit(f"no silver retail or dealers under {lake}")
    rows = retail.to_pandas().merge(master.to_pandas(), on="dealer_code")
    rows["district"] = rows["district"] + ", " + rows["state"]
    days = pd.date_range(rows["retail_date"].min(), rows["retail_date"].max()).date
    out: dict[tuple[str, str], pd.Series] = {}
    out[("company", "All")] = rows.groupby("retail_date")["units"].sum().reindex(days, fill_value=0).astype(float)
    for level in ("state", "district", "product_line"):
        for member, part in rows.groupby(level):
            out[(level, str(member))] = part.groupby("retail_date")["units"].sum().reindex(days, fill_value=0)
    picked = np.random.default_rng(seed).choice(sorted(rows["dealer_code"].unique()), dealers, replace=False)
    for dealer in picked:
        part = rows[rows["dealer_code"] == dealer]
        out[("dealer", str(dealer))] = part.groupby("retail_date")["units"].sum().reindex(days, fill_value=0)
    return {k: v.astype(float) for k, v in out.items()}


def forecast(spec: str, y: np.ndarray, h: int) -> dict[str, np.ndarray]:
    """SNAIVE, WA<n> (the mean of the last n days), SWA<n> (each weekday's mean over the last n weeks), SES
    (simple exponential smoothing, optimised), or an AutoETS model string."""
    from statsforecast.models import (
        SeasonalNaive,
        SeasonalWindowAverage,
        SimpleExponentialSmoothingOptimized,
        WindowAverage,
    )

    from gold.kpi_forecast import auto_ets

    if spec == "SNAIVE" or np.all(y == y[0]):  # a constant series: ETS cannot fit it (as in gold/kpi_forecast.py)
        return SeasonalNaive(season_length=7).forecast(y=y, h=h, level=[90])  # type: ignore[no-any-return]
    if spec.startswith(("WA", "SWA", "SES")):  # no interval of their own: the seasonal naive one, for the z column
        if spec == "SES":
            mean = SimpleExponentialSmoothingOptimized().forecast(y=y, h=h)["mean"]
        elif spec.startswith("WA"):
            mean = WindowAverage(window_size=int(spec[2:])).forecast(y=y, h=h)["mean"]
        else:
            mean = SeasonalWindowAverage(season_length=7, window_size=int(spec[3:])).forecast(y=y, h=h)["mean"]
        naive = SeasonalNaive(season_length=7).forecast(y=y, h=h, level=[90])
        return {"mean": mean, "hi-90": mean + naive["hi-90"] - naive["mean"]}
    return auto_ets(spec, 7).forecast(y=y, h=h, level=[90])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--spec", action="append", required=True, help="MODEL/HISTORY_DAYS, e.g. ANA/56 or SNAIVE/56")
    parser.add_argument(
        "--first-origin", type=date.fromisoformat, help="first origin (default: 7 weeks before the last day)"
    )
    parser.add_argument("--min-history", type=int, default=28, help="skip shorter histories (min_history_days)")
    parser.add_argument("--dealers", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step-days", type=int, default=7, help="days between origins (1: refitted nightly)")
    parser.add_argument("--ahead-days", type=int, default=7, help="days forecast from each origin")
    args = parser.parse_args()
    step, ahead = args.step_days, args.ahead_days
    warnings.filterwarnings("ignore")
    from gold.kpi_forecast import capped

    series = daily_series(args.lake, args.dealers, args.seed)
    first_origin = args.first_origin or max(series[("company", "All")].index) - timedelta(days=49)
    z90 = NormalDist().inv_cdf(0.95)
    for spec in args.spec:
        model, history = spec.split("/")
        fence = 3.0 if history.endswith("c") else 0.0  # c: the history capped as kpi.forecast.spike_fence_iqr 3
        history = history.rstrip("c")
        started = time.perf_counter()
        rows = []
        for (level, member), values in series.items():
            index = {d: i for i, d in enumerate(values.index)}
            y_all = values.to_numpy()
            origin = first_origin
            while origin in index and index[origin] + 1 < len(y_all):
                i = index[origin]
                y = y_all[max(0, i + 1 - int(history)) : i + 1]
                if len(y) < args.min_history:  # as kpi.forecast.min_history_days: too short to forecast
                    origin += timedelta(days=step)
                    continue
                fc = forecast(model, capped(y, fence), ahead)
                actual = y_all[i + 1 : i + 1 + ahead]
                mean = np.maximum(fc["mean"], 0)[: len(actual)]
                sd = ((fc["hi-90"] - fc["mean"]) / z90)[: len(actual)]
                scale = np.mean(np.abs(y[7:] - y[:-7]))
                mase = np.mean(np.abs(actual - mean)) / scale if scale > 0 else np.nan
                z = (actual.sum() - mean.sum()) / np.sqrt(np.sum(sd**2)) if np.sum(sd**2) > 0 else np.nan
                rows.append((level, member, mase, z))
                origin += timedelta(days=step)
        frame = pd.DataFrame(rows, columns=["level", "member", "mase", "z"])
        per_level = frame.groupby(["level", "member"])["mase"].mean().groupby("level").mean()
        mases = " ".join(f"{k} {v:.3f}" for k, v in per_level.items())
        spread = " ".join(f"{k} {g['z'].std():.2f}/{g['z'].mean():+.2f}" for k, g in frame.groupby("level"))
        print(f"{spec:<12} {time.perf_counter() - started:6.1f} s  MASE {mases}  mean {per_level.mean():.3f}")
        print(f"{'':<12} {'':>8}  z of the {ahead}-day sum (sd/mean): {spread}")


if __name__ == "__main__":
    main()
