"""kpi_anomalies: KPI series off their forecast, persisting, with severity and a root cause, once per episode.

For a series (kpi x level x member) and a date e, the window is the ``window_days`` days ending on e: its
actual sum A, the sum F of the forecasts of those days (each day's forecast from the latest origin before it,
so never from data that includes the day) and the variance V of that sum (each day's from its interval,
``kpi.forecast.interval``). The window is outside its interval when |A - F| > z sqrt(V), F is at least
``min_expected`` and |A - F| is at least ``min_gap_share`` of F. The series is anomalous on e when its window was
outside on the same side on ``persist_days`` of the last ``persist_window_days`` dates, e included.

The condition is evaluated over the ``lookback_days`` dates before each as-of date too, so an episode (dates
with the condition, quiet spells of up to ``gap_days`` included) and its first day (``is_new``) are the same
whatever order the dates are run in.

Root cause (contribution analysis): each child of the series (a state's districts, a district's dealers ...,
and, as a second dimension, its product lines) is expected to carry its share of F, its share of the parent in
the ``baseline_days`` days before the episode's first window; its gap is its actual less that expectation. The
children's gaps sum to the parent's; the contributors are the children with the largest gaps on the anomaly's
side, with their share of the parent's gap.

Silent dealers (``silences``): a dealer that has sold nothing for ``silence_min_days`` days or more although its
rate before the silence made ``silence_min_expected`` units expected has stopped, not drifted. Its rate is the
lower of its means over the ``baseline_days`` and over twice as many days before the silence (where its sales reach
that far back): a burst just before it (a hotspot's leads, a fleet order) is not its normal, and a lull after one
is not a silence. A district with silent dealers is held to that rate (its forecast plus what the silent dealers'
own forecasts lost against their rate before the silence, so a refit that learned the silence does not hide it),
and its window is outside below when its gap is at least ``min_gap_share`` of that, the silent dealers' shortfall
too, and at least ``silence_min_expected`` was expected (not the z test's ``min_expected``: the silence is its own
evidence): a small district, too noisy for the z test, is still told when dealers that make a material share of it
stop.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import functions as F

from gold.graph import GoldRun
from ground.catalogue import GOLD_TABLES
from ground.run import StepResult
from ground.settings import KpiAnomalies, KpiForecast
from ground.spark_io import replace_dates

TABLE = "kpi_anomalies"
KEY = ("kpi", "level", "member")
# the children a level's gap is split over: (primary dimension, secondary dimension or None)
CHILDREN = {
    "company": ("state", "product_line"),
    "state": ("district", "product_line"),
    "district": ("dealer", "product_line"),
    "product_line": ("district", "dealer"),
    "dealer": ("product_line", None),
}
KPI_LABELS = {
    "leads": "Leads",
    "hi_leads": "High-intent leads",
    "bookings": "Bookings",
    "retail_units": "Retail units",
    "retail_value": "Retail value",
}
COLUMNS = [name for name, _ in GOLD_TABLES[TABLE].columns]


def trailing_dates(dates: list[date], lookback_days: int) -> list[date]:
    return sorted({d - timedelta(days=k) for d in dates for k in range(lookback_days + 1)})


def reach_days(settings: KpiAnomalies) -> int:
    """Days of history before the first traced date the detector reads: a baseline before an episode's first
    window, or before the longest silence (``silences``), a week to spare."""
    w, b = settings.window_days, settings.baseline_days
    return max(w + b + settings.lookback_days + 7, settings.silence_max_days + 2 * b + 7)


def day_forecasts(forecasts: pd.DataFrame, forecast: KpiForecast) -> pd.DataFrame:
    """Each day's forecast from the latest origin before it, with its standard deviation from the interval.
    ``forecasts``: as_of_date (origin), kpi, level, member, forecast_date, forecast, forecast_low, forecast_high."""
    if forecasts.empty:
        return forecasts.assign(sd=pd.Series(dtype=float))
    wanted = forecast.origins_before(forecasts["forecast_date"], forecasts["level"])
    chosen = forecasts[forecasts["as_of_date"] == wanted].copy()
    z = NormalDist().inv_cdf(0.5 + forecast.interval / 200.0)
    chosen["sd"] = (chosen["forecast_high"] - chosen["forecast"]) / z  # the upper side: the lower one may be clipped
    return chosen[[*KEY, "forecast_date", "forecast", "sd"]]


def window_checks(
    actuals: pd.DataFrame, daily: pd.DataFrame, dates: list[date], settings: KpiAnomalies
) -> pd.DataFrame:
    """Per series and date e: the window's actual, expected (with its interval) and whether it lies outside.
    ``actuals``: kpi, level, member, day, actual. ``daily``: from ``day_forecasts``."""
    w = settings.window_days
    merged = actuals.merge(daily, left_on=[*KEY, "day"], right_on=[*KEY, "forecast_date"], how="inner")
    rows = []
    for e in dates:
        inside = merged[(merged["day"] > e - timedelta(days=w)) & (merged["day"] <= e)]
        sums = inside.groupby(list(KEY)).agg(
            actual=("actual", "sum"), expected=("forecast", "sum"), var=("sd", lambda s: float(np.sum(s**2))),
            days=("day", "nunique"),
        )  # fmt: skip
        sums = sums[sums["days"] == w].reset_index()
        sums["as_of_date"] = e
        rows.append(sums)
    if not rows:
        return pd.DataFrame(columns=[*KEY, "as_of_date", "actual", "expected", "var", "side"])
    checks = pd.concat(rows, ignore_index=True)
    sd = np.sqrt(checks["var"].astype(float))
    gap = checks["actual"] - checks["expected"]
    checks["z"] = count_z(checks["actual"], checks["expected"], sd)
    checks["expected_low"], checks["expected_high"] = count_band(checks["expected"], sd, settings.z)
    is_out = (
        (np.abs(checks["z"]) > settings.z)
        & (checks["expected"] >= settings.min_expected)
        & (np.abs(gap) >= settings.min_gap_share * checks["expected"])
    )
    checks["side"] = np.where(is_out, np.sign(gap), 0).astype(int)
    return checks


def count_z(actual: Any, expected: Any, sd: Any) -> np.ndarray:
    """How many standard deviations a window's actual lies from its expected, on the square-root scale where a
    count's noise is symmetric (a sum of units is skewed: a few multi-unit deals lift a week far more often than
    they sink it): 2 sqrt(expected) (sqrt(actual) - sqrt(expected)) / sd, the delta method's standard deviation of
    sqrt(actual) being sd / (2 sqrt(expected)). 0 where expected or sd is not positive."""
    actual, expected, sd = (np.asarray(v, dtype=float) for v in (actual, expected, sd))
    ok = (expected > 0) & (sd > 0)
    root = np.sqrt(np.where(ok, expected, 1.0))
    return np.where(ok, 2.0 * root * (np.sqrt(np.clip(actual, 0.0, None)) - root) / np.where(ok, sd, 1.0), 0.0)


def count_band(expected: Any, sd: Any, z: float) -> tuple[np.ndarray, np.ndarray]:
    """The window's band of ``count_z`` within z: (sqrt(expected) -/+ z sd / (2 sqrt(expected)))^2, the low end
    0 where the root's band reaches below 0; 0 to 0 where expected is not positive (no band: ``count_z`` is 0)."""
    expected, sd = np.asarray(expected, dtype=float), np.asarray(sd, dtype=float)
    root = np.sqrt(np.clip(expected, 0.0, None))
    half = np.where(root > 0, z * sd / (2.0 * np.where(root > 0, root, 1.0)), 0.0)
    return np.clip(root - half, 0.0, None) ** 2, (root + half) ** 2


