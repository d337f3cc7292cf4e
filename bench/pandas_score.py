"""scv_customer_score in plain pandas: the features of ``sql/gold/scv_customer_score.sql`` and the score of
``gold/scv_customer_score.py`` (components, total, reasons, next best action, rank in dealer), for one scoring
date at a time. Part of the pandas baseline (``bench/pandas_baseline.py``).

Where Spark's meaning differs from numpy's it is kept: ``least``/``greatest`` skip nulls (``np.fmin``/
``np.fmax``), ``round`` rounds half away from zero, a map lookup of a missing or null code gives the default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas_market import OPEN_STAGES, as_known, days, sql_join

from ground.settings import Scoring

COMPONENTS = [
    "lead_age",
    "expected_closure",
    "opty_category",
    "lead_classification",
    "customer_type",
    "followup",
    "engagement",
    "stock",
]
# the reasons are the components with the largest contributions; equal contributions: the later code first
CODE_ORDER = {c: i for i, c in enumerate(sorted(c.upper() for c in COMPONENTS))}


# ------------------------------------------------------------------------------------------------ features
def score_features(
    versions: pd.DataFrame,
    calls: pd.DataFrame,
    stock: pd.DataFrame,
    as_of: pd.Timestamp,
    first_created: pd.Timestamp,
    max_open_age_days: int,
    stock_lookback_days: int,
) -> pd.DataFrame:
    """Every opportunity open at the end of ``as_of`` with its call history and its product line's stock.
    ``first_created``: the run's oldest creation date still scored (older calls are never read)."""
    known = as_known(versions, as_of, max_open_age_days)
    opportunities = known[known["stage"].isin(OPEN_STAGES) & (known["status"] == "Open")]
    reach = calls[(calls["call_at"] >= first_created) & (calls["call_at"] < as_of + days(1))]
    made = sql_join(reach, opportunities[["opty_id"]], ["opty_id"], "inner")
    made = made.sort_values(["opty_id", "call_at", "call_id"], ascending=[True, False, False])
    is_connected = made["outcome"] == "Connected"
    stats = (
        made.assign(
            connected_calls=is_connected,
            connected_duration_s=made["duration_s"].where(is_connected),
            call_date=made["call_at"].dt.normalize(),
        )
        .groupby("opty_id", as_index=False)
        .agg(
            connected_calls=("connected_calls", "sum"),
            avg_connected_duration_s=("connected_duration_s", "mean"),
            last_contact_date=("call_date", "max"),
        )
    )
    latest_call = made.drop_duplicates("opty_id")[["opty_id", "next_followup_date"]]
    lines = stock[stock["snapshot_date"].between(as_of - days(stock_lookback_days), as_of)]
    lines = lines.sort_values("snapshot_date", ascending=False).drop_duplicates(["dealer_code", "product_line"])
    features = sql_join(opportunities, stats, ["opty_id"], "left")
    features = sql_join(features, latest_call, ["opty_id"], "left")
    features = sql_join(features, lines[["dealer_code", "product_line", "saleable_stock"]],
                        ["dealer_code", "product_line"], "left")  # fmt: skip
    return features.assign(as_of_date=as_of, connected_calls=features["connected_calls"].fillna(0).astype("int64"))


# --------------------------------------------------------------------------------------------------- score
def clamp(value: pd.Series | np.ndarray) -> np.ndarray:
    """0 to 100; a null is taken as 100, as Spark's greatest(0, least(100, null)) is."""
    return np.fmax(0.0, np.fmin(100.0, np.asarray(value, dtype="float64")))


def falling(days_: pd.Series, full_until: float, zero_at: float) -> np.ndarray:
    """100 up to ``full_until`` days, falling linearly to 0 at ``zero_at``."""
    return clamp(100.0 * (zero_at - days_) / max(zero_at - full_until, 1))


