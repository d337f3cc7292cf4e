"""The hotspot surge detector of sql/gold/taluka_lead_surveillance.sql, again in numpy over a built lake, so that
a sweep scores many settings from one lake without rerunning a night (bench/hotspot_sweep.py uses it).

It reads what the SQL reads: silver customer_pipeline_history (each opportunity as known at the end of each
as-of date, as sql/views/opportunity_versions.sql defines it) and gold dealer_geo (each dealer's taluka on
the date), plus the stored macro_market_hotspot_taluka_5d rows for the NOISE rule's dealer count and 5-day
leads. ``compare_with_lake`` checks it against the stored taluka_lead_surveillance rows, so the sweep is
known to score the same detector the pipeline runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ground.lake import read_table

KEY = ["state", "district", "taluka"]


@dataclass(frozen=True)
class Setting:
    """The detector's parameters (conf/base/pipeline.yaml, section hotspot)."""

    baseline_days: int
    guard_days: int
    surge_window_days: int
    upper_z: float
    persist_days: int = 1
    persist_window_days: int = 1
    poisson: bool = False  # for comparison only: dispersion fixed at 1 instead of estimated per taluka

    @property
    def lookback_days(self) -> int:
        return self.baseline_days + self.guard_days + self.surge_window_days + self.persist_window_days - 1

    def label(self) -> str:
        return (
            f"B{self.baseline_days} g{self.guard_days} w{self.surge_window_days} z{self.upper_z:g} "
            f"{self.persist_days}/{self.persist_window_days}" + (" poisson" if self.poisson else "")
        )


@dataclass
class LakeSeries:
    """Daily lead counts per taluka as known on each as-of date, on one day axis."""

    dates: list[date]  # the lake's as-of dates (those of macro_market_hotspot_taluka_5d)
    keys: pd.DataFrame  # one row per taluka (state, district, taluka); its index is the taluka axis
    first_day: date  # day 0 of the day axis
    counts: np.ndarray  # [as-of date, day, taluka] leads created that day, as known on the as-of date
    macro: pd.DataFrame  # stored macro rows with their axis positions (d_idx, k_idx)


def _read(lake: str, layer: str, name: str, columns: list[str]) -> pd.DataFrame:
    table = read_table(f"{lake}/{layer}/{name}", columns=columns)
    if table is None:
        raise SystemExit(f"no {layer} table {name} under {lake}: run scv nightly first")
    return table.to_pandas()


def _versions(lake: str) -> pd.DataFrame:
    """Every version with the days it was the known state: known_from_date <= d < known_until_date."""
    hist = _read(lake, "silver", "customer_pipeline_history", ["opty_id", "dealer_code", "created_date", "updated_at"])
    hist = hist.dropna(subset=["updated_at"]).sort_values(["opty_id", "updated_at"], kind="stable")
    known_from = pd.to_datetime(hist["updated_at"]).dt.date
    hist["known_from_date"] = known_from
    hist["known_until_date"] = known_from.groupby(hist["opty_id"]).shift(-1).fillna(date.max)
    return hist


def load_lake(lake: str, lookback_days: int) -> LakeSeries:
    """Counts for every as-of date of the lake over ``lookback_days`` days ending on it (the longest look-back
    of the settings to score)."""
    macro = _read(
        lake,
        "gold",
        "macro_market_hotspot_taluka_5d",
        ["as_of_date", *KEY, "dealer_count", "leads_cur", "lead_growth", "lead_z", "status"],
    )
    dates = sorted(macro["as_of_date"].unique())
    geo = _read(lake, "gold", "dealer_geo", ["as_of_date", "dealer_code", *KEY])
    geo = geo[geo["as_of_date"].isin(dates)]
    keys = pd.concat([geo[KEY], macro[KEY]]).drop_duplicates().sort_values(KEY).reset_index(drop=True)
    key_index = pd.Series(keys.index, index=pd.MultiIndex.from_frame(keys))
    first_day = dates[0] - timedelta(days=lookback_days - 1)
    n_days = (dates[-1] - first_day).days + 1
    counts = np.zeros((len(dates), n_days, len(keys)))
    versions = _versions(lake)
    for d_idx, as_of in enumerate(dates):
        known = versions[
            (versions["known_from_date"] <= as_of)
            & (versions["known_until_date"] > as_of)
            & (versions["created_date"] <= as_of)
            & (versions["created_date"] > as_of - timedelta(days=lookback_days))
        ]
        placed = known.merge(geo[geo["as_of_date"] == as_of], on="dealer_code", how="inner")
        day = np.array([(c - first_day).days for c in placed["created_date"]], dtype=int)
        taluka = key_index.loc[pd.MultiIndex.from_frame(placed[KEY])].to_numpy()
        np.add.at(counts[d_idx], (day, taluka), 1)
    macro["d_idx"] = macro["as_of_date"].map({d: i for i, d in enumerate(dates)})
    macro["k_idx"] = key_index.loc[pd.MultiIndex.from_frame(macro[KEY])].to_numpy()
    return LakeSeries(dates, keys, first_day, counts, macro)