SILENCE_COLUMNS = ["kpi", "member", "as_of_date", "silent_dealers", "silent_since", "held_back", "silent_shortfall"]


def mean_before(sums: np.ndarray, start: np.ndarray, span: int) -> np.ndarray:
    """Per row of ``sums`` (each row's cumulative sums, ``sums[:, k]`` the days before k), the mean over the
    ``span`` days before its own ``start`` (the days before the first counted as 0)."""
    rows = np.arange(len(sums))
    return (sums[rows, start] - sums[rows, np.clip(start - span, 0, None)]) / span


def silences(cells: pd.DataFrame, daily: pd.DataFrame, dates: list[date], settings: KpiAnomalies) -> pd.DataFrame:
    """Per kpi, district (member) and date e, its silent dealers on e: no value for ``silence_min_days`` days or
    more up to e (at most ``silence_max_days``) although the dealer's rate before the silence, times the silent
    days, is at least ``silence_min_expected``; the rate is the lower of its means over the ``baseline_days`` and
    over twice as many days before the silence (the baseline's alone where the dealer's sales do not reach that far
    back: a dealer's first weeks are its ramp-up, not its normal). ``held_back``: over the window ending on e, what
    the silent dealers' forecasts lost against their rate before the silence (0 where a dealer has no forecast);
    ``silent_shortfall``: their rate times the window less their actual in it; ``silent_dealers``: 'code (n days)',
    ', ' apart; ``silent_since``: the first silent day of the longest silence. ``cells``: day, dealer, district and
    the KPI columns; ``daily``: from ``day_forecasts`` (dealer rows used)."""
    rows: list[dict[str, Any]] = []
    if cells.empty:
        return pd.DataFrame(columns=SILENCE_COLUMNS)
    w, b = settings.window_days, settings.baseline_days
    district_of = cells.dropna(subset=["dealer"]).drop_duplicates("dealer").set_index("dealer")["district"]
    for kpi in [k for k in settings.kpis if k in cells.columns]:
        per_day = cells.groupby(["dealer", "day"])[kpi].sum().unstack(fill_value=0.0)
        days = list(pd.date_range(min(per_day.columns), max(max(per_day.columns), max(dates)), freq="D").date)
        y = per_day.reindex(columns=days, fill_value=0.0).to_numpy(dtype=float)
        dealers = per_day.index.astype(str).to_numpy()
        sums = np.concatenate([np.zeros((len(y), 1)), np.cumsum(y, axis=1)], axis=1)  # sums[:, k]: days before k
        last_sale = np.maximum.accumulate(np.where(y > 0, np.arange(len(days)), -1), axis=1)
        first_sale = np.where((y > 0).any(axis=1), np.argmax(y > 0, axis=1), len(days))
        fc = daily[(daily["level"] == "dealer") & (daily["kpi"] == kpi)]
        fc_days = fc.pivot_table(index="member", columns="forecast_date", values="forecast", aggfunc="sum")
        fc_days = fc_days.reindex(index=dealers, columns=days).to_numpy(dtype=float)
        # a day no dealer has a value for (not landed yet) is no evidence of silence: no date after the last seen
        last_seen = int(np.flatnonzero((y > 0).any(axis=0)).max(initial=-1))
        for e in dates:
            j = days.index(e) if e in days else -1
            if j < w - 1 or j > last_seen:
                continue
            start = last_sale[:, j] + 1  # each dealer's first silent day
            silent_days = j - start + 1
            # a longer silence is the dealer's new normal (closed, or gone): its rate before it is out of reach
            has_base = (last_sale[:, j] >= 0) & (start - b >= 0) & (silent_days <= settings.silence_max_days)
            rate = mean_before(sums, start, b)
            # the longer mean only where the dealer's sales reach that far back: its first weeks are its ramp-up
            rate = np.where(first_sale <= start - 2 * b, np.minimum(rate, mean_before(sums, start, 2 * b)), rate)
            is_silent = has_base & (silent_days >= settings.silence_min_days)
            is_silent &= rate * silent_days >= settings.silence_min_expected
            if not is_silent.any():
                continue
            at_rate = rate * w
            window_actual = sums[:, j + 1] - sums[:, j + 1 - w]
            window_fc = fc_days[:, j + 1 - w : j + 1].sum(axis=1)  # NaN where a day has no forecast
            held = np.where(np.isnan(window_fc), 0.0, np.clip(at_rate - window_fc, 0.0, None))
            frame = pd.DataFrame(
                {"dealer": dealers, "days": silent_days, "since": start, "held": held, "short": at_rate - window_actual,
                 "order": -(at_rate - window_actual)}
            )[is_silent]  # fmt: skip
            frame["member"] = frame["dealer"].map(district_of)
            for member, group in frame.dropna(subset=["member"]).sort_values(["order", "dealer"]).groupby("member"):
                rows.append({
                    "kpi": kpi, "member": member, "as_of_date": e,
                    "silent_dealers": ", ".join(f"{d} ({n} days)" for d, n in zip(group["dealer"], group["days"],
                                                                                   strict=True)),
                    "silent_since": days[int(group["since"].min())],
                    "held_back": float(group["held"].sum()), "silent_shortfall": float(group["short"].sum()),
                })  # fmt: skip
    return pd.DataFrame(rows, columns=SILENCE_COLUMNS)


