"""``scv evaluate``: do the hotspot flags and the opportunity scores point at the planted truth?

Reads the gold tables (delta-rs, no Spark) and the demo data's truth folder, then reports:
- hotspot detection: precision and recall of HOTSPOT/EMERGING flags against the planted hotspots, and the
  lead time in days from a hotspot's start to its first flag;
- opportunity scoring: AUC of ``total_score`` for conversion within the next ``horizon`` days, and the
  conversion rate of each dealer's top 20 against the base rate (lift), over the score history snapshots; and
  ``scv calibrate``'s time split: designed and fitted weights on the test period, the fitted probability's
  calibration error;
- quarantine: every planted bad record accounted for (quarantined, corrected or skipped), none lost;
- win-rate drivers: precision and recall of the driver alert episodes against the planted drivers, the days
  from a driver's start to its first alert, and whether the planted mix shift is attributed to mix;
- accounts: how well the churn risk ranks the planted churners (AUC, top-decile lift), whether the planted
  product pairs are among the top three rules of their antecedent, and the lifetime-value backtest's error
  beside the account's own average (docs/accounts.md).
- KPI monitoring: precision and recall of the KPI anomaly episodes against the planted retail drop and product
  spike, whether the planted dealers are the top two contributors of the drop, the forecasts' MASE, and the
  planted slow movers listed in slow_moving_stock.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ground.config import Config
from ground.settings import KpiForecast

FLAGS = ("HOTSPOT", "EMERGING")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--truth", type=Path, help="truth folder of the demo data (default: paths.truth_dir)")
    parser.add_argument("--horizon", type=int, default=30, help="conversion horizon in days (default 30)")
    parser.add_argument("--top", type=int, default=20, help="leads per dealer a rep sees (default 20)")
    parser.add_argument("--out", type=Path, help="report file (default: <truth>/evaluation.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _read_gold(config: Config, name: str, columns: list[str]) -> pd.DataFrame:
    from ground.catalogue import GOLD_TABLES
    from ground.lake import read_table

    table = read_table(GOLD_TABLES[name].location(config.paths.lake_root), columns=columns)
    if table is None:
        raise FileNotFoundError(f"gold table {name} not found under {config.paths.lake_root}: run scv nightly")
    return table.to_pandas()


def hotspot_metrics(flags: pd.DataFrame, hotspots: pd.DataFrame, window_days: int) -> dict[str, Any]:
    """flags: as_of_date, state, district, taluka, status. A flag is true when its taluka is planted and the
    date lies between the hotspot's start and its end plus one window (the signal lasts a window)."""
    dates = sorted(flags["as_of_date"].unique())
    if not dates:
        return {"hotspot_precision": None, "hotspot_recall": None, "hotspot_lead_days": None}
    first, last = dates[0], dates[-1]
    key = ["state", "district", "taluka"]
    flagged = flags[flags["status"].isin(FLAGS)].merge(hotspots, on=key, how="left")
    in_episode = (flagged["as_of_date"] >= flagged["start_date"]) & (
        flagged["as_of_date"] <= flagged["end_date"] + timedelta(days=window_days)
    )
    true_flags = flagged[in_episode.fillna(False)]
    n_flags = len(flags[flags["status"].isin(FLAGS)][["as_of_date", *key]].drop_duplicates())
    n_true = len(true_flags[["as_of_date", *key]].drop_duplicates())
    visible = hotspots[(hotspots["start_date"] <= last) & (hotspots["end_date"] >= first)]
    lead_days: list[int] = []
    detected = 0
    for _, spot in visible.iterrows():
        hits = true_flags[
            (true_flags["state"] == spot["state"])
            & (true_flags["district"] == spot["district"])
            & (true_flags["taluka"] == spot["taluka"])
            & (true_flags["start_date"] == spot["start_date"])
        ]
        if len(hits):
            detected += 1
            lead_days.append((hits["as_of_date"].min() - max(spot["start_date"], first)).days)
    return {
        "hotspot_precision": round(n_true / n_flags, 4) if n_flags else None,
        "hotspot_recall": round(detected / len(visible), 4) if len(visible) else None,
        "hotspot_lead_days": round(sum(lead_days) / len(lead_days), 2) if lead_days else None,
        "hotspots_planted_in_range": int(len(visible)),
        "hotspots_detected": detected,
        "flags": n_flags,
        "flags_true": n_true,
        "dates_evaluated": len(dates),
    }


