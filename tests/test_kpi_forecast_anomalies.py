"""kpi_forecast and kpi_anomalies (gold/kpi_forecast.py, gold/kpi_anomalies.py): the pure functions on tiny
hand-built frames with exact expected values, and the per-level model choice on the engine."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pytest
from chispa import assert_approx_df_equality
from pyspark.sql import functions as F

from frames import ddl_frame
from gold.kpi_anomalies import detect, window_checks
from gold.kpi_forecast import (
    FIT_SCHEMA,
    _quartiles,
    backtest,
    capped,
    choose_per_level,
    fit_batch,
    fit_keys,
    forecast_series,
    needed_origins,
    origins_to_fit,
    training_rows,
)
from ground import udf_pool
from ground.settings import KpiAnomalies, KpiForecast

D = date
FORECAST = KpiForecast(
    kpis=["retail_units"], levels=["district", "dealer"], history_days={"district": 56, "dealer": 56},
    min_history_days=28, horizon_days=7, season_length=7, ets_model={"district": ["ANA"], "dealer": ["ANA"]},
    spike_fence_iqr=0.0, interval=90, refit_weekday="Monday", refit_nightly=[], backtest_windows=2,
    backtest_horizon_days=7,
)  # fmt: skip
ANOMALIES = KpiAnomalies(
    kpis=["retail_units"], levels=["district"], window_days=2, z=2.0, persist_days=2, persist_window_days=2,
    min_expected=5, min_gap_share=0.1, baseline_days=2, lookback_days=3, gap_days=1, severity_high=0.4,
    severity_medium=0.2,
)  # fmt: skip
KEY = {"kpi": "retail_units", "level": "district", "member": "Pune, MH", "state": "MH", "district": "Pune",
       "dealer_code": None, "product_line": None}  # fmt: skip


def test_origins_are_the_refit_weekday_before_each_day_the_run_reads() -> None:
    # Wednesday 10 January 2024: its band comes from Monday the 8th; its windows (2 days, 2 dates, 3 dates
    # traced back) reach back to the 5th, whose forecast comes from Monday the 1st
    assert FORECAST.origin_of(D(2024, 1, 8), "district") == D(2024, 1, 8)
    assert FORECAST.origin_of(D(2024, 1, 7), "dealer") == D(2024, 1, 1)
    assert needed_origins([D(2024, 1, 10)], FORECAST, ANOMALIES) == {D(2024, 1, 1), D(2024, 1, 8)}


def test_a_level_refitted_nightly_has_an_origin_every_day() -> None:
    nightly = FORECAST.model_copy(update={"refit_nightly": ["district"]})
    assert nightly.origin_of(D(2024, 1, 10), "district") == D(2024, 1, 10)
    assert nightly.origin_of(D(2024, 1, 10), "dealer") == D(2024, 1, 8)
    assert nightly.levels_fitted_at(D(2024, 1, 8)) == ["district", "dealer"]  # the refit weekday: every level
    assert nightly.levels_fitted_at(D(2024, 1, 9)) == ["district"]
    assert nightly.origins_before([D(2024, 1, 10), D(2024, 1, 10)], ["district", "dealer"]) == [
        D(2024, 1, 9), D(2024, 1, 8)
    ]  # fmt: skip
    # the 10th's band, and every day its windows reach (the 5th to the 10th), each from the night before
    assert needed_origins([D(2024, 1, 10)], nightly, ANOMALIES) == {D(2024, 1, 1)} | {
        D(2024, 1, 4) + timedelta(days=k) for k in range(7)
    }


def test_an_origin_fits_only_the_levels_refitted_on_its_day(spark) -> None:  # type: ignore[no-untyped-def]
    nightly = FORECAST.model_copy(update={"refit_nightly": ["district"]})
    ddl = (
        "level string, member string, state string, district string, dealer_code string, product_line string, "
        "day date, retail_units long"
    )
    rows = [("company", "All", None, None, None, None, D(2024, 1, 1) + timedelta(days=k), 3) for k in range(10)]
    rows += [("district", "Pune", "MH", "Pune", None, None, D(2024, 1, 1) + timedelta(days=k), 2) for k in range(10)]
    rows += [("dealer", "D1", "MH", "Pune", "D1", None, D(2024, 1, 1) + timedelta(days=k), 1) for k in range(10)]
    history = training_rows(ddl_frame(spark, ddl, rows), [D(2024, 1, 8), D(2024, 1, 9)], nightly)
    counts = history.groupBy("origin", "level").agg(F.count("*").alias("n")).collect()
    seen = {(r.origin, r.level): r.n for r in counts}
    assert seen == {(D(2024, 1, 8), "district"): 8, (D(2024, 1, 8), "dealer"): 8, (D(2024, 1, 9), "district"): 9}


def test_a_nightly_levels_backtest_forecasts_each_fold_a_day_ahead() -> None:
    # a random walk: a day-ahead forecast follows it, a week-ahead one drifts away; seasonal naive (lag 7) is
    # the same whether read a day or a week ahead
    y = 50.0 + np.cumsum(np.random.default_rng(3).normal(0.0, 2.0, 70))
    weekly = backtest(y, FORECAST, "ANN", 7)
    nightly = backtest(y, FORECAST, "ANN", 1)
    assert nightly[0] < 0.7 * weekly[0]
    assert nightly[1] == pytest.approx(weekly[1])
    assert all(np.isfinite(v) and v > 0 for v in (*weekly, *nightly))


def test_a_stored_origin_is_refitted_only_when_its_history_or_settings_changed() -> None:
    needed = {D(2024, 1, 1), D(2024, 1, 8)}  # Mondays
    current = {D(2024, 1, 1): "s:10:7", D(2024, 1, 8): "s:17:9"}
    # both stored under the keys of today's history (a night between refit weekdays, or a rerun): nothing
    assert origins_to_fit(needed, dict(current), current) == []
    # a late file changed a day before the 8th: its key differs, it is refitted, the 1st is not
    assert origins_to_fit(needed, {D(2024, 1, 1): "s:10:7", D(2024, 1, 8): "s:17:8"}, current) == [D(2024, 1, 8)]
    # a first night (or a missed refit night) fits what is missing; a table from before the key refits
    assert origins_to_fit(needed, {D(2024, 1, 1): "s:10:7"}, current) == [D(2024, 1, 8)]
    assert origins_to_fit(needed, {}, current) == [D(2024, 1, 1), D(2024, 1, 8)]
    assert origins_to_fit(needed, {D(2024, 1, 1): None, D(2024, 1, 8): "s:17:9"}, current) == [D(2024, 1, 1)]
    # an origin before the data begins has no history and nothing to fit
    assert origins_to_fit(needed, {}, {D(2024, 1, 8): "s:17:9"}) == [D(2024, 1, 8)]


def test_the_fit_key_follows_the_history_up_to_each_origin_and_the_settings(spark) -> None:  # type: ignore[no-untyped-def]
    ddl = "origin date, kpi string, level string, member string, day date, y double"
    rows = [
        (D(2024, 1, 8), "retail_units", "district", "A", D(2024, 1, 1) + timedelta(days=k), float(k)) for k in range(8)
    ]
    rows += [(D(2024, 1, 1), "retail_units", "district", "A", D(2024, 1, 1), 0.0)]
    keys = fit_keys(ddl_frame(spark, ddl, rows), FORECAST)
    assert set(keys) == {D(2024, 1, 1), D(2024, 1, 8)}
    late = [r if r[4] != D(2024, 1, 5) else (*r[:5], 9.0) for r in rows]  # a correction of the 5th
    changed = fit_keys(ddl_frame(spark, ddl, late), FORECAST)
    assert changed[D(2024, 1, 1)] == keys[D(2024, 1, 1)] and changed[D(2024, 1, 8)] != keys[D(2024, 1, 8)]
    other = fit_keys(ddl_frame(spark, ddl, rows), FORECAST.model_copy(update={"spike_fence_iqr": 2.0}))
    assert other[D(2024, 1, 1)] != keys[D(2024, 1, 1)]


def test_each_level_sees_its_own_history_days() -> None:
    origin = D(2024, 3, 3)
    settings = FORECAST.model_copy(update={"history_days": {"district": 56, "dealer": 35}})
    days = [origin - timedelta(days=69 - k) for k in range(70)]
    y = np.resize(np.array([5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 2.0]), 70)
    district = pd.DataFrame({"origin": origin, **KEY, "day": days, "y": y})
    dealer = district.assign(level="dealer", member="D1", dealer_code="D1")
    assert forecast_series(district, settings)["history_days"].iloc[0] == 56
    assert forecast_series(dealer, settings)["history_days"].iloc[0] == 35


def test_a_batch_gives_each_of_its_series_forecast_as_alone() -> None:
    origin = D(2024, 3, 3)
    days = [origin - timedelta(days=55 - k) for k in range(56)]
    rng = np.random.default_rng(3)
    district = pd.DataFrame({"origin": origin, **KEY, "day": days, "y": rng.poisson(6.0, 56).astype(float)})
    dealer = district.assign(level="dealer", member="D1", dealer_code="D1", y=rng.poisson(2.0, 56).astype(float))
    short = district.assign(member="Nashik, MH", district="Nashik").tail(20)  # too little history: no rows
    batch = pd.concat([dealer, short, district], ignore_index=True)
    alone = pd.concat([forecast_series(dealer, FORECAST), forecast_series(district, FORECAST)], ignore_index=True)
    pd.testing.assert_frame_equal(fit_batch(batch, FORECAST), alone)
    assert fit_batch(short, FORECAST).columns.tolist() == FIT_SCHEMA.replace(",", "").split()[::2]
    # fitted by the embedded engine's UDF worker processes, the batch split among them: the same rows
    before = udf_pool._processes
    udf_pool.enable(2)
    try:
        pd.testing.assert_frame_equal(fit_batch(batch, FORECAST, parallel=True), alone)
    finally:
        udf_pool.shutdown()
        udf_pool.enable(before)


def test_forecast_series_repeats_an_exact_weekly_pattern() -> None:
    origin = D(2024, 3, 3)
    week = np.array([5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 2.0])
    days = [origin - timedelta(days=55 - k) for k in range(56)]
    history = pd.DataFrame({"origin": origin, **KEY, "day": days, "y": np.resize(week, 56)})
    out = forecast_series(history, FORECAST)
    assert list(out.columns) == FIT_SCHEMA.replace(",", "").split()[::2]
    assert out["forecast_date"].tolist() == [origin + timedelta(days=k) for k in range(1, 8)]
    assert out["naive"].tolist() == week.tolist()  # the week repeats: seasonal naive is exact
    assert np.allclose(out["ets"], week, atol=1e-3)
    assert out["naive_scale"].iloc[0] == 0.0 and out["series_mase"].isna().all()  # no naive error to scale by
    assert out["history_days"].iloc[0] == 56


def test_forecast_intervals_are_statsforecasts_own_with_the_direct_quantiles(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from statsforecast import utils as sf_utils

    import gold.kpi_forecast

    origin = D(2024, 3, 3)
    y = np.random.default_rng(3).poisson(6.0, 56).astype(float)
    days = [origin - timedelta(days=55 - k) for k in range(56)]
    history = pd.DataFrame({"origin": origin, **KEY, "day": days, "y": y})
    fast = forecast_series(history, FORECAST)  # installs the direct quantiles
    patched = sf_utils._quantiles
    assert patched.direct_normal
    assert np.allclose(patched([80, 90, 95]), patched.original([80, 90, 95]), rtol=1e-12, atol=0)
    assert np.allclose(patched([90], "t", {"df": 4}), patched.original([90], "t", {"df": 4}))
    monkeypatch.setattr(sf_utils, "_quantiles", patched.original)
    monkeypatch.setattr(gold.kpi_forecast, "_direct_normal_quantiles", lambda: None)
    slow = forecast_series(history, FORECAST)
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-12)


def test_the_fence_quartiles_are_numpys() -> None:
    rng = np.random.default_rng(3)
    for y in (rng.poisson(4.0, 56).astype(float), rng.normal(100.0, 30.0, 113), np.array([7.0]), np.arange(5.0)):
        assert _quartiles(y) == pytest.approx(tuple(np.percentile(y, [25, 75])), rel=1e-12, abs=1e-12)


def test_a_one_day_spike_is_capped_before_the_fit_and_not_repeated_next_week() -> None:
    origin = D(2024, 3, 3)
    y = np.random.default_rng(5).poisson(20.0, 56).astype(float)
    y[-3] = 160.0  # a bulk order three days before the origin
    assert capped(y, 3.0).max() < 60 and capped(y, 3.0)[:-3].tolist() == y[:-3].tolist()
    assert capped(np.array([0.0, 0.0, 0.0, 5.0]), 3.0).tolist() == [0.0, 0.0, 0.0, 5.0]  # no spread: as it is
    days = [origin - timedelta(days=55 - k) for k in range(56)]
    history = pd.DataFrame({"origin": origin, **KEY, "day": days, "y": y})
    learned = forecast_series(history, FORECAST)
    fenced = forecast_series(history, FORECAST.model_copy(update={"spike_fence_iqr": 3.0}))
    # the spike's weekday comes back 5 days after the origin: learned as season without the cap, not with it
    assert learned["naive"].iloc[4] == 160.0 and fenced["naive"].iloc[4] < 60
    assert fenced["ets"].iloc[4] < 26 and learned["ets"].iloc[4] > 30  # the mean is 20


def test_each_series_ships_the_candidate_model_with_its_lowest_backtest_error() -> None:
    origin = D(2024, 3, 3)
    days = [origin - timedelta(days=55 - k) for k in range(56)]
    rising = 10.0 + 0.5 * np.arange(56) + np.random.default_rng(2).normal(0, 1.0, 56)  # a steady rise
    history = pd.DataFrame({"origin": origin, **KEY, "day": days, "y": rising})
    both = FORECAST.model_copy(update={"ets_model": {"district": ["ANN", "AAdN"], "dealer": ["ANN"]}})
    out = forecast_series(history, both)
    assert out["ets_model"].iloc[0] == "AAdN"  # the trend follows the rise; a level alone lags it
    alone = forecast_series(
        history, FORECAST.model_copy(update={"ets_model": {"district": ["ANN"], "dealer": ["ANN"]}})
    )
    assert alone["ets_model"].iloc[0] == "ANN" and out["series_mase"].iloc[0] < alone["series_mase"].iloc[0]


def test_each_level_needs_an_autoets_model_string() -> None:
    with pytest.raises(ValueError, match="ets_model: no value for"):
        KpiForecast(**{**FORECAST.model_dump(), "ets_model": {"district": ["ANN"]}})
    with pytest.raises(ValueError, match="not AutoETS model strings"):
        KpiForecast(**{**FORECAST.model_dump(), "ets_model": {"district": ["ANN"], "dealer": ["arima"]}})


def test_forecast_series_skips_a_series_with_too_little_history() -> None:
    origin = D(2024, 3, 3)
    history = pd.DataFrame({"origin": origin, **KEY, "day": [origin - timedelta(days=k) for k in range(10)], "y": 1.0})
    assert forecast_series(history, FORECAST).empty


def test_the_model_ships_for_a_level_only_where_it_beats_seasonal_naive(spark) -> None:  # type: ignore[no-untyped-def]
    origin, day = D(2024, 3, 3), D(2024, 3, 4)
    fits = ddl_frame(
        spark,
        FIT_SCHEMA,
        [
            # districts: ETS's mean MASE (0.7) beats naive's (1.1): ETS ships, its interval (half width 2) widened
            # by sqrt(mean(2.25, 6.25)) = 2.06...
            (origin, "retail_units", "district", "A", "MH", "A", None, None, day, 1, 10.0, 12.0, 9.0, 13.0,
             0.6, 1.0, 2.25, 1.0, 2.0, 56, "ANN"),
            (origin, "retail_units", "district", "B", "MH", "B", None, None, day, 1, 20.0, 22.0, 22.0, 29.0,
             0.8, 1.2, 6.25, 1.0, 3.0, 56, "ANA"),
            # dealers: ETS 1.3 against naive 0.9: seasonal naive ships; its backtest errors (z2 0.25) were within
            # the interval: no widening (never narrower than the model's own)
            (origin, "retail_units", "dealer", "D1", "MH", "A", "D1", None, day, 1, 1.0, 2.0, 2.0, 4.0,
             1.3, 0.9, 4.0, 0.25, 1.0, 56, "ANN"),
        ],
    )  # fmt: skip
    ddl = (
        "as_of_date date, kpi string, level string, member string, state string, district string, "
        "dealer_code string, product_line string, forecast_date date, horizon_day int, forecast double, "
        "forecast_low double, forecast_high double, model string, interval_scale double, level_mase double, "
        "level_naive_mase double, series_mase double, series_naive_mase double, naive_scale double, history_days int, "
        "ets_model string"
    )
    scale = 4.25**0.5
    expected = ddl_frame(
        spark,
        ddl,
        [
            (origin, "retail_units", "district", "A", "MH", "A", None, None, day, 1, 10.0, 10.0 - 2 * scale,
             10.0 + 2 * scale, "ets", scale, 0.7, 1.1, 0.6, 1.0, 2.0, 56, "ANN"),
            (origin, "retail_units", "district", "B", "MH", "B", None, None, day, 1, 20.0, 20.0 - 2 * scale,
             20.0 + 2 * scale, "ets", scale, 0.7, 1.1, 0.8, 1.2, 3.0, 56, "ANA"),
            (origin, "retail_units", "dealer", "D1", "MH", "A", "D1", None, day, 1, 2.0, 0.0, 4.0, "seasonal_naive",
             1.0, 1.3, 0.9, 1.3, 0.9, 1.0, 56, "ANN"),
        ],
    )  # fmt: skip
    assert_approx_df_equality(choose_per_level(fits), expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


def _district_days(days: list[date], units_of: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pune, MH's dealers D1 (3 Pickup and 2 Cargo EV a day) and D2 (5 Pickup) on ``days``, each cell's units as
    ``units_of(day, dealer, usual units)`` says: the district's actuals and the cells."""
    cells = []
    for day in days:
        for dealer, line, units in (("D1", "Pickup", 3), ("D1", "Cargo EV", 2), ("D2", "Pickup", 5)):
            cells.append({"day": day, "dealer": dealer, "state": "MH", "district": "Pune, MH", "product_line": line,
                          "retail_units": float(units_of(day, dealer, units))})  # fmt: skip
    cells_df = pd.DataFrame(cells)
    per_day = cells_df.groupby("day")["retail_units"].sum()
    return pd.DataFrame([{**KEY, "day": d, "actual": float(per_day[d])} for d in days]), cells_df


