"""The market gold tables of ``sql/gold`` (dealer features, taluka hotspots, top talukas) in plain pandas, one
as-of date at a time: the pandas baseline's transforms (``bench/pandas_baseline.py`` reads and writes).

Each function follows its SQL file, with SQL's meaning where pandas differs: a null join key matches nothing
(``sql_join``), groups keep null keys (``dropna=False``), ``sum`` of only nulls is null (``min_count=1``).
Dates are ``datetime64`` midnights, timestamps naive UTC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

OPEN_STAGES = ("C0", "C1", "C2", "C3")
GEO = ["state", "district", "taluka"]
FOREVER = pd.Timestamp("2262-01-01")  # known_until_date of the latest version (SQL: 9999-12-31)
STATUS_ORDER = {"HOTSPOT": 1, "EMERGING": 2, "STABLE": 3}  # anything else 4 (NOISE)


def days(n: int) -> pd.Timedelta:
    return pd.Timedelta(days=n)


def sql_join(left: pd.DataFrame, right: pd.DataFrame, on: list[str], how: str) -> pd.DataFrame:
    """``left.merge(right)`` where, as in SQL, a row with a null key matches nothing."""
    right = right.dropna(subset=on)
    if how == "inner":
        left = left.dropna(subset=on)
    return left.merge(right, on=on, how=how)  # type: ignore[arg-type]


def growth(current: pd.Series, previous: pd.Series) -> pd.Series:
    return (current - previous).astype("float64") / np.maximum(previous.astype("float64"), 1.0)


# ------------------------------------------------------------------------------------ opportunity_versions
def opportunity_versions(history: pd.DataFrame, dates: list[pd.Timestamp], lookback_days: int) -> pd.DataFrame:
    """sql/views/opportunity_versions.sql: every version created in the run's reach with the days it was the
    known state (known_from_date <= d < known_until_date)."""
    reach = history["created_date"].between(min(dates) - days(lookback_days), max(dates))
    versions = history[reach & history["updated_at"].notna()].sort_values(["opty_id", "updated_at"])
    versions = versions.assign(known_from_date=versions["updated_at"].dt.normalize())
    following = versions.groupby("opty_id", dropna=False)["known_from_date"].shift(-1)
    return versions.assign(known_until_date=following.fillna(FOREVER))


def as_known(versions: pd.DataFrame, as_of: pd.Timestamp, created_within_days: int) -> pd.DataFrame:
    """Each opportunity as known at the end of ``as_of``, created in the ``created_within_days`` days before."""
    return versions[
        (versions["known_from_date"] <= as_of)
        & (versions["known_until_date"] > as_of)
        & versions["created_date"].between(as_of - days(created_within_days), as_of)
    ]


# ------------------------------------------------------------------------------------------- dealer_geo
def pipeline_activity(history: pd.DataFrame, last_date: pd.Timestamp) -> pd.DataFrame:
    """C0-C3 pipeline rows up to the run's last date, best first: the latest update, then taluka, district,
    state (the SQL's order), one row per dealer and day."""
    activity = history.loc[history["stage"].isin(OPEN_STAGES), ["dealer_code", *GEO, "updated_at"]]
    activity = activity.assign(activity_date=activity["updated_at"].dt.normalize())
    activity = activity[activity["activity_date"] <= last_date]
    ordered = activity.sort_values(
        ["updated_at", "taluka", "district", "state"], ascending=[False, True, True, True], na_position="first"
    )
    return ordered.drop_duplicates(["dealer_code", "activity_date"])


def dealer_master(dealers: pd.DataFrame) -> pd.DataFrame:
    active = dealers["active"].astype("boolean").fillna(True)
    master = dealers[active & dealers["taluka"].notna() & dealers["district"].notna()]
    return master[["dealer_code", *GEO, "region"]]


def dealer_geo(activity: pd.DataFrame, master: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    pipeline = activity[activity["activity_date"] <= as_of].drop_duplicates("dealer_code")
    pipeline = pipeline[["dealer_code", *GEO, "updated_at"]].rename(
        columns={"taluka": "pipeline_taluka", "district": "pipeline_district", "state": "pipeline_state",
                 "updated_at": "last_activity_at"}
    )  # fmt: skip
    codes = pd.DataFrame({"dealer_code": pd.concat([pipeline["dealer_code"], master["dealer_code"]]).unique()})
    geo = sql_join(codes, master.assign(in_master=True), ["dealer_code"], "left")
    geo = sql_join(geo, pipeline, ["dealer_code"], "left")
    in_master = geo["in_master"].fillna(False).astype(bool)
    return pd.DataFrame(
        {
            "as_of_date": as_of,
            "dealer_code": geo["dealer_code"],
            "taluka": geo["taluka"].where(in_master, geo["pipeline_taluka"]),
            "district": geo["district"].where(in_master, geo["pipeline_district"]),
            "state": geo["state"].fillna(geo["pipeline_state"]).where(in_master, geo["pipeline_state"]),
            "last_activity_at": geo["last_activity_at"],
            "region": geo["region"],
            "location_origin": np.where(in_master, "dealer_master", "pipeline"),
        }
    )


# ------------------------------------------------------------------------------- dealer windows and stock
def dealer_leads(versions: pd.DataFrame, as_of: pd.Timestamp, window: int, high_intent: list[str]) -> pd.DataFrame:
    known = as_known(versions, as_of, 2 * window - 1)
    is_current = known["created_date"] > as_of - days(window)
    is_high = known["lead_classification"].isin(high_intent)
    counts = (
        pd.DataFrame(
            {
                "dealer_code": known["dealer_code"],
                "leads_cur": is_current,
                "leads_prev": ~is_current,
                "hi_leads_cur": is_current & is_high,
                "hi_leads_prev": ~is_current & is_high,
            }
        )
        .groupby("dealer_code", dropna=False, as_index=False)
        .sum()
    )
    return counts.assign(
        as_of_date=as_of,
        lead_growth=growth(counts["leads_cur"], counts["leads_prev"]),
        hi_lead_growth=growth(counts["hi_leads_cur"], counts["hi_leads_prev"]),
    )


def dealer_retail(retail: pd.DataFrame, as_of: pd.Timestamp, window: int) -> pd.DataFrame:
    sales = retail[retail["retail_date"].between(as_of - days(2 * window - 1), as_of)]
    is_current = sales["retail_date"] > as_of - days(window)
    counts = (
        pd.DataFrame(
            {
                "dealer_code": sales["dealer_code"],
                "retail_cur": sales["units"].where(is_current, 0),
                "retail_prev": sales["units"].where(~is_current, 0),
            }
        )
        .groupby("dealer_code", dropna=False, as_index=False)
        .sum(min_count=1)
    )
    return counts.assign(as_of_date=as_of, retail_growth=growth(counts["retail_cur"], counts["retail_prev"]))


def stock_snapshots(stock: pd.DataFrame, dates: list[pd.Timestamp], lookback: int) -> pd.DataFrame:
    """Each dealer's stock per snapshot date in the run's reach, newest first."""
    reach = stock[stock["snapshot_date"].between(min(dates) - days(lookback), max(dates))]
    snapshots = reach.groupby(["dealer_code", "snapshot_date"], dropna=False, as_index=False)[
        ["total_stock", "saleable_stock"]
    ].sum(min_count=1)
    return snapshots.sort_values("snapshot_date", ascending=False)


def dealer_stock(snapshots: pd.DataFrame, as_of: pd.Timestamp, lookback: int) -> pd.DataFrame:
    recent = snapshots[snapshots["snapshot_date"].between(as_of - days(lookback), as_of)]
    return recent.drop_duplicates("dealer_code").assign(as_of_date=as_of)


def dealer_market_features(
    geo: pd.DataFrame, leads: pd.DataFrame, sales: pd.DataFrame, stock: pd.DataFrame
) -> pd.DataFrame:
    key = ["as_of_date", "dealer_code"]
    features = sql_join(geo[[*key, *GEO]], leads, key, "left")
    features = sql_join(features, sales, key, "left")
    features = sql_join(features, stock.drop(columns="snapshot_date"), key, "left")
    measures = [c for c in features.columns if c not in (*key, *GEO)]
    return features.fillna({c: 0 for c in measures})


# ------------------------------------------------------------------------------- the taluka surge detector
def taluka_daily_leads(versions: pd.DataFrame, geo: pd.DataFrame, as_of: pd.Timestamp, lookback: int) -> pd.DataFrame:
    known = as_known(versions, as_of, lookback - 1)[["dealer_code", "created_date"]]
    placed = sql_join(known, geo[["dealer_code", *GEO]], ["dealer_code"], "inner")
    daily = placed.groupby([*GEO, "created_date"], dropna=False).size().rename("leads").reset_index()
    return daily.rename(columns={"created_date": "lead_date"}).assign(as_of_date=as_of)


def _check_day(daily: pd.DataFrame, network: pd.Series, check: pd.Timestamp, p: dict[str, Any]) -> pd.DataFrame:
    """sql/gold/taluka_lead_surveillance.sql for one check day: each taluka's window, baseline, expectation,
    dispersion and upper bound."""
    window_after = check - days(p["surge_window_days"])
    baseline_until = window_after - days(p["guard_days"])
    baseline_after = baseline_until - days(p["baseline_days"])
    seen = network[(network.index > baseline_after) & (network.index <= check)]
    if seen.empty:
        return pd.DataFrame()
    network_window = seen[seen.index > window_after].sum()
    network_baseline = seen[seen.index <= baseline_until].sum()
    baseline_days_seen = int((seen.index <= baseline_until).sum())
    day = daily["lead_date"]
    in_window, in_baseline = day > window_after, day <= baseline_until
    rows = daily[(day > baseline_after) & (day <= check) & (in_window | in_baseline)]
    in_window, in_baseline = in_window[rows.index], in_baseline[rows.index]
    leads = rows["leads"]
    square_ratio = leads.astype("float64") ** 2 / np.maximum(rows["network_leads"] - leads, 1)
    sums = (
        pd.DataFrame(
            {
                **{c: rows[c] for c in GEO},
                "recent_leads": leads.where(in_window, 0),
                "baseline_leads": leads.where(in_baseline, 0),
                "square_ratio": square_ratio.where(in_baseline, 0.0),
            }
        )
        .groupby(GEO, dropna=False, as_index=False)
        .sum()
    )
    recent, baseline = sums["recent_leads"], sums["baseline_leads"]
    market_window = network_window - recent
    market_baseline = network_baseline - baseline
    share = baseline / np.maximum(market_baseline, 1)
    expected = share * market_window
    chi_square = np.where(baseline == 0, 0.0, sums["square_ratio"] / share.where(share != 0, 1.0) - baseline)
    dispersion = np.maximum(1.0, chi_square / max(baseline_days_seen - 1, 1))
    mu = np.maximum(expected, 1.0)
    spread = np.sqrt(dispersion * (1.0 + market_window / np.maximum(market_baseline, 1)) / mu)
    upper = mu * (1.0 + 2.0 / 3 * p["upper_z"] * spread) ** 1.5
    return sums.assign(
        check_date=check,
        baseline_share=share,
        expected_leads=expected,
        lead_dispersion=dispersion,
        upper_leads=upper,
        surge_score=(recent - expected) / (upper - expected),
        is_above_upper=recent > upper,
    )


def taluka_lead_surveillance(daily: pd.DataFrame, as_of: pd.Timestamp, p: dict[str, Any]) -> pd.DataFrame:
    network = daily.groupby("lead_date")["leads"].sum()
    daily = daily.assign(network_leads=daily["lead_date"].map(network))
    checks = pd.concat([_check_day(daily, network, as_of - days(back), p) for back in range(p["persist_window_days"])])
    if checks.empty:
        return pd.DataFrame(columns=["as_of_date", *GEO])
    surge_days = checks.groupby(GEO, dropna=False, as_index=False)["is_above_upper"].sum()
    today = checks[checks["check_date"] == as_of].drop(columns=["check_date", "is_above_upper", "square_ratio"])
    final = today.merge(surge_days.rename(columns={"is_above_upper": "surge_days"}), on=GEO, how="inner")
    return final.assign(as_of_date=as_of, is_surge=final["surge_days"] >= p["persist_days"])


# --------------------------------------------------------------------------------- hotspots and top talukas
def macro_market_hotspot(features: pd.DataFrame, surveillance: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    measures = ["leads_cur", "leads_prev", "hi_leads_cur", "hi_leads_prev", "retail_cur", "retail_prev"]
    measures += ["total_stock", "saleable_stock"]
    grouped = features.groupby(["as_of_date", *GEO], dropna=False)
    talukas = grouped[measures].sum().join(grouped["dealer_code"].nunique().rename("dealer_count")).reset_index()
    totals = talukas.groupby("as_of_date")[["leads_cur", "leads_prev"]].transform("sum")
    market_ratio = totals["leads_cur"] / np.maximum(totals["leads_prev"], 1)
    expected_5d = talukas["leads_prev"] * market_ratio
    talukas = talukas.assign(
        market_lead_growth=market_ratio - 1,
        lead_z=(talukas["leads_cur"] - expected_5d) / np.sqrt(np.maximum(expected_5d, 1.0)),
        lead_growth=growth(talukas["leads_cur"], talukas["leads_prev"]),
        hi_lead_growth=growth(talukas["hi_leads_cur"], talukas["hi_leads_prev"]),
        retail_growth=growth(talukas["retail_cur"], talukas["retail_prev"]),
    )
    detector = ["recent_leads", "expected_leads", "upper_leads", "lead_dispersion", "surge_score", "is_surge"]
    signals = sql_join(talukas, surveillance[["as_of_date", *GEO, *detector]], ["as_of_date", *GEO], "left")
    signals = signals.fillna({"recent_leads": 0, "expected_leads": 0.0, "is_surge": False})
    is_surge = signals["is_surge"].astype(bool)
    noise = (signals["dealer_count"] < p["min_dealers"]) | (signals["leads_cur"] < p["min_leads"])
    hot = is_surge & (signals["hi_lead_growth"] > p["intent_growth"]) & (signals["retail_growth"] > p["retail_growth"])
    no_supply = (signals["retail_cur"] == 0) | (signals["saleable_stock"] == 0)
    return signals.assign(
        is_surge=is_surge,
        has_supply_gap=(signals["hi_leads_cur"] > 0) & no_supply,
        status=np.select([noise, hot, is_surge], ["NOISE", "HOTSPOT", "EMERGING"], "STABLE"),
    )


def district_top_talukas(hotspots: pd.DataFrame, top_n: int) -> pd.DataFrame:
    ranked = hotspots.assign(status_order=hotspots["status"].map(STATUS_ORDER).fillna(4)).sort_values(
        ["status_order", "leads_cur", "taluka"], ascending=[True, False, True], na_position="first", kind="stable"
    )
    ranked["rank"] = ranked.groupby(["as_of_date", "state", "district"], dropna=False).cumcount() + 1
    return ranked[ranked["rank"] <= top_n]