def round_half_away(value: np.ndarray, places: int) -> np.ndarray:
    """The engine's round of a double: scaled by 10^places, then half away from zero (numpy rounds half to
    even): 0.125 -> 0.13, and 77.975 -> 77.97, since 77.975 x 100 is 7797.499999999999 in floating point."""
    scaled = np.abs(np.asarray(value, dtype="float64")) * 10**places
    floor = np.floor(scaled)
    rounded = np.where(scaled - floor == 0.5, floor + 1, np.round(scaled))
    return np.sign(value) * rounded / 10**places


def with_days(features: pd.DataFrame) -> pd.DataFrame:
    as_of = features["as_of_date"]
    last_contact = features["last_contact_date"].fillna(features["created_date"])
    overdue = (as_of - features["next_followup_date"]).dt.days
    return features.assign(
        lead_age_days=(as_of - features["created_date"]).dt.days,
        days_to_closure=(features["expected_closure_date"] - as_of).dt.days,
        days_since_last_contact=(as_of - last_contact).dt.days,
        followup_overdue_days=np.maximum(overdue.fillna(0), 0),
    )


def component_scores(f: pd.DataFrame, cfg: Scoring) -> pd.DataFrame:
    closure, follow, engage = cfg.expected_closure, cfg.followup, cfg.engagement
    to_close = f["days_to_closure"]
    falling_closure = falling(to_close, closure.soon_days, closure.horizon_days)
    closure_score = np.select(
        [to_close.isna(), to_close < 0, to_close <= closure.soon_days],
        [float(closure.missing), float(closure.overdue), 100.0],
        falling_closure * ((100.0 - closure.floor_score) / 100.0) + float(closure.floor_score),
    )
    duration = f["avg_connected_duration_s"].fillna(0.0)
    duration_points = 100.0 * engage.duration_share
    engagement = duration_points * np.minimum(1.0, duration / float(engage.full_duration_s)) + (
        100.0 - duration_points
    ) * np.minimum(1.0, f["connected_calls"] / float(engage.full_connected_calls))

    def lookup(column: str, table: dict[str, float]) -> pd.Series:
        codes = {k: float(v) for k, v in table.items() if k != "default"}
        return f[column].map(codes).fillna(float(table["default"])).astype("float64")

    return f.assign(
        score_lead_age=falling(f["lead_age_days"], cfg.lead_age.fresh_days, cfg.lead_age.expired_days),
        score_expected_closure=clamp(closure_score),
        score_opty_category=lookup("opty_category", cfg.opty_category),
        score_lead_classification=lookup("lead_classification", cfg.lead_classification),
        score_customer_type=lookup("customer_type", cfg.customer_type),
        score_followup=clamp(
            falling(f["days_since_last_contact"], follow.sla_days, follow.lapsed_days)
            - f["followup_overdue_days"] * float(follow.overdue_penalty_per_day)
        ),
        score_engagement=clamp(engagement),
        score_stock=clamp(f["saleable_stock"].fillna(0) * (100.0 / cfg.stock.full_units)),
    )


def _text(number: pd.Series) -> pd.Series:
    """A whole number as the text SQL's cast gives (null stays null)."""
    return number.astype("Int64").astype("string")


def _count(number: pd.Series, one: str, many: str) -> pd.Series:
    """``"1 day"``, ``"3 days"``: the number and the word in the right form (as the pipeline's ``_count``)."""
    return _text(number) + " " + pd.Series(np.where(number == 1, one, many), index=number.index, dtype="string")