def _flat_forecasts(series: list[tuple[str, str, float]]) -> pd.DataFrame:
    """Each (level, member, mean) forecast at that mean every day from the Mondays 2023-12-25, 2024-01-01 and
    2024-01-08, with a standard deviation of 1 (from a 90% interval clipped at 0)."""
    z90 = NormalDist().inv_cdf(0.95)
    return pd.DataFrame(
        [
            {"as_of_date": origin, "kpi": "retail_units", "level": level, "member": member,
             "forecast_date": origin + timedelta(days=k), "forecast": mean, "forecast_low": max(mean - z90, 0.0),
             "forecast_high": mean + z90}
            for origin in (D(2023, 12, 25), D(2024, 1, 1), D(2024, 1, 8))
            for level, member, mean in series
            for k in range(1, 8)
        ]
    )  # fmt: skip


def _anomaly_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A district of two dealers selling 10 units a day (D1: 3 Pickup and 2 Cargo EV, D2: 5 Pickup) until D1 stops
    on the 9th; every day forecast at 10 with a standard deviation of 1 (from a 90% interval)."""

    def units_of(day: date, dealer: str, units: int) -> int:
        stopped = day >= D(2024, 1, 9)
        return 4 if dealer == "D2" and stopped else (0 if stopped else units)

    actuals, cells_df = _district_days([D(2024, 1, 1) + timedelta(days=k) for k in range(10)], units_of)
    return actuals, _flat_forecasts([("district", "Pune, MH", 10.0)]), cells_df


def test_an_anomaly_persisting_two_days_names_the_dealers_behind_the_gap() -> None:
    actuals, forecasts, cells = _anomaly_inputs()
    found = detect(actuals, forecasts, cells, [D(2024, 1, 10)], ANOMALIES, FORECAST)
    sd, root = np.sqrt(2.0), np.sqrt(20.0)  # the window's: two days of standard deviation 1; its expected's root
    expected = {
        "as_of_date": D(2024, 1, 10), "anomaly_id": "retail_units:district:Pune, MH:below", "kpi": "retail_units",
        "level": "district", "member": "Pune, MH", "state": "MH", "district": "Pune", "dealer_code": None,
        "product_line": None, "direction": "below", "window_days": 2, "actual": 8.0, "expected": 20.0,
        "expected_low": (root - 2 * sd / (2 * root)) ** 2, "expected_high": (root + 2 * sd / (2 * root)) ** 2,
        "gap": -12.0, "gap_share": -0.6, "z": 2 * root * (np.sqrt(8.0) - root) / sd, "severity": "high",
        "contributors": "D1; D2", "contributor_shares": "0.8333; 0.1667", "top_product_line": "Pickup",
        "sentence": "Retail units in Pune, MH 60% below forecast for 1 day: 8 against 20 expected in the last 2 "
        "days; 100% of the gap from D1 and D2, mostly Pickup.",
        "rank": 1, "episode_start": D(2024, 1, 10), "is_new": True, "days_active": 1,
    }  # fmt: skip
    assert len(found) == 1
    row = found.iloc[0].to_dict()
    assert row.keys() == expected.keys()
    for name, value in expected.items():
        if isinstance(value, float):
            assert row[name] == pytest.approx(value), name
        else:
            assert row[name] == value, name


def test_a_window_is_tested_on_the_square_root_scale_where_a_rise_needs_more_units_than_a_fall() -> None:
    # expected 20 in the 2-day window, standard deviation 3 a day (18 the window's variance): at z 3 a plain
    # normal band is 20 -/+ 12.7; on the square-root scale the band is (sqrt(20) -/+ 3 sqrt(18) / (2 sqrt(20)))^2,
    # 9.3 to 34.7: 34 units (a few multi-unit deals) lie inside it, 8 below it
    settings = ANOMALIES.model_copy(update={"z": 3.0})
    days = [D(2024, 1, 1), D(2024, 1, 2)]
    daily = pd.DataFrame([{**KEY, "forecast_date": d, "forecast": 10.0, "sd": 3.0} for d in days])
    sd, root = np.sqrt(18.0), np.sqrt(20.0)
    for per_day, side in ((17.0, 0), (4.0, -1)):
        actuals = pd.DataFrame([{**KEY, "day": d, "actual": per_day} for d in days])
        checks = window_checks(actuals, daily, [days[-1]], settings)
        assert checks["side"].tolist() == [side]
        assert checks["z"].tolist() == pytest.approx([2 * root * (np.sqrt(2 * per_day) - root) / sd])
        assert checks[["expected_low", "expected_high"]].values[0].tolist() == pytest.approx(
            [(root - 3 * sd / (2 * root)) ** 2, (root + 3 * sd / (2 * root)) ** 2]
        )


def test_an_anomaly_is_new_once_per_episode() -> None:
    actuals, forecasts, cells = _anomaly_inputs()
    later = [  # two more days of the drop: the 11th continues the episode begun on the 10th
        {**KEY, "day": D(2024, 1, 11), "actual": 4.0},
    ]
    actuals = pd.concat([actuals, pd.DataFrame(later)], ignore_index=True)
    cells = pd.concat(
        [cells, pd.DataFrame([{"day": D(2024, 1, 11), "dealer": "D2", "state": "MH", "district": "Pune, MH",
                                "product_line": "Pickup", "retail_units": 4.0}])],
        ignore_index=True,
    )  # fmt: skip
    found = detect(actuals, forecasts, cells, [D(2024, 1, 10), D(2024, 1, 11)], ANOMALIES, FORECAST)
    assert found[["as_of_date", "episode_start", "is_new", "days_active"]].values.tolist() == [
        [D(2024, 1, 10), D(2024, 1, 10), True, 1],
        [D(2024, 1, 11), D(2024, 1, 10), False, 2],
    ]


def test_no_anomaly_on_a_single_day_outside() -> None:
    actuals, forecasts, cells = _anomaly_inputs()
    # the drop lasts one day only (the 10th): one window of the last two dates outside is not persistence
    actuals.loc[actuals["day"] == D(2024, 1, 9), "actual"] = 10.0
    assert detect(actuals, forecasts, cells, [D(2024, 1, 10)], ANOMALIES, FORECAST).empty


def _silence_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A district of two dealers selling 5 units a day each (D1: 3 Pickup and 2 Cargo EV, D2: 5 Pickup) until D1
    falls silent on the 8th; the district's forecast has already learned the lower level (6 a day, standard
    deviation 1) and D1's forecast is 0: the z test alone sees nothing."""

    def units_of(day: date, dealer: str, units: int) -> int:
        return 0 if dealer == "D1" and day >= D(2024, 1, 8) else units

    actuals, cells_df = _district_days([D(2024, 1, 1) + timedelta(days=k) for k in range(11)], units_of)
    return actuals, _flat_forecasts([("district", "Pune, MH", 6.0), ("dealer", "D1", 0.0)]), cells_df


