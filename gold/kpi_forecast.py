"""kpi_forecast: the next ``kpi.forecast.horizon_days`` days of every KPI series, refitted weekly or nightly.

Per series (kpi x level x member) the last ``history_days`` days up to the origin (per level), capped at the series'
spike fence (``capped``), are fitted with statsforecast's AutoETS (of the level's ``ets_model`` candidates, the one
with the series' lowest backtest error) and with seasonal naive, in batches of series (``fit_batch``) through
``groupBy().applyInPandas`` (on Sail and on Spark alike). A rolling-origin backtest (``backtest_windows`` origins
``backtest_horizon_days`` apart, the model fitted at the first and carried forward to the next without refitting)
gives each series its MASE: the backtest's mean absolute error over the in-sample mean absolute error of the
seasonal naive forecast (lag ``season_length``). Per level the model ships when its mean MASE is below seasonal
naive's; otherwise seasonal naive ships for that level.

Origins are the dates on ``refit_weekday`` (data through that day) for every level, and every date for the levels
of ``refit_nightly`` (a few series: the company, states, product lines). A night fits the origins it needs (the one
its forecast band comes from, and those behind the anomalies' windows and episodes) that are missing or whose
history changed since they were fitted (``fit_key``: the settings and the rows up to the origin); any other night
reuses what is stored. So the many series are fitted weekly, not every night, new history warrants a refit, and
an origin's rows are the same whichever night fits them.
"""

from __future__ import annotations

import hashlib
import time
from datetime import date, timedelta
from functools import partial
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from gold.graph import GoldRun
from ground import udf_pool
from ground.catalogue import GOLD_TABLES
from ground.lake import open_table, query
from ground.run import StepResult
from ground.settings import KpiAnomalies, KpiForecast
from ground.spark_io import replace_dates

TABLE = "kpi_forecast"
SERIES_KEY = ("kpi", "level", "member", "state", "district", "dealer_code", "product_line")
FIT_SCHEMA = (
    "origin date, kpi string, level string, member string, state string, district string, dealer_code string, "
    "product_line string, forecast_date date, horizon_day int, ets double, ets_high double, "
    "naive double, naive_high double, series_mase double, series_naive_mase double, series_z2 double, "
    "series_naive_z2 double, naive_scale double, history_days int, ets_model string"
)
FIT_COLUMNS = FIT_SCHEMA.replace(",", "").split()[::2]


def needed_origins(dates: list[date], forecast: KpiForecast, anomalies: KpiAnomalies) -> set[date]:
    """The origins a run of ``dates`` reads: the latest on or before each date (the band shown as of it), and
    for every day an anomaly window of a traced date covers, the latest before that day."""
    reach = anomalies.lookback_days + anomalies.persist_window_days + anomalies.window_days - 2
    days = {d - timedelta(days=k) for d in dates for k in range(reach + 1)}
    levels = forecast.levels
    shown = {forecast.origin_of(d, level) for d in dates for level in levels}
    return shown | {forecast.origin_of(d - timedelta(days=1), level) for d in days for level in levels}


def stored_origins(lake_root: str) -> dict[date, str | None]:
    """The origins ``kpi_forecast`` holds, each with the ``fit_key`` it was fitted under (None on a table from
    before the key)."""
    table = open_table(GOLD_TABLES[TABLE].location(lake_root))
    if table is None:
        return {}
    has_key = "fit_key" in {field.name for field in table.schema().fields}
    key = "max(fit_key)" if has_key else "cast(null as string)"
    rows = query({"t": table}, f"select as_of_date, {key} as fit_key from t group by as_of_date").to_pylist()
    return {r["as_of_date"]: r["fit_key"] for r in rows if r["as_of_date"] is not None}


def fit_keys(history: DataFrame, forecast: KpiForecast) -> dict[date, str]:
    """Per origin, what its fit depends on: the forecast settings and the history every series sees up to it
    (``training_rows``: a count and a sum of the rows' hashes). A late file or a correction that changes a day
    before a stored origin changes its key; a night whose history up to the origin is as it was does not."""
    settings = hashlib.sha256(forecast.model_dump_json(exclude={"fit_batches"}).encode()).hexdigest()[:12]
    row_hash = F.pmod(F.xxhash64("kpi", "level", "member", "day", "y"), F.lit(2147483647))
    rows = history.groupBy("origin").agg(F.count("*").alias("n"), F.sum(row_hash).alias("h")).collect()
    return {r.origin: f"{settings}:{r.n}:{r.h}" for r in rows}