def auc(scores: pd.Series, labels: pd.Series) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with tied ranks)."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = scores.rank(method="average")
    u = ranks[labels.astype(bool)].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def scoring_metrics(
    history: pd.DataFrame, truth: pd.DataFrame, horizon: int, top: int, data_end: Any
) -> dict[str, Any]:
    """history: as_of_date, opty_id, dealer_code, total_score, rank_in_dealer (snapshots).
    Only snapshot dates whose horizon ends by ``data_end`` are used, so no label is censored."""
    usable = history[history["as_of_date"] + timedelta(days=horizon) <= data_end]
    censored = usable.empty
    if censored:
        usable = history
    rows = usable.merge(truth[["opty_id", "conversion_date"]], on="opty_id", how="left")
    days = (pd.to_datetime(rows["conversion_date"]) - pd.to_datetime(rows["as_of_date"])).dt.days
    rows["label"] = ((days > 0) & (days <= horizon)).fillna(False).astype(int)
    if rows.empty:
        return {"score_auc": None, "top20_lift": None, "scored_rows": 0}
    base_rate = rows["label"].mean()
    top_rows = rows[rows["rank_in_dealer"] <= top]
    top_rate = top_rows["label"].mean() if len(top_rows) else 0.0
    score_auc = auc(rows["total_score"], rows["label"])
    return {
        "score_auc": round(score_auc, 4) if score_auc is not None else None,
        "top20_lift": round(top_rate / base_rate, 3) if base_rate > 0 else None,
        "top20_conversion_rate": round(float(top_rate), 4),
        "base_conversion_rate": round(float(base_rate), 4),
        "scored_rows": int(len(rows)),
        "score_dates": [str(d) for d in sorted(rows["as_of_date"].unique())],
        "labels_censored": censored,
    }


def fitted_score_metrics(
    config: Config, opportunities: pd.DataFrame, data_end: Any, horizon: int, top: int
) -> dict[str, Any]:
    """``scv calibrate``'s time split on the score history, labelled by the planted conversions: the designed
    and the fitted weights on the test period (AUC, top-N lift) and the fitted probability's calibration
    error (docs/calibration.md)."""
    from ground.catalogue import GOLD_TABLES, SILVER_TABLES
    from operations.calibrate import read_columns
    from operations.calibration.dataset import HISTORY_COLUMNS, VERSION_COLUMNS
    from operations.calibration.fit import calibrate

    lake = config.paths.lake_root
    history = read_columns(GOLD_TABLES["scv_customer_score_history"].location(lake), HISTORY_COLUMNS)
    versions = read_columns(SILVER_TABLES["customer_pipeline_history"].location(lake), VERSION_COLUMNS)
    if history is None or history.empty:
        return {"score_auc_designed": None, "score_auc_fitted": None}
    ends = pd.DataFrame(
        {
            "opty_id": opportunities["opty_id"],
            "won_date": opportunities["conversion_date"],
            "closed_date": opportunities["conversion_date"].fillna(opportunities["lost_date"]),
        }
    )
    result = calibrate(
        history,
        versions,
        data_end,
        config.pipeline.scoring,
        config.pipeline.calibration,
        ends=ends,
        horizon_days=horizon,
        top=top,
    )
    designed, fitted = result.get("designed"), result.fitted

    def _round(value: float | None, digits: int = 4) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "score_auc_designed": _round(designed.auc) if designed else None,
        "score_auc_fitted": _round(fitted.auc) if fitted else None,
        "top20_lift_designed": _round(designed.lift, 3) if designed else None,
        "top20_lift_fitted": _round(fitted.lift, 3) if fitted else None,
        "calibration_error": _round(fitted.calibration_error) if fitted else None,
        "fitted_weights": fitted.weights if fitted else None,
        "calibration_test_dates": [str(d) for d in result.split.test_dates],
        "calibration_refused": result.refusals,
    }


def _lake_keys(config: Config) -> tuple[set[tuple[str, int]], set[str]]:
    from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES
    from ground.lake import read_table

    quarantined: set[tuple[str, int]] = set()
    for layer in ("bronze", "silver"):
        location = QUARANTINE_TABLES[layer].location(config.paths.lake_root)
        table = read_table(location, columns=["source_file", "source_line"])
        if table is not None:
            quarantined |= {(r["source_file"], int(r["source_line"])) for r in table.to_pylist()}
    files = read_table(OPS_TABLES["ingested_files"].location(config.paths.lake_root), columns=["file_name"])
    ingested = {r["file_name"] for r in files.to_pylist()} if files is not None else set()
    return quarantined, ingested


def _silver_keys(config: Config, source: str) -> set[str]:
    """The source's silver keys as the truth writes them: key columns joined by '|'."""
    from ground.catalogue import SILVER_TABLES
    from ground.lake import read_table

    key = config.sources[source].key
    table = read_table(SILVER_TABLES[source].location(config.paths.lake_root), columns=list(key))
    if table is None:
        return set()
    columns = [[str(v) for v in table.column(k).to_pylist()] for k in key]
    return {"|".join(parts) for parts in zip(*columns, strict=True)}