def test_a_district_whose_dealer_fell_silent_is_held_to_its_rate_before_the_silence() -> None:
    actuals, forecasts, cells = _silence_inputs()
    # silent from the 8th: on the 10th 3 days x 5 a day = 15 units expected (at least 10), so silent on the 10th and
    # the 11th; the window's forecast 12 + what D1's forecast lost against its rate (2 x 5 - 0) = 22, against 10
    found = detect(actuals, forecasts, cells, [D(2024, 1, 11)], ANOMALIES, FORECAST)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["direction"], row["actual"], row["expected"]) == ("below", 10.0, 22.0)
    # the contributions use the shares from before the silence (5 and 5): D1 -11, D2 -1 of the gap of -12
    assert (row["contributors"], row["contributor_shares"]) == ("D1; D2", "0.9167; 0.0833")
    assert row["episode_start"] == D(2024, 1, 11)
    assert row["sentence"] == (
        "Retail units in Pune, MH 55% below forecast for 1 day: 10 against 22 expected in the last 2 days; 100% of "
        "the gap from D1 and D2, mostly Pickup; no retail from D1 (4 days)."
    )


def test_a_small_district_whose_dealer_fell_silent_is_told_below_the_z_tests_minimum() -> None:
    actuals, forecasts, cells = _silence_inputs()
    # 22 units held expected: below a min_expected of 30 the z test says nothing, but the silence is its own
    # evidence (silence_min_expected units and more lost): the district is told all the same
    small = ANOMALIES.model_copy(update={"min_expected": 30.0})
    found = detect(actuals, forecasts, cells, [D(2024, 1, 11)], small, FORECAST)
    assert found[["direction", "actual", "expected"]].values.tolist() == [["below", 10.0, 22.0]]