def origins_to_fit(needed: set[date], stored: dict[date, str | None], current: dict[date, str]) -> list[date]:
    """The origins a run fits: those it needs whose stored fit is missing (a first night, a backfill, a week
    whose refit night was missed) or was made under another key (the history up to the origin changed: a late
    file, a correction; or the settings did). Any other needed origin is read back as stored, whichever night
    reads it: a night between two refit weekdays fits nothing, and a rerun whose history is unchanged neither.
    An origin with no history at all (before the data begins) has nothing to fit."""
    return sorted(o for o in needed if o in current and stored.get(o) != current[o])


def _direct_normal_quantiles() -> None:
    """Have statsforecast compute its normal interval quantiles with ``scipy.special.ndtri`` directly.

    statsforecast 2.1.1 (``statsforecast.utils._quantiles``) freezes a scipy distribution for every forecast
    that asks for an interval, and freezing builds a new distribution instance with its docstrings formatted:
    about 1 ms, ten times per series here, half of a fit's time (time a refit: ``bench/kpi_refit_time.py``). The
    same quantile without the frozen object; any other error distribution goes through statsforecast's own path.
    Idempotent; ``tests/test_kpi_forecast_anomalies.py`` checks the quantiles are statsforecast's."""
    import statsforecast.utils as sf_utils
    from scipy.special import ndtri

    original = sf_utils._quantiles
    if getattr(original, "direct_normal", False):
        return

    def quantiles(level: Any, distribution: str = "normal", dist_params: Any = None) -> Any:
        if str(distribution) == "normal" and not dist_params:
            return ndtri(0.5 + np.asarray(level) / 200)
        return original(level, distribution, dist_params)

    quantiles.direct_normal = True  # type: ignore[attr-defined]
    quantiles.original = original  # type: ignore[attr-defined]
    sf_utils._quantiles = quantiles


def _scale(y: np.ndarray, season: int) -> float:
    """In-sample mean absolute error of the seasonal naive forecast."""
    if len(y) <= season:
        return float("nan")
    return float(np.mean(np.abs(y[season:] - y[:-season])))


def auto_ets(model: str, season: int) -> Any:
    """statsforecast's AutoETS for a model string of ``kpi.forecast.ets_model``: ``ANA``, or ``AAdN`` for a
    damped trend."""
    from statsforecast.models import AutoETS

    damped = len(model) == 4
    return AutoETS(season_length=season, model=model.replace("d", ""), damped=True if damped else None)


def capped(y: np.ndarray, fence_iqr: float) -> np.ndarray:
    """The history a model is fitted on: values above Q3 + ``fence_iqr`` x IQR of the series capped there, so a
    one-day spike (a bulk order, a launch day) is not learned as a level or as a weekday's season. A series
    without spread (IQR 0: mostly zeros) and a fence of 0 leave it as it is."""
    if fence_iqr <= 0 or len(y) == 0:
        return y
    q1, q3 = _quartiles(y)
    return np.minimum(y, q3 + fence_iqr * (q3 - q1)) if q3 > q1 else y


def _quartiles(y: np.ndarray) -> tuple[float, float]:
    """``np.percentile(y, [25, 75])`` (its default linear interpolation) without its generic machinery: called
    six times per series and origin, that was a tenth of a fit's time."""
    ordered = np.sort(y)
    last = len(ordered) - 1

    def at(share: float) -> float:
        position = share * last
        below = int(position)
        above = min(below + 1, last)
        return float(ordered[below] + (ordered[above] - ordered[below]) * (position - below))

    return at(0.25), at(0.75)