def with_silence(checks: pd.DataFrame, silent: pd.DataFrame, settings: KpiAnomalies) -> pd.DataFrame:
    """District windows with silent dealers: expected raised by ``held_back``, and outside below when the gap to
    that and the silent dealers' shortfall are both at least ``min_gap_share`` of it and it is at least
    ``silence_min_expected`` (``silences``)."""
    checks = checks.assign(silent_dealers="", silent_since=None)
    if silent.empty or checks.empty:
        return checks
    keys = ["kpi", "member", "as_of_date"]
    on = checks.reset_index(drop=True).merge(silent, on=keys, how="left", suffixes=("", "_s"))
    is_district = (on["level"] == "district") & on["silent_dealers_s"].notna()
    expected = np.where(is_district, on["expected"] + on["held_back"].fillna(0.0), on["expected"])
    gap = on["actual"] - expected
    is_out = (
        is_district
        & (expected >= settings.silence_min_expected)
        & (gap <= -settings.min_gap_share * expected)
        & (on["silent_shortfall"].fillna(0.0) >= settings.min_gap_share * expected)
    )
    sd = np.sqrt(on["var"].astype(float))
    checks = checks.reset_index(drop=True)  # the rows held to the silent dealers' rate take its figures
    checks["expected"] = np.where(is_out, expected, checks["expected"])
    low, high = count_band(expected, sd, settings.z)
    checks["z"] = np.where(is_out, count_z(on["actual"], expected, sd), checks["z"])
    checks["expected_low"] = np.where(is_out, low, checks["expected_low"])
    checks["expected_high"] = np.where(is_out, high, checks["expected_high"])
    checks["side"] = np.where(is_out, -1, checks["side"]).astype(int)
    checks["silent_dealers"] = np.where(is_out, on["silent_dealers_s"].fillna(""), "")
    checks["silent_since"] = [since if out else None for since, out in zip(on["silent_since_s"], is_out, strict=True)]
    return checks