def quarantine_metrics(config: Config, bad: pd.DataFrame) -> dict[str, Any]:
    """quarantine: the line is in a quarantine table; skipped: the file was never ingested; corrected: the
    file was ingested and, where the record has a key, that key is in silver (one row kept)."""
    quarantined, ingested = _lake_keys(config)
    keys: dict[str, set[str]] = {}
    lost = []
    for record in bad.itertuples(index=False):
        handling = record.expected_handling
        if handling == "quarantine":
            ok = (record.file, int(record.line)) in quarantined
        elif handling == "skipped":
            ok = record.file not in ingested
        else:
            ok = record.file in ingested
            if ok and isinstance(record.key, str) and record.key:
                if record.source not in keys:
                    keys[record.source] = _silver_keys(config, record.source)
                ok = record.key in keys[record.source]
        if not ok:
            lost.append(f"{record.kind} {record.file}:{record.line}")
    return {
        "bad_records_planted": int(len(bad)),
        "bad_records_unaccounted": len(lost),
        "unaccounted_examples": lost[:10],
    }


# which alert points at which planted driver: (alert kind, dimension); the segment (and competitor) must match
DRIVER_ALERTS = {
    "district_drop": ("drop", "district"),
    "poor_source": ("below_parent", "lead_source"),
    "competitor": ("competitor", "product_line_in_district"),
    "erratic_rep": ("erratic", "rep"),
    "mix_shift": ("mix", "lead_source"),
}


def _matches(alerts: pd.DataFrame, driver: Any) -> pd.Series:
    kind, dimension = DRIVER_ALERTS[driver.kind]
    hit = (alerts["kind"] == kind) & (alerts["dimension"] == dimension) & (alerts["segment"] == driver.segment)
    if isinstance(driver.competitor, str) and driver.competitor:
        hit &= alerts["competitor"] == driver.competitor
    return hit & (alerts["as_of_date"] >= driver.start_date)


def episodes_of(alerts: pd.DataFrame, gap_days: int) -> pd.Series:
    """Per row, its episode: a run of an alert's dates in which no quiet spell is longer than ``gap_days``
    (as the alerts table defines it, but over all the evaluated dates, so that an episode longer than the
    table's look back still counts once)."""
    ordered = alerts.sort_values(["alert_id", "as_of_date"])
    gap = ordered.groupby("alert_id")["as_of_date"].diff().map(lambda d: d.days if pd.notna(d) else None)
    starts = gap.isna() | (gap > gap_days + 1)
    return starts.astype(int).groupby(ordered["alert_id"]).cumsum().reindex(alerts.index)


def driver_metrics(alerts: pd.DataFrame, drivers: pd.DataFrame, dates: list[Any], gap_days: int = 7) -> dict[str, Any]:
    """alerts: the rows of win_rate_driver_alerts (as_of_date, alert_id, kind, dimension, segment, competitor)
    on the evaluated ``dates``. An episode (``episodes_of``) is true when one of its rows names a planted driver
    of its kind on or after the driver's start; a driver is detected when such a row exists; lead days run from
    its start (or the first evaluated date, if later) to that row's date."""
    if not dates:
        return {"driver_alert_precision": None, "driver_alert_recall": None, "driver_alert_lead_days": None}
    first, last = min(dates), max(dates)
    alerts = alerts[(alerts["as_of_date"] >= first) & (alerts["as_of_date"] <= last)].copy()
    alerts["is_true"] = False
    details = []
    for driver in drivers[drivers["start_date"] <= last].itertuples(index=False):
        hit = _matches(alerts, driver)
        alerts.loc[hit, "is_true"] = True
        first_alert = alerts.loc[hit, "as_of_date"].min() if hit.any() else None
        lead = (first_alert - max(driver.start_date, first)).days if first_alert is not None else None
        details.append(
            {"kind": driver.kind, "segment": driver.segment, "start_date": str(driver.start_date),
             "first_alert": str(first_alert) if first_alert is not None else None, "lead_days": lead}
        )  # fmt: skip
    alerts["episode"] = episodes_of(alerts, gap_days) if len(alerts) else []
    by_episode = alerts.groupby(["alert_id", "episode"])
    episodes = by_episode["is_true"].any()
    first_day = by_episode["as_of_date"].min()
    false_episodes = sorted(f"{a} from {first_day[(a, n)]}" for (a, n), ok in episodes.items() if not ok)
    detected = [d for d in details if d["lead_days"] is not None]
    leads = [d["lead_days"] for d in detected]
    return {
        "driver_alert_precision": round(float(episodes.mean()), 4) if len(episodes) else None,
        "driver_alert_recall": round(len(detected) / len(details), 4) if details else None,
        "driver_alert_lead_days": round(sum(leads) / len(leads), 2) if leads else None,
        "driver_alert_max_lead_days": max(leads) if leads else None,
        "driver_alert_episodes": int(len(episodes)),
        "driver_alert_false_episodes": false_episodes[:10],
        "drivers_planted_in_range": len(details),
        "drivers": details,
    }