@dataclass
class DayStats:
    """The detector's measures for one check day, one value per taluka."""

    recent: np.ndarray
    baseline: np.ndarray
    expected: np.ndarray
    dispersion: np.ndarray
    upper: np.ndarray
    has_row: np.ndarray  # the taluka has a lead in the window or the baseline (the SQL has a row for it)

    @property
    def score(self) -> np.ndarray:
        return (self.recent - self.expected) / (self.upper - self.expected)


class Cumulative:
    """Running sums over the day axis of one as-of date's counts, so any window's sum is one subtraction."""

    def __init__(self, counts: np.ndarray) -> None:
        network = counts.sum(axis=1)
        square_ratio = counts**2 / np.maximum(network[:, None] - counts, 1)
        zero = np.zeros((1, counts.shape[1]))
        self.leads = np.vstack([zero, np.cumsum(counts, axis=0)])
        self.square_ratio = np.vstack([zero, np.cumsum(square_ratio, axis=0)])
        self.network = np.concatenate([[0.0], np.cumsum(network)])
        self.network_days = np.concatenate([[0], np.cumsum(network > 0)])

    def day_stats(self, day: int, s: Setting) -> DayStats:
        """The SQL's measures for the check day at position ``day``: window (day - w, day], baseline
        (day - w - g - B, day - w - g]."""
        w0, w1 = day - s.surge_window_days + 1, day + 1
        b1 = day - s.surge_window_days - s.guard_days + 1
        b0 = b1 - s.baseline_days
        if b0 < 0:
            raise ValueError(f"day {day} needs {-b0} days before the loaded look-back: load a longer one")
        recent = self.leads[w1] - self.leads[w0]
        baseline = self.leads[b1] - self.leads[b0]
        market_window = (self.network[w1] - self.network[w0]) - recent
        market_baseline = (self.network[b1] - self.network[b0]) - baseline
        share = baseline / np.maximum(market_baseline, 1)
        expected = share * market_window
        square_ratio = self.square_ratio[b1] - self.square_ratio[b0]
        chi_square = np.where(baseline == 0, 0.0, square_ratio / np.where(share == 0, 1, share) - baseline)
        days_seen = self.network_days[b1] - self.network_days[b0]
        dispersion = np.maximum(1.0, chi_square / np.maximum(days_seen - 1, 1))
        if s.poisson:
            dispersion = np.ones_like(dispersion)
        mu = np.maximum(expected, 1.0)
        spread = np.sqrt(dispersion * (1 + market_window / np.maximum(market_baseline, 1)) / mu)
        upper = mu * (1 + 2.0 / 3 * s.upper_z * spread) ** 1.5
        return DayStats(recent, baseline, expected, dispersion, upper, (recent > 0) | (baseline > 0))


def surveillance(series: LakeSeries, s: Setting) -> dict[str, np.ndarray]:
    """The as-of date's measures and the flag, as [as-of date, taluka] arrays."""
    shape = (len(series.dates), len(series.keys))
    out = {name: np.full(shape, np.nan) for name in ("recent", "expected", "dispersion", "upper", "score")}
    out["is_surge"] = np.zeros(shape, dtype=bool)
    out["has_row"] = np.zeros(shape, dtype=bool)
    for d_idx, as_of in enumerate(series.dates):
        sums = Cumulative(series.counts[d_idx])
        today = (as_of - series.first_day).days
        surge_days = np.zeros(len(series.keys), dtype=int)
        for day in range(today - s.persist_window_days + 1, today + 1):
            stats = sums.day_stats(day, s)
            surge_days += stats.has_row & (stats.recent > stats.upper)
        out["recent"][d_idx], out["expected"][d_idx] = stats.recent, stats.expected
        out["dispersion"][d_idx], out["upper"][d_idx], out["score"][d_idx] = (
            stats.dispersion,
            stats.upper,
            stats.score,
        )
        out["has_row"][d_idx] = stats.has_row
        out["is_surge"][d_idx] = stats.has_row & (surge_days >= s.persist_days)
    return out