def conditions(checks: pd.DataFrame, settings: KpiAnomalies) -> pd.DataFrame:
    """The (series, date, side) where the window is outside on that side today and on persist_days of the last
    persist_window_days dates."""
    out = checks[checks["side"] != 0]
    if out.empty:
        return out.assign(direction=pd.Series(dtype=str))
    flagged = set(zip(*(out[c] for c in (*KEY, "as_of_date", "side")), strict=True))

    def persists(row: Any) -> bool:
        hits = sum(
            (row.kpi, row.level, row.member, row.as_of_date - timedelta(days=k), row.side) in flagged
            for k in range(settings.persist_window_days)
        )
        return hits >= settings.persist_days

    kept = out[[persists(r) for r in out.itertuples(index=False)]].copy()
    kept["direction"] = np.where(kept["side"] < 0, "below", "above")
    return kept


def episodes(condition: pd.DataFrame, dates: list[date], settings: KpiAnomalies) -> pd.DataFrame:
    """The rows of the run's ``dates``, each with its episode's first date (traced over its own look back only),
    whether today is that first date, and the days active in the episode so far."""
    rows = []
    on = set(zip(condition["kpi"], condition["level"], condition["member"], condition["direction"],
                 condition["as_of_date"], strict=True))  # fmt: skip
    for row in condition[condition["as_of_date"].isin(dates)].itertuples(index=False):
        start, active, quiet = row.as_of_date, 1, 0
        for k in range(1, settings.lookback_days + 1):
            day = row.as_of_date - timedelta(days=k)
            if (row.kpi, row.level, row.member, row.direction, day) in on:
                start, active, quiet = day, active + 1, 0
            else:
                quiet += 1
                if quiet > settings.gap_days:
                    break
        rows.append({**row._asdict(), "episode_start": start, "is_new": start == row.as_of_date, "days_active": active})
    return pd.DataFrame(rows)


def _child_totals(cells: pd.DataFrame, dimension: str, first: date, last: date, kpi: str) -> pd.Series:
    inside = cells[(cells["day"] >= first) & (cells["day"] <= last)]
    return inside.groupby(dimension)[kpi].sum()


def contributions(
    cells: pd.DataFrame,
    dimension: str,
    kpi: str,
    window: tuple[date, date],
    baseline: tuple[date, date],
    expected: float,
) -> pd.DataFrame:
    """Each child's actual in the window, its expectation (its baseline share of ``expected``) and its gap.
    ``cells``: the parent's cells (day, the child dimension, the kpi)."""
    actual = _child_totals(cells, dimension, *window, kpi)
    base = _child_totals(cells, dimension, *baseline, kpi)
    children = actual.index.union(base.index)
    actual, base = actual.reindex(children, fill_value=0.0), base.reindex(children, fill_value=0.0)
    share = base / base.sum() if base.sum() > 0 else base * 0.0
    frame = pd.DataFrame({"actual": actual.astype(float), "expected": share * expected})
    frame["gap"] = frame["actual"] - frame["expected"]
    return frame