def mix_attribution(decomposition: pd.DataFrame, drivers: pd.DataFrame, window_days: int) -> dict[str, Any]:
    """On the last evaluated date, the lead-source split of the change in win rate (window ``window_days``):
    the planted mix shift is attributed to mix when the change is negative and mix outweighs rate."""
    planted = drivers[drivers["kind"] == "mix_shift"]
    rows = decomposition[(decomposition["window_days"] == window_days) & (decomposition["dimension"] == "lead_source")]
    if planted.empty or rows.empty:
        return {"mix_shift_attributed": None}
    last = rows[rows["as_of_date"] == rows["as_of_date"].max()].iloc[0]
    if last["as_of_date"] < planted.iloc[0]["start_date"]:
        return {"mix_shift_attributed": None}
    mix, rate = float(last["total_mix"]), float(last["total_rate"])
    return {
        "mix_shift_attributed": bool(mix < 0 and abs(mix) > abs(rate)),
        "mix_shift_split": {
            "as_of_date": str(last["as_of_date"]),
            "window_days": window_days,
            "change_points": round(100 * float(last["total_change"]), 2),
            "mix_points": round(100 * mix, 2),
            "rate_points": round(100 * rate, 2),
        },
    }


def win_rate_report(config: Config, truth_dir: Path) -> dict[str, Any]:
    """The driver metrics; empty when the truth folder predates the planted drivers."""
    if not (truth_dir / "drivers.csv").exists():
        return {"driver_alert_precision": None, "driver_alert_recall": None, "driver_alert_lead_days": None}
    drivers = pd.read_csv(truth_dir / "drivers.csv", parse_dates=["start_date"], keep_default_na=False)
    drivers["start_date"] = drivers["start_date"].dt.date
    segments = _read_gold(config, "win_rate_by_segment", ["as_of_date", "dimension"])
    dates = sorted(segments.loc[segments["dimension"] == "overall", "as_of_date"].unique())
    alerts = _read_gold(
        config,
        "win_rate_driver_alerts",
        ["as_of_date", "alert_id", "kind", "dimension", "segment", "competitor", "episode_start"],
    )
    decomposition = _read_gold(
        config,
        "win_rate_change_decomposition",
        ["as_of_date", "window_days", "dimension", "total_change", "total_mix", "total_rate"],
    )
    settings = config.pipeline.win_rate.alerts
    return {
        **driver_metrics(alerts, drivers, dates, settings.gap_days),
        **mix_attribution(decomposition, drivers, settings.mix.window_days),
    }


def churn_metrics(risk: pd.DataFrame, accounts: pd.DataFrame, as_of: Any, lost_days: int = 365) -> dict[str, Any]:
    """risk: account_churn_risk on ``as_of``. A planted churner is an account whose stop (churn_date) is on or
    before the date; the ones that stopped more than ``lost_days`` before it are long lost (RFM calls them Lost,
    and any recency rule finds them), so they are left out of churn_auc and the lift, and kept in
    churn_auc_all."""
    if risk.empty:
        return {"churn_auc": None, "churn_top_decile_lift": None}
    stops = pd.to_datetime(accounts.set_index("account_id")["churn_date"], errors="coerce").dt.date
    stop = risk["account_id"].map(stops)
    churned = stop.notna() & (stop <= as_of)
    long_lost = churned & (stop < as_of - timedelta(days=lost_days))
    kept = risk[~long_lost]
    labels = churned[~long_lost].astype(int)
    scores = kept["churn_probability"].fillna(0.0)
    k = max(1, int(round(0.1 * len(kept))))
    top_rate = labels.loc[scores.sort_values(ascending=False, kind="stable").index[:k]].mean()
    score_auc, all_auc = auc(scores, labels), auc(risk["churn_probability"].fillna(0.0), churned.astype(int))
    return {
        "churn_auc": round(score_auc, 4) if score_auc is not None else None,
        "churn_top_decile_lift": round(float(top_rate / labels.mean()), 3) if labels.mean() > 0 else None,
        "churn_auc_all": round(all_auc, 4) if all_auc is not None else None,
        "churn_accounts": int(len(kept)),
        "churn_planted": int(labels.sum()),
        "churn_long_lost_left_out": int(long_lost.sum()),
        "churn_model": str(risk["model"].iloc[0]),
    }


def affinity_metrics(rules: pd.DataFrame, pairs: pd.DataFrame, top: int = 3) -> dict[str, Any]:
    """rules: product_affinity on one date. A planted pair is found when its consequent is among the ``top``
    rules of its antecedent (the table's rank: reportable first, then shrunk lift)."""
    ranks = {(r.antecedent, r.consequent): int(r.rank) for r in rules.itertuples(index=False)}
    found = [ranks.get((p.antecedent, p.consequent)) for p in pairs.itertuples(index=False)]
    return {
        "affinity_pairs_found": round(sum(r is not None and r <= top for r in found) / len(found), 4)
        if found else None,
        "affinity_pair_ranks": {f"{p.antecedent} -> {p.consequent}": r for p, r in
                                zip(pairs.itertuples(index=False), found, strict=True)},
    }  # fmt: skip