def backtest(
    y: np.ndarray, settings: KpiForecast, ets_model: str, days_ahead: int
) -> tuple[float, float, float, float]:
    """Over the rolling folds of the backtest, for AutoETS and for seasonal naive: the mean absolute error of
    the daily forecasts, and the mean square of the standardised error of each fold's sum, (sum of actuals - sum
    of forecasts) / sqrt(sum of the forecasts' variances from their interval): 1 when the interval is right.

    Each fold's days are forecast ``days_ahead`` at a time, as the level's shipped forecasts are read: a weekly
    level's fold from its first day, a nightly level's one day ahead from each day before (the model carried
    forward to it), so the fold's sum is the anomaly window's sum either way."""
    from statsforecast.models import SeasonalNaive

    _direct_normal_quantiles()
    step, windows, season = settings.backtest_horizon_days, settings.backtest_windows, settings.season_length
    level, z = settings.interval, NormalDist().inv_cdf(0.5 + settings.interval / 200.0)
    first_cut = len(y) - windows * step
    nan = float("nan")
    if first_cut < max(2 * season, 14):
        return nan, nan, nan, nan
    fit_on = capped(y[:first_cut], settings.spike_fence_iqr)
    model = auto_ets(ets_model, season).fit(y=fit_on)
    ahead = min(days_ahead, step)
    errors: dict[str, list[np.ndarray]] = {"ets": [], "naive": []}
    z2: dict[str, list[float]] = {"ets": [], "naive": []}
    for k in range(windows):
        start = first_cut + k * step
        actual = y[start : start + step]
        means: dict[str, list[np.ndarray]] = {"ets": [], "naive": []}
        variances: dict[str, float] = {"ets": 0.0, "naive": 0.0}
        for cut in range(start, start + step, ahead):
            h = min(ahead, start + step - cut)
            seen = capped(y[:cut], settings.spike_fence_iqr)
            ets = model.predict(h=h, level=[level]) if cut == first_cut else model.forward(y=seen, h=h, level=[level])
            naive = SeasonalNaive(season_length=season).forecast(y=seen, h=h, level=[level])
            for name, fc in (("ets", ets), ("naive", naive)):
                means[name].append(fc["mean"])
                variances[name] += float(np.sum(((fc[f"hi-{level}"] - fc["mean"]) / z) ** 2))
        for name, parts in means.items():
            mean = np.concatenate(parts)
            errors[name].append(np.abs(actual - mean))
            if variances[name] > 0:
                z2[name].append(float((actual.sum() - mean.sum()) ** 2 / variances[name]))
    mae = {name: float(np.mean(np.concatenate(e))) for name, e in errors.items()}
    mean_z2 = {name: float(np.mean(v)) if v else nan for name, v in z2.items()}
    return mae["ets"], mae["naive"], mean_z2["ets"], mean_z2["naive"]


def forecast_series(history: pd.DataFrame, settings: KpiForecast) -> pd.DataFrame:
    """One series' forecasts from one origin (pure: ``fit_batch`` runs it per series of a batch).

    ``history``: origin, the series key columns, day, y (the days up to the origin). Returns FIT_SCHEMA's
    columns: per forecast day both models' forecast and interval, and the series' backtest MASE of each."""
    from statsforecast.models import SeasonalNaive

    _direct_normal_quantiles()
    key = {c: history[c].iat[0] for c in ("origin", *SERIES_KEY)}
    origin = key["origin"]
    # the days from the first of the level's history (or of the series, if later) to the origin, 0 where absent
    day_numbers = np.array(history["day"].tolist(), dtype="datetime64[D]").astype(np.int64)
    last = int(np.datetime64(origin, "D").astype(np.int64))
    first = max(last - settings.history_days[str(key["level"])] + 1, int(day_numbers.min()))
    kept = day_numbers >= first
    y = np.zeros(last - first + 1)
    y[day_numbers[kept] - first] = history["y"].to_numpy(dtype=float)[kept]
    if len(y) < settings.min_history_days:
        return pd.DataFrame(columns=FIT_COLUMNS)
    h, season, level = settings.horizon_days, settings.season_length, settings.interval
    scale = _scale(y, season)
    # the level's candidate models, each backtested: the series ships the one with the lowest backtest error
    ahead = settings.days_ahead(str(key["level"]))
    tried = {model: backtest(y, settings, model, ahead) for model in settings.ets_model[str(key["level"])]}
    ets_model = min(tried, key=lambda m: np.nan_to_num(tried[m][0], nan=np.inf))  # ties: the first listed
    ets_mae, naive_mae, ets_z2, naive_z2 = tried[ets_model]
    fit_on = capped(y, settings.spike_fence_iqr)
    if np.all(fit_on == fit_on[0]):  # a constant series: ETS cannot fit it, and needs no model
        flat = np.full(h, fit_on[0])
        ets_fc = {"mean": flat, f"lo-{level}": flat, f"hi-{level}": flat}
        ets_mae, ets_z2 = naive_mae, naive_z2
    else:
        ets_fc = auto_ets(ets_model, season).forecast(y=fit_on, h=h, level=[level])
    naive = SeasonalNaive(season_length=season).forecast(y=fit_on, h=h, level=[level])
    has_scale = bool(scale > 0)
    return pd.DataFrame(
        {
            **{c: [v] * h for c, v in key.items()},  # lists: a missing key part stays None, not a float NaN
            "forecast_date": [origin + timedelta(days=k + 1) for k in range(h)],
            "horizon_day": np.arange(1, h + 1, dtype=np.int32),
            # the mean and the upper bound before any clipping at 0: the interval's half width is their difference
            "ets": ets_fc["mean"],
            "ets_high": ets_fc[f"hi-{level}"],
            "naive": naive["mean"],
            "naive_high": naive[f"hi-{level}"],
            # arrays of floats: a NaN alone would make an object column, which batches concatenate with a warning
            "series_mase": np.full(h, ets_mae / scale if has_scale else np.nan),
            "series_naive_mase": np.full(h, naive_mae / scale if has_scale else np.nan),
            "series_z2": np.full(h, ets_z2, dtype=float),
            "series_naive_z2": np.full(h, naive_z2, dtype=float),
            "naive_scale": scale,
            "history_days": np.int32(len(y)),
            "ets_model": ets_model,
        },
        columns=FIT_COLUMNS,
    )