CUSUM_SPAN_DAYS = 28


def cusum(
    series: LakeSeries, s: Setting, reference: float, limit: float, span_days: int = CUSUM_SPAN_DAYS
) -> np.ndarray:
    """For comparison only (not in the pipeline): a CUSUM of the daily standardised excess,
    S_t = max(0, S_(t-1) + (y_t - e_t) / sqrt(dispersion e_t) - reference), started span_days before each
    as-of date, flagging when S on the as-of date is above ``limit``. ``s.surge_window_days`` should be 1."""
    flags = np.zeros((len(series.dates), len(series.keys)), dtype=bool)
    for d_idx, as_of in enumerate(series.dates):
        sums = Cumulative(series.counts[d_idx])
        today = (as_of - series.first_day).days
        total = np.zeros(len(series.keys))
        for day in range(today - span_days + 1, today + 1):
            stats = sums.day_stats(day, s)
            excess = (stats.recent - stats.expected) / np.sqrt(stats.dispersion * np.maximum(stats.expected, 1.0))
            total = np.maximum(0.0, total + excess - reference)
        flags[d_idx] = total > limit
    return flags


def statuses(series: LakeSeries, is_surge: np.ndarray, min_dealers: int, min_leads: int) -> pd.DataFrame:
    """The macro rows with the status a flag array gives them (HOTSPOT and EMERGING both count as a flag, so
    a rise is written EMERGING)."""
    macro = series.macro
    rise = is_surge[macro["d_idx"], macro["k_idx"]]
    noise = (macro["dealer_count"] < min_dealers) | (macro["leads_cur"] < min_leads)
    status = np.where(noise, "NOISE", np.where(rise, "EMERGING", "STABLE"))
    return macro[["as_of_date", *KEY]].assign(status=status)


def growth_rule(series: LakeSeries, lead_growth: float = 0.5, min_lead_z: float = 4.0) -> np.ndarray:
    """For comparison only: the rule the detector replaced (5-day lead growth above ``lead_growth`` and the
    5-day market-adjusted Poisson z above ``min_lead_z``), from the stored 5-day columns."""
    macro = series.macro
    flags = np.zeros((len(series.dates), len(series.keys)), dtype=bool)
    rise = (macro["lead_growth"] > lead_growth) & (macro["lead_z"] > min_lead_z)
    flags[macro["d_idx"], macro["k_idx"]] = rise.to_numpy()
    return flags


def compare_with_lake(lake: str, series: LakeSeries, s: Setting) -> dict[str, float]:
    """How far this re-implementation is from the stored taluka_lead_surveillance (run with setting ``s``)."""
    stored = _read(
        lake, "gold", "taluka_lead_surveillance", ["as_of_date", *KEY, "expected_leads", "upper_leads", "is_surge"]
    )
    mine = surveillance(series, s)
    d_idx = stored["as_of_date"].map({d: i for i, d in enumerate(series.dates)}).to_numpy()
    index = pd.Series(series.keys.index, index=pd.MultiIndex.from_frame(series.keys))
    k_idx = index.loc[pd.MultiIndex.from_frame(stored[KEY])].to_numpy()
    scale = np.maximum(stored["upper_leads"].abs().to_numpy(), 1)
    return {
        "rows_stored": len(stored),
        "rows_here": int(mine["has_row"].sum()),
        "max_rel_diff_expected": float(
            np.max(np.abs(mine["expected"][d_idx, k_idx] - stored["expected_leads"]) / scale)
        ),
        "max_rel_diff_upper": float(np.max(np.abs(mine["upper"][d_idx, k_idx] - stored["upper_leads"]) / scale)),
        "flags_differ": int(np.sum(mine["is_surge"][d_idx, k_idx] != stored["is_surge"].to_numpy())),
    }