def account_report(config: Config, truth_dir: Path) -> dict[str, Any]:
    """The account metrics on the latest as-of date of account_churn_risk; empty when the truth folder predates
    the planted accounts."""
    empty = {"churn_auc": None, "churn_top_decile_lift": None, "affinity_pairs_found": None, "clv_error": None,
             "clv_baseline_error": None}  # fmt: skip
    if not (truth_dir / "accounts.csv").exists():
        return empty
    accounts = pd.read_csv(truth_dir / "accounts.csv", keep_default_na=False)
    pairs = pd.read_csv(truth_dir / "account_pairs.csv")
    risk = _read_gold(config, "account_churn_risk", ["as_of_date", "account_id", "churn_probability", "model"])
    if risk.empty:
        return empty
    as_of = risk["as_of_date"].max()
    rules = _read_gold(config, "product_affinity", ["as_of_date", "antecedent", "consequent", "rank"])
    tests = _read_gold(config, "account_model_backtest", ["as_of_date", "target", "model", "auc", "error", "is_chosen"])
    tests = tests[tests["as_of_date"] == as_of]
    clv = tests[tests["target"] == "clv"].set_index("model")
    chosen = clv[clv["is_chosen"]]
    churn = tests[tests["target"] == "churn"].set_index("model")

    def metric(frame: pd.DataFrame, model: str, column: str) -> float | None:
        value = frame[column].get(model) if model in frame.index else None
        return round(float(value), 4) if value is not None and pd.notna(value) else None

    return {
        "accounts_as_of_date": str(as_of),
        **churn_metrics(risk[risk["as_of_date"] == as_of], accounts, as_of),
        "churn_backtest_auc_bgnbd": metric(churn, "bgnbd", "auc"),
        "churn_backtest_auc_trained": metric(churn, "trained", "auc"),
        **affinity_metrics(rules[rules["as_of_date"] == as_of], pairs),
        "clv_error": metric(clv, str(chosen.index[0]), "error") if len(chosen) else None,
        "clv_baseline_error": metric(clv, "baseline", "error"),
        "clv_model": str(chosen.index[0]) if len(chosen) else None,
        "clv_error_bgnbd_gg": metric(clv, "bgnbd_gg", "error"),
        "clv_error_cadence": metric(clv, "cadence", "error"),
    }


def _anomaly_is_true(row: Any, event: Any, window_days: int) -> bool:
    """An anomaly row tells a planted KPI event: the drop in its district (or the state, the network, one of the
    two dealers), below forecast, from its start; the spike in its product line (or a series whose gap is mostly
    that line), above forecast, from its start to a window after its end."""
    if not str(row.kpi).startswith("retail"):
        return False
    if event.kind == "retail_drop":
        state = str(event.member).rsplit(", ", 1)[-1]
        places = {("district", event.member), ("state", state), ("company", "All")}
        places |= {("dealer", d) for d in str(event.dealer_codes).split()}
        return row.direction == "below" and row.as_of_date >= event.start_date and (row.level, row.member) in places
    if event.kind == "product_spike":
        in_time = event.start_date <= row.as_of_date <= event.end_date + timedelta(days=window_days)
        names_it = (row.level == "product_line" and row.member == event.member) or row.top_product_line == event.member
        return bool(row.direction == "above" and in_time and names_it)
    return False


# How long the other planted causes move retail: a hotspot's extra leads close won 4 to 45 days after them (and
# its walk-ins rise at once); a supply gap's held sales are invoiced 1 to 3 days after its end.
HOTSPOT_RETAIL_DAYS = 45
GAP_RELEASE_DAYS = 3