def reason_texts(f: pd.DataFrame) -> dict[str, pd.Series]:
    duration = f["avg_connected_duration_s"].fillna(0.0)
    to_close, overdue = f["days_to_closure"], f["followup_overdue_days"]
    age, since, calls = f["lead_age_days"], f["days_since_last_contact"], f["connected_calls"]
    closure = pd.Series("Expected closure date has passed", index=f.index, dtype="string")
    closure = closure.mask(to_close >= 0, "Expected to close in " + _count(to_close, "day", "days"))
    followup = ("Last contact " + _count(since, "day", "days") + " ago").mask(
        since <= 0, "Last contact on the day scored"
    )
    followup = followup.mask(f["last_contact_date"].isna(), "Not contacted yet")
    followup = followup.mask(overdue > 0, "Follow-up overdue by " + _count(overdue, "day", "days"))
    engagement = (
        _count(calls, "connected call", "connected calls")
        + ", avg "
        + _text(np.floor(duration / 60))
        + "m "
        + _text(np.trunc(duration) % 60)
        + "s"
    )
    engagement = engagement.mask(
        f["avg_connected_duration_s"].isna(), _count(calls, "connected call", "connected calls")
    )
    return {
        "lead_age": ("Enquiry " + _count(age, "day", "days") + " old").mask(age <= 0, "New enquiry"),
        "expected_closure": closure.mask(to_close.isna(), "No expected closure date"),
        "opty_category": f["opty_category"].fillna("Unknown") + " enquiry",
        "lead_classification": f["lead_classification"].fillna("Unclassified") + " lead",
        "customer_type": f["customer_type"].fillna("Unknown") + " customer",
        "followup": followup,
        "engagement": engagement.mask(calls == 0, "No connected call yet"),
        "stock": _text(f["saleable_stock"].fillna(0))
        + " "
        + f["product_line"].astype("string")
        + " in stock at the dealer",
    }


def with_reasons(f: pd.DataFrame, weights: dict[str, float], top_n: int = 3) -> pd.DataFrame:
    """The ``top_n`` components contributing most (whole hundredths of a point, as the pipeline compares them)."""
    contribution = np.column_stack(
        [np.trunc(f[f"score_{c}"].to_numpy() * (float(weights[c]) * 100)) for c in COMPONENTS]
    )
    order = contribution * len(COMPONENTS) + np.array([CODE_ORDER[c.upper()] for c in COMPONENTS])
    top = np.argsort(-order, axis=1, kind="stable")[:, :top_n]
    texts = reason_texts(f)
    text_matrix = np.column_stack([texts[c].fillna("").to_numpy(dtype=object) for c in COMPONENTS])
    codes = np.array([c.upper() for c in COMPONENTS], dtype=object)[top]
    chosen = np.take_along_axis(text_matrix, top, axis=1)
    return f.assign(reason_codes=codes.tolist(), reasons=chosen.tolist())


def with_next_best_action(f: pd.DataFrame) -> pd.DataFrame:
    in_stock = f["saleable_stock"].fillna(0) > 0
    stage = f["stage"]
    conditions = [
        f["followup_overdue_days"] > 0,
        (stage == "C3") & in_stock,
        stage == "C3",
        stage == "C2",
        stage == "C1",
        f["last_contact_date"].isna(),
    ]
    actions = [
        "Call today: the promised follow-up is overdue",
        "Confirm the delivery date and complete the retail",
        "Arrange stock of this product line before promising delivery",
        "Follow up on the quotation and offer finance options",
        "Send the quotation after the test drive",
        "First call today: qualify the enquiry",
    ]
    return f.assign(next_best_action=np.select(conditions, actions, "Invite the customer for a test drive"))


def score_opportunities(features: pd.DataFrame, cfg: Scoring, scored_at: pd.Timestamp) -> pd.DataFrame:
    """Features -> rows of scv_customer_score (as-of dated)."""
    weights = cfg.weights.as_dict()
    scored = component_scores(with_days(features), cfg)
    total = sum(scored[f"score_{c}"] * float(weights[c]) for c in COMPONENTS)
    scored = with_next_best_action(with_reasons(scored.assign(total_score=round_half_away(total, 2)), weights))
    scored = scored.sort_values(["total_score", "opty_id"], ascending=[False, True], kind="stable")
    scored["rank_in_dealer"] = scored.groupby(["as_of_date", "dealer_code"], dropna=False).cumcount() + 1
    # the baseline scores with the designed weights, which give no probability (scv calibrate's adopted ones do)
    return scored.assign(
        weights_version=cfg.weights_version, scored_at=scored_at, win_probability=np.nan, win_horizon_days=np.nan
    )