def test_a_dealer_silent_for_too_few_expected_units_is_not_a_silence() -> None:
    actuals, forecasts, cells = _silence_inputs()
    # 4 silent days at 5 a day make 20 expected: below a threshold of 25 the district stays quiet (the z test alone)
    quiet = ANOMALIES.model_copy(update={"silence_min_expected": 25.0})
    assert detect(actuals, forecasts, cells, [D(2024, 1, 11)], quiet, FORECAST).empty


def test_a_burst_just_before_a_lull_is_not_the_dealers_rate() -> None:
    # 11 units expected make a silence. D1 sold on the 1st, nothing more until the 6th, then 5 a day on the 6th
    # and the 7th (a burst), then nothing from the 8th. Over the 2 baseline days its rate is 5 (15 units
    # expected by the 10th), but over twice as many days 2.5: 7.5 units expected on the 10th, 10 on the 11th, no
    # silence on either. Selling since the 4th, its rate is 5 over both spans: a silence on both dates, told.
    # With the data starting on the 5th its sales do not reach twice the baseline's days before the silence (a
    # dealer's first days are its ramp-up): the baseline's rate alone, 5, and a silence on both dates.
    settings = ANOMALIES.model_copy(update={"silence_min_expected": 11.0})
    forecasts = _flat_forecasts([("district", "Pune, MH", 6.0), ("dealer", "D1", 0.0)])
    for first_day, first_sale, told in ((1, 6, 0), (1, 4, 1), (5, 6, 1)):
        days = [D(2024, 1, first_day) + timedelta(days=k) for k in range(12 - first_day)]

        def units_of(day: date, dealer: str, units: int, first_sale: int = first_sale) -> int:
            selling = day == D(2024, 1, 1) or D(2024, 1, first_sale) <= day < D(2024, 1, 8)
            return units if dealer == "D2" or selling else 0

        actuals, cells = _district_days(days, units_of)
        assert len(detect(actuals, forecasts, cells, [D(2024, 1, 11)], settings, FORECAST)) == told


def test_a_silence_longer_than_silence_max_days_is_the_dealers_new_normal() -> None:
    actuals, forecasts, cells = _silence_inputs()
    # on the 10th D1 has been silent 3 days and on the 11th 4: with at most 3, only the 10th is a silence, and
    # one date of two is not persistence
    closed = ANOMALIES.model_copy(update={"silence_max_days": 3})
    assert detect(actuals, forecasts, cells, [D(2024, 1, 11)], closed, FORECAST).empty


def test_days_no_dealer_has_data_for_are_no_evidence_of_silence() -> None:
    actuals, forecasts, cells = _silence_inputs()
    # the 10th and the 11th have not landed (no dealer has a value): D1 is silent on no date the run can see
    cells = cells[cells["day"] < D(2024, 1, 10)]
    assert detect(actuals, forecasts, cells, [D(2024, 1, 11)], ANOMALIES, FORECAST).empty