def top_contributors(frame: pd.DataFrame, side: int, parent_gap: float, n: int = 2) -> list[tuple[str, float]]:
    """The children with the largest gaps on the anomaly's side, with their share of the parent's gap."""
    same = frame[np.sign(frame["gap"]) == side]
    if same.empty or parent_gap == 0:
        return []
    ordered = same.assign(size=np.abs(same["gap"]), name=same.index.astype(str))
    ordered = ordered.sort_values(["size", "name"], ascending=[False, True])
    return [(str(name), float(gap / parent_gap)) for name, gap in ordered["gap"].head(n).items()]


def place(level: str, member: str) -> str:
    return {
        "company": "the whole network",
        "state": member,
        "district": member,
        "product_line": f"product line {member}",
        "dealer": f"dealer {member}",
    }[level]


def sentence(row: dict[str, Any], contributors: list[tuple[str, float]], top_line: str | None) -> str:
    """'Retail units in Kolhapur, Maharashtra 38% below forecast for 3 days: 24 against 39 expected in the last
    7 days; 70% of the gap from DLR0042 and DLR0051, mostly Cargo EV.'"""
    label = KPI_LABELS[row["kpi"]]
    days = int(row["days_active"])
    head = (
        f"{label} in {place(row['level'], row['member'])} {abs(row['gap_share']):.0%} {row['direction']} forecast "
        f"for {days} day{'s' if days != 1 else ''}: {row['actual']:,.0f} against {row['expected']:,.0f} expected "
        f"in the last {row['window_days']} days"
    )
    if contributors:
        names = " and ".join(name for name, _ in contributors)
        share = sum(s for _, s in contributors)
        head += f"; {share:.0%} of the gap from {names}"
        if top_line:
            head += f", mostly {top_line}"
    if row.get("silent_dealers"):
        head += f"; no retail from {row['silent_dealers']}"
    return head + "."


def root_causes(found: pd.DataFrame, cells: pd.DataFrame, settings: KpiAnomalies) -> pd.DataFrame:
    """Contributors, their shares, the top product line and the sentence of every anomaly row.
    ``cells``: day, dealer, state, district (as 'District, State'), product_line and the KPI columns."""
    w, b = settings.window_days, settings.baseline_days
    out = []
    for row in found.to_dict("records"):
        parent = cells
        if row["level"] != "company":
            column = {"state": "state", "district": "district", "product_line": "product_line", "dealer": "dealer"}
            parent = cells[cells[column[row["level"]]] == row["member"]]
        window = (row["as_of_date"] - timedelta(days=w - 1), row["as_of_date"])
        base_last = row["episode_start"] - timedelta(days=w)
        if isinstance(row.get("silent_since"), date):  # silent dealers: their share from before the silence
            base_last = min(base_last, row["silent_since"] - timedelta(days=1))
        baseline = (base_last - timedelta(days=b - 1), base_last)
        side = 1 if row["direction"] == "above" else -1
        primary, secondary = CHILDREN[row["level"]]
        gap = row["actual"] - row["expected"]
        split = contributions(parent, primary, row["kpi"], window, baseline, row["expected"])
        named = top_contributors(split, side, gap)
        top_line = None
        if secondary == "product_line":
            lines = top_contributors(contributions(parent, secondary, row["kpi"], window, baseline, row["expected"]),
                                     side, gap, 1)  # fmt: skip
            top_line = lines[0][0] if lines else None
        # largest gap first, "; " between them (a district's name holds a comma)
        row["contributors"] = "; ".join(name for name, _ in named)
        row["contributor_shares"] = "; ".join(f"{share:.4f}" for _, share in named)  # of the parent's gap
        row["top_product_line"] = top_line
        row["sentence"] = sentence(row, named, top_line)
        out.append(row)
    return pd.DataFrame(out)