def other_causes(hotspots: pd.DataFrame, drivers: pd.DataFrame, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The other planted causes of a retail movement, one row each: the win-rate district drop (most of its wins
    lost: retail below), each hotspot selling more (above, from its start to HOTSPOT_RETAIL_DAYS after its end),
    each supply-gap hotspot (below during the gap, above when its held sales are invoiced after it), and the
    festive season of ``events`` (the KPI truth: the whole network sells more, district 'All'). Columns:
    cause, district ('District, State'), direction, first, last (dates of the movement, the detector's window
    after them included by the caller)."""
    rows = []
    festive = events[events["kind"] == "festive"] if events is not None and len(events) else pd.DataFrame()
    for f in festive.itertuples(index=False):
        rows.append(("festive season", "All", "above", f.start_date, f.end_date))
    for d in drivers[drivers["kind"] == "district_drop"].itertuples(index=False):
        rows.append(("win-rate district drop", d.segment, "below", d.start_date, date.max))
    for h in hotspots.itertuples(index=False):
        place = f"{h.district}, {h.state}"
        if str(h.has_supply_gap).lower() == "true":
            rows.append(("supply-gap hotspot", place, "below", h.start_date, h.end_date))
            rows.append(("supply-gap hotspot release", place, "above", h.end_date,
                         h.end_date + timedelta(days=GAP_RELEASE_DAYS)))  # fmt: skip
        else:
            rows.append(("hotspot", place, "above", h.start_date, h.end_date + timedelta(days=HOTSPOT_RETAIL_DAYS)))
    return pd.DataFrame(rows, columns=["cause", "district", "direction", "first", "last"])


def _other_cause(row: Any, causes: pd.DataFrame, window_days: int) -> str | None:
    """The planted cause outside the KPI events an anomaly row tells: its district (or the state of the district,
    or the network) moved that way for that cause while the row's window overlapped the movement. A cause of the
    whole network (the festive season) is told by the network and by a state, whose sum of many districts it
    moves beyond their noise; a single district's row is not taken as telling it."""
    for c in causes.itertuples(index=False):
        state = c.district.rsplit(", ", 1)[-1]
        if c.district == "All":
            where = row.level in ("company", "state")
        else:
            where = (row.level, row.member) in {("district", c.district), ("state", state), ("company", "All")}
        last = c.last if c.last == date.max else c.last + timedelta(days=window_days)
        if where and row.direction == c.direction and c.first <= row.as_of_date <= last:
            return str(c.cause)
    return None


def kpi_metrics(
    anomalies: pd.DataFrame,
    events: pd.DataFrame,
    dates: list[Any],
    window_days: int,
    gap_days: int,
    causes: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Episode precision and recall of kpi_anomalies against the planted retail drop and product spike, and the
    root-cause hit rate: of the rows telling the drop at district level, the share whose top two contributors are
    the two planted dealers. An episode telling one of the ``causes`` (other_causes: the hotspots and the win-rate
    district drop, which move retail too) counts as true in ``anomaly_precision`` and not in
    ``anomaly_precision_kpi_events``; recall is over the KPI events only."""
    empty = {"anomaly_precision": None, "anomaly_recall": None, "root_cause_hit_rate": None}
    if not dates:
        return empty
    causes = causes if causes is not None else other_causes(pd.DataFrame(), pd.DataFrame(columns=["kind"]))
    first, last = min(dates), max(dates)
    planted = events[events["kind"].isin(("retail_drop", "product_spike"))]
    planted = planted[(planted["start_date"] <= last) & (planted["end_date"] + timedelta(days=window_days) >= first)]
    rows = anomalies[(anomalies["as_of_date"] >= first) & (anomalies["as_of_date"] <= last)].copy()
    rows["event"] = None
    for event in planted.itertuples(index=False):
        hit = [_anomaly_is_true(r, event, window_days) for r in rows.itertuples(index=False)]
        rows.loc[hit, "event"] = event.kind
    rows["cause"] = [
        _other_cause(r, causes, window_days) if r.event is None else None for r in rows.itertuples(index=False)
    ]
    rows["is_event"] = rows["event"].notna()
    rows["is_true"] = rows["is_event"] | rows["cause"].notna()
    rows["episode"] = episodes_of(rows, gap_days) if len(rows) else []
    by_episode = rows.groupby(["alert_id", "episode"]) if len(rows) else None
    episodes = by_episode["is_true"].any() if by_episode is not None else pd.Series(dtype=bool)
    events_only = by_episode["is_event"].any() if by_episode is not None else pd.Series(dtype=bool)
    first_day = by_episode["as_of_date"].min() if by_episode is not None else pd.Series(dtype=object)
    false_episodes = sorted(f"{a} from {first_day[(a, n)]}" for (a, n), ok in episodes.items() if not ok)
    other = sorted({f"{c}: {a}" for a, c in zip(rows["alert_id"], rows["cause"], strict=True) if c})
    detected = sorted(set(rows.loc[rows["is_event"], "event"]))
    drop = planted[planted["kind"] == "retail_drop"]
    hits: list[bool] = []
    if len(drop):
        event = drop.iloc[0]
        dealers = set(str(event["dealer_codes"]).split())
        told = rows[(rows["event"] == "retail_drop") & (rows["level"] == "district")]
        hits = [set(str(c).split("; ")[:2]) == dealers for c in told["contributors"]]
    return {
        "anomaly_precision": round(float(episodes.mean()), 4) if len(episodes) else None,
        "anomaly_precision_kpi_events": round(float(events_only.mean()), 4) if len(events_only) else None,
        "anomaly_recall": round(len(detected) / len(planted), 4) if len(planted) else None,
        "root_cause_hit_rate": round(sum(hits) / len(hits), 4) if hits else None,
        "anomaly_episodes": int(len(episodes)),
        "anomaly_false_episodes": false_episodes[:10],
        "anomaly_other_causes": other[:10],
        "anomaly_events_planted_in_range": int(len(planted)),
        "anomaly_events_detected": detected,
        "root_cause_rows": len(hits),
    }


def forecast_metrics(forecasts: pd.DataFrame, actuals: pd.DataFrame, settings: KpiForecast) -> dict[str, Any]:
    """Out-of-sample MASE of the shipped forecasts as the anomaly detector uses them (each day from the latest
    origin before it), over the evaluated days: per series mean absolute error / its in-sample seasonal-naive
    error, averaged per level; ``forecast_mase`` is the mean of the levels'."""
    if forecasts.empty or actuals.empty:
        return {"forecast_mase": None}
    used = forecasts[forecasts["as_of_date"] == settings.origins_before(forecasts["forecast_date"], forecasts["level"])]
    joined = used.merge(
        actuals.rename(columns={"as_of_date": "forecast_date"}), on=["kpi", "level", "member", "forecast_date"]
    )
    joined = joined[joined["naive_scale"] > 0]
    if joined.empty:
        return {"forecast_mase": None}
    joined["error"] = (joined["actual"] - joined["forecast"]).abs() / joined["naive_scale"]
    series = joined.groupby(["kpi", "level", "member"])["error"].mean().reset_index()
    by_level = series.groupby("level")["error"].mean()
    return {
        "forecast_mase": round(float(by_level.mean()), 4),
        "forecast_mase_by_level": {k: round(float(v), 4) for k, v in by_level.items()},
        "forecast_days_evaluated": int(joined["forecast_date"].nunique()),
    }


def slow_moving_metrics(slow: pd.DataFrame, events: pd.DataFrame, min_days: int) -> dict[str, Any]:
    """Of the planted slow movers (dealer x product line that stop selling from a start date) that have gone
    ``min_days`` days without a sale by the last as-of date of ``slow_moving_stock``, the share the table lists
    on that date; and how many pairs it lists in all (the network's other stock that sits is listed too)."""
    planted = events[events["kind"] == "slow_moving"]
    if slow.empty or planted.empty:
        return {"slow_moving_recall": None}
    last = max(slow["as_of_date"])
    due = planted[[(last - start).days >= min_days for start in planted["start_date"]]]
    on_last = slow[slow["as_of_date"] == last]
    listed = set(zip(on_last["dealer_code"], on_last["product_line"], strict=True))
    found = [(d, p) in listed for d, p in zip(due["dealer_codes"], due["product_line"], strict=True)]
    return {
        "slow_moving_recall": round(sum(found) / len(found), 4) if found else None,
        "slow_moving_planted_due": len(found),
        "slow_moving_pairs_listed": len(listed),
    }


def kpi_report(config: Config, truth_dir: Path) -> dict[str, Any]:
    """The KPI anomaly and forecast metrics; empty when the truth folder predates the planted KPI events."""
    if not (truth_dir / "kpi_events.csv").exists():
        return {
            "anomaly_precision": None,
            "anomaly_recall": None,
            "root_cause_hit_rate": None,
            "forecast_mase": None,
            "slow_moving_recall": None,
        }
    events = pd.read_csv(truth_dir / "kpi_events.csv", parse_dates=["start_date", "end_date"], keep_default_na=False)
    for column in ("start_date", "end_date"):
        events[column] = events[column].dt.date
    daily = _read_gold(config, "kpi_daily", ["as_of_date", "level", "member", "retail_units", "retail_value"])
    dates = sorted(daily.loc[daily["level"] == "company", "as_of_date"].unique())
    anomalies = _read_gold(
        config,
        "kpi_anomalies",
        ["as_of_date", "anomaly_id", "kpi", "level", "member", "direction", "contributors", "top_product_line"],
    ).rename(columns={"anomaly_id": "alert_id"})
    forecasts = _read_gold(
        config,
        "kpi_forecast",
        ["as_of_date", "kpi", "level", "member", "forecast_date", "forecast", "naive_scale"],
    )
    actuals = (
        pd.concat(
            [daily.assign(kpi=k, actual=daily[k].astype(float)) for k in forecasts["kpi"].unique() if k in daily],
            ignore_index=True,
        )[["as_of_date", "kpi", "level", "member", "actual"]]
        if len(forecasts)
        else pd.DataFrame()
    )
    settings = config.pipeline.kpi
    hotspots = pd.read_csv(truth_dir / "hotspots.csv", parse_dates=["start_date", "end_date"])
    for column in ("start_date", "end_date"):
        hotspots[column] = hotspots[column].dt.date
    drivers = pd.DataFrame(columns=["kind", "segment", "start_date"])
    if (truth_dir / "drivers.csv").exists():
        drivers = pd.read_csv(truth_dir / "drivers.csv", parse_dates=["start_date"], keep_default_na=False)
        drivers["start_date"] = drivers["start_date"].dt.date
    causes = other_causes(hotspots, drivers, events)
    window = settings.anomalies.window_days
    slow = _read_gold(config, "slow_moving_stock", ["as_of_date", "dealer_code", "product_line"])
    return {
        **kpi_metrics(anomalies, events, dates, window, settings.anomalies.gap_days, causes),
        **forecast_metrics(forecasts, actuals, settings.forecast),
        **slow_moving_metrics(slow, events, min(settings.slow_moving_days)),
    }


def evaluate(config: Config, truth_dir: Path, horizon: int = 30, top: int = 20) -> dict[str, Any]:
    dates = ["start_date", "end_date"]
    hotspots = pd.read_csv(truth_dir / "hotspots.csv", parse_dates=dates)
    for column in dates:
        hotspots[column] = hotspots[column].dt.date
    opportunities = pd.read_csv(truth_dir / "opportunities.csv", parse_dates=["conversion_date"])
    opportunities["conversion_date"] = opportunities["conversion_date"].dt.date
    if "lost_date" in opportunities:
        opportunities["lost_date"] = pd.to_datetime(opportunities["lost_date"]).dt.date
    else:
        opportunities["lost_date"] = None
    bad = pd.read_csv(truth_dir / "bad_records.csv", dtype={"file": str, "key": str})
    manifest = json.loads((truth_dir / "manifest.json").read_text())
    data_end = pd.Timestamp(manifest.get("end_date") or manifest["arguments"]["end_date"]).date()

    flags = _read_gold(
        config, "macro_market_hotspot_taluka_5d", ["as_of_date", "state", "district", "taluka", "status"]
    )
    window_days = config.pipeline.windows.window_days
    history = _read_gold(
        config,
        "scv_customer_score_history",
        ["as_of_date", "opty_id", "dealer_code", "total_score", "rank_in_dealer"],
    )
    report = {
        **hotspot_metrics(flags, hotspots, window_days),
        **scoring_metrics(history, opportunities, horizon, top, data_end),
        **fitted_score_metrics(config, opportunities, data_end, horizon, top),
        **quarantine_metrics(config, bad),
        **win_rate_report(config, truth_dir),
        **account_report(config, truth_dir),
        **kpi_report(config, truth_dir),
        "horizon_days": horizon,
        "top_per_dealer": top,
    }
    return report


def run(args: argparse.Namespace, config: Config) -> int:
    truth_dir = args.truth or Path(config.paths.truth_dir)
    if not (truth_dir / "hotspots.csv").exists():
        print(f"scv evaluate: no truth files in {truth_dir} (write them with scv demo-data)", file=sys.stderr)
        return 2
    try:
        report = evaluate(config, truth_dir, args.horizon, args.top)
    except FileNotFoundError as exc:
        print(f"scv evaluate: {exc}", file=sys.stderr)
        return 2
    out = args.out or truth_dir / "evaluation.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    if args.json:
        print(json.dumps(report, default=str))
        return 0
    print(
        f"hotspots: precision {report['hotspot_precision']}  recall {report['hotspot_recall']}  "
        f"lead time {report['hotspot_lead_days']} days  ({report.get('hotspots_detected')} of "
        f"{report.get('hotspots_planted_in_range')} planted hotspots detected "
        f"over {report.get('dates_evaluated')} dates)"
    )
    print(
        f"scores:   AUC {report['score_auc']}  top-{args.top} lift {report['top20_lift']}  "
        f"(top {report.get('top20_conversion_rate')} vs base {report.get('base_conversion_rate')}, "
        f"{report['scored_rows']:,} scored rows)"
    )
    if report.get("score_auc_fitted") is not None:
        print(
            f"fitted:   test period AUC {report['score_auc_designed']} designed -> "
            f"{report['score_auc_fitted']} fitted  "
            f"top-{args.top} lift {report['top20_lift_designed']} -> {report['top20_lift_fitted']}  "
            f"calibration error {report['calibration_error']}  (scv calibrate; docs/calibration.md)"
        )
    print(
        f"quality:  {report['bad_records_planted']} planted bad records, "
        f"{report['bad_records_unaccounted']} unaccounted"
    )
    print(
        f"drivers:  precision {report['driver_alert_precision']}  recall {report['driver_alert_recall']}  "
        f"lead time {report['driver_alert_lead_days']} days  ({report.get('driver_alert_episodes')} alert "
        f"episodes, {report.get('drivers_planted_in_range')} planted drivers); mix shift attributed to mix: "
        f"{report.get('mix_shift_attributed')}"
    )
    print(
        f"accounts: churn AUC {report.get('churn_auc')}  top-decile lift {report.get('churn_top_decile_lift')}  "
        f"({report.get('churn_model')}); planted pairs found {report.get('affinity_pairs_found')}; "
        + (
            f"CLV error {report.get('clv_error')} ({report.get('clv_model')}) against "
            f"{report.get('clv_baseline_error')} for the account's own average"
            if report.get("clv_error") is not None
            else "CLV not backtested (too few accounts or too little history to fit; scored with "
            f"{report.get('clv_model')})"
        )
    )
    print(
        f"kpis:     anomaly precision {report.get('anomaly_precision')}  recall {report.get('anomaly_recall')}  "
        f"root cause hit rate {report.get('root_cause_hit_rate')}  forecast MASE {report.get('forecast_mase')}  "
        f"({report.get('anomaly_episodes')} anomaly episodes); slow movers listed {report.get('slow_moving_recall')}"
    )
    print(f"report:   {out}")
    return 0