def _fit_series(settings: KpiForecast, series: list[pd.DataFrame]) -> list[pd.DataFrame]:
    return [forecast_series(one, settings) for one in series]


def fit_batch(batch: pd.DataFrame, settings: KpiForecast, parallel: bool = False) -> pd.DataFrame:
    """``forecast_series`` for each series (origin, kpi, level, member) of ``batch``, its rows together: the
    function ``applyInPandas`` runs per batch (``fit_batches`` of them per origin and level). ``parallel``: the
    series are fitted in as many runs of consecutive series as the embedded engine has UDF workers
    (``ground/udf_pool.py``)."""
    series = [s.reset_index(drop=True) for _, s in batch.groupby(["origin", "kpi", "level", "member"], sort=False)]
    size = max(1, -(-len(series) // udf_pool.processes(parallel)))  # ceiling
    runs = [series[i : i + size] for i in range(0, len(series), size)]
    fitted = udf_pool.map_ordered(partial(_fit_series, settings), runs, parallel)
    parts = [part for run in fitted for part in run if len(part)]  # a series with too little history has no rows
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FIT_COLUMNS)


def training_rows(series_df: DataFrame, origins: list[date], forecast: KpiForecast) -> DataFrame:
    """The history of every series fitted at each origin (``levels_fitted_at``) up to it (its level's
    history_days at most, and never before the first day the KPI has data anywhere: a lake's first days are not
    zeros): origin, the key, day, y."""
    spark = series_df.sparkSession
    fitted = [(o, level) for o in origins for level in forecast.levels_fitted_at(o)]
    origins_df = spark.createDataFrame(fitted, "origin date, fitted_level string")
    melted = None
    for kpi in forecast.kpis:
        start = series_df.where((F.col("level") == "company") & (F.col(kpi) > 0)).agg(F.min("day").alias("start"))
        part = (
            series_df.where(F.col("level").isin(*forecast.levels))
            .crossJoin(start)
            .where(F.col("day") >= F.col("start"))
            .select(F.lit(kpi).alias("kpi"), *SERIES_KEY[1:], "day", F.col(kpi).cast("double").alias("y"))
        )
        melted = part if melted is None else melted.unionByName(part)
    assert melted is not None
    return melted.join(
        origins_df,
        (melted["level"] == origins_df["fitted_level"])
        & (melted["day"] <= origins_df["origin"])
        & (melted["day"] > F.date_sub(origins_df["origin"], forecast.longest_history)),
        "inner",
    ).select("origin", *SERIES_KEY, "day", F.coalesce(F.col("y"), F.lit(0.0)).alias("y"))


def choose_per_level(fits_df: DataFrame) -> DataFrame:
    """The shipped forecast: per origin, kpi and level, AutoETS where its mean backtest MASE is below seasonal
    naive's, else seasonal naive; its interval widened by the level's calibration (the root mean square of the
    backtest's standardised errors, at least 1) and clipped at 0 like the forecast."""
    # the level's rows summed in one order (member, day), so its means are the same to the last bit whichever
    # order the batches' rows arrive in
    level = (
        Window.partitionBy("origin", "kpi", "level")
        .orderBy("member", "forecast_date")
        .rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    )
    chosen = fits_df.withColumn("level_mase", F.avg("series_mase").over(level)).withColumn(
        "level_naive_mase", F.avg("series_naive_mase").over(level)
    )
    is_ets = F.coalesce(F.col("level_mase") < F.col("level_naive_mase"), F.lit(False))
    chosen = chosen.withColumn("mean", F.when(is_ets, F.col("ets")).otherwise(F.col("naive")))
    chosen = chosen.withColumn("half", F.when(is_ets, F.col("ets_high")).otherwise(F.col("naive_high")) - F.col("mean"))
    z2 = F.when(is_ets, F.col("series_z2")).otherwise(F.col("series_naive_z2"))
    chosen = chosen.withColumn(
        "interval_scale", F.greatest(F.coalesce(F.sqrt(F.avg(z2).over(level)), F.lit(1.0)), F.lit(1.0))
    )
    return chosen.select(
        F.col("origin").alias("as_of_date"),
        *SERIES_KEY,
        "forecast_date",
        "horizon_day",
        F.greatest(F.col("mean"), F.lit(0.0)).alias("forecast"),
        F.greatest(F.col("mean") - F.col("half") * F.col("interval_scale"), F.lit(0.0)).alias("forecast_low"),
        F.greatest(F.col("mean") + F.col("half") * F.col("interval_scale"), F.lit(0.0)).alias("forecast_high"),
        F.when(is_ets, F.lit("ets")).otherwise(F.lit("seasonal_naive")).alias("model"),
        "interval_scale",
        "level_mase",
        "level_naive_mase",
        "series_mase",
        "series_naive_mase",
        "naive_scale",
        "history_days",
        "ets_model",
    )


def build(run: GoldRun) -> list[StepResult]:
    started = time.perf_counter()
    settings = run.ctx.settings.kpi
    forecast = settings.forecast
    needed = needed_origins(run.dates, forecast, settings.anomalies)
    rows_df = training_rows(run.spark.table("kpi_series"), sorted(needed), forecast)
    keys = fit_keys(rows_df, forecast)
    stored = stored_origins(run.lake_root)
    todo = origins_to_fit(needed, stored, keys)
    table = GOLD_TABLES[TABLE]
    fitted = 0
    if todo:
        history = rows_df.where(F.col("origin").isin(*todo))
        batch = F.pmod(F.xxhash64("member"), F.lit(forecast.fit_batches)).alias("batch")

        parallel = len(todo) > 1  # a night's one origin is fitted inline: too little to repay the UDF workers

        def fit(pdf: pd.DataFrame) -> pd.DataFrame:
            return fit_batch(pdf.drop(columns=["batch"]), forecast, parallel)

        fits = history.select("*", batch).groupBy("origin", "kpi", "level", "batch").applyInPandas(fit, FIT_SCHEMA)
        keys_df = run.spark.createDataFrame([(o, keys[o]) for o in todo], "as_of_date date, fit_key string")
        shipped = choose_per_level(fits).join(keys_df, "as_of_date")
        replace_dates(shipped, table, run.lake_root, todo)
        fitted = len(todo)
    location = table.location(run.lake_root)
    stored_df = run.spark.read.format("delta").load(location) if stored or todo else None
    written: Any = stored_df.where(F.col("as_of_date").isin(*sorted(needed))) if stored_df is not None else None
    if written is None:
        written = run.spark.createDataFrame([], table.ddl)
    run.register(TABLE, written)
    rows = written.where(F.col("as_of_date").isin(*todo)).count() if todo else 0
    message = f"fitted {fitted} origin(s): {', '.join(str(o) for o in todo)}" if todo else "reused stored forecasts"
    return [StepResult(f"gold:{TABLE}", rows_out=rows, seconds=time.perf_counter() - started, message=message)]