def detect(
    actuals: pd.DataFrame,
    forecasts: pd.DataFrame,
    cells: pd.DataFrame,
    dates: list[date],
    settings: KpiAnomalies,
    forecast: KpiForecast,
) -> pd.DataFrame:
    """The anomaly rows of ``dates`` (pure): ``actuals`` per series and day, the stored ``forecasts``, and the
    dealer x product-line ``cells`` the root cause is found in. Columns as the kpi_anomalies table."""
    traced = trailing_dates(dates, settings.lookback_days)
    daily = day_forecasts(forecasts, forecast)
    checks = window_checks(actuals, daily, traced, settings)
    checks = with_silence(checks, silences(cells, daily, traced, settings), settings)
    found = episodes(conditions(checks, settings), dates, settings)
    if found.empty:
        return pd.DataFrame(columns=COLUMNS)
    found = found.merge(
        actuals.drop_duplicates(list(KEY))[[*KEY, "state", "district", "dealer_code", "product_line"]], on=list(KEY)
    )
    found["window_days"] = settings.window_days
    found["gap"] = found["actual"] - found["expected"]
    found["gap_share"] = found["gap"] / found["expected"]
    found["severity"] = np.select(
        [np.abs(found["gap_share"]) >= settings.severity_high, np.abs(found["gap_share"]) >= settings.severity_medium],
        ["high", "medium"],
        "low",
    )
    found = root_causes(found, cells, settings)
    found["anomaly_id"] = found["kpi"] + ":" + found["level"] + ":" + found["member"] + ":" + found["direction"]
    found["size"] = np.abs(found["gap"])
    found = found.sort_values(["as_of_date", "size", "anomaly_id"], ascending=[True, False, True])
    found["rank"] = found.groupby("as_of_date").cumcount().astype(np.int32) + 1
    found["window_days"] = found["window_days"].astype(np.int32)
    found["days_active"] = found["days_active"].astype(np.int32)
    return found[COLUMNS].reset_index(drop=True)


def build(run: GoldRun) -> list[StepResult]:
    started = time.perf_counter()
    spark = run.spark
    settings, forecast = run.ctx.settings.kpi.anomalies, run.ctx.settings.kpi.forecast
    traced = trailing_dates(run.dates, settings.lookback_days)
    first = traced[0] - timedelta(days=reach_days(settings))
    series_df = spark.table("kpi_series").where(
        F.col("level").isin(*settings.levels) & (F.col("day") >= F.lit(first)) & (F.col("day") <= F.lit(run.dates[-1]))
    )
    melted = None
    for kpi in settings.kpis:
        part = series_df.select("level", "member", "state", "district", "dealer_code", "product_line", "day",
                                F.lit(kpi).alias("kpi"), F.col(kpi).cast("double").alias("actual"))  # fmt: skip
        melted = part if melted is None else melted.unionByName(part)
    assert melted is not None
    actuals: pd.DataFrame = melted.toPandas()
    forecasts: pd.DataFrame = (
        spark.table("kpi_forecast")
        .where(F.col("kpi").isin(*settings.kpis) & F.col("level").isin(*settings.levels, "dealer"))
        .select("as_of_date", *KEY, "forecast_date", "forecast", "forecast_low", "forecast_high")
        .toPandas()
    )
    cells = _cells(run, first, settings.kpis) if not actuals.empty and not forecasts.empty else pd.DataFrame()
    found = detect(actuals, forecasts, cells, run.dates, settings, forecast)
    table = GOLD_TABLES[TABLE]
    replace_dates(_to_spark(run, found), table, run.lake_root, run.dates)
    written = spark.read.format("delta").load(table.location(run.lake_root)).where(F.col("as_of_date").isin(*run.dates))
    run.register(TABLE, written)
    new = int(found["is_new"].sum()) if len(found) else 0
    return [
        StepResult(
            f"gold:{TABLE}",
            rows_out=len(found),
            seconds=time.perf_counter() - started,
            message=f"{new} new episode(s)" if new else "",
        )
    ]


def _to_spark(run: GoldRun, found: pd.DataFrame) -> Any:
    ddl = GOLD_TABLES[TABLE].ddl
    return run.spark.createDataFrame(found, ddl) if len(found) else run.spark.createDataFrame([], ddl)


def _cells(run: GoldRun, first: date, kpis: list[str]) -> pd.DataFrame:
    """Dealer x product-line days with the dealer's place (as kpi_series places it), for the root cause."""
    spark = run.spark
    geo = (
        spark.table("kpi_series")
        .where(F.col("level") == "dealer")
        .select(F.col("member").alias("dealer"), "state", F.concat_ws(", ", "district", "state").alias("district"))
        .distinct()
    )
    facts = spark.table("kpi_dealer_daily").where(
        (F.col("day") >= F.lit(first)) & (F.col("day") <= F.lit(run.dates[-1]))
    )
    joined = facts.join(geo, facts["dealer_code"] == geo["dealer"], "left").select(
        "day", "dealer", "state", "district", "product_line", *[F.col(k).cast("double").alias(k) for k in kpis]
    )
    return joined.toPandas()
