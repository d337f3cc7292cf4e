"""The account models, per as-of date: churn risk (P(no purchase in the horizon)) and lifetime value, each by a
buy-till-you-die model and by a model trained on the accounts' own history, and their time-split backtests.

- **BG/NBD** (Fader, Hardie and Lee 2005; the ``lifetimes`` package): purchases are Poisson while an account is
  alive, and after each purchase it may drop out. P(no purchase in (T, T+h]) = (1 - P(alive)) + P(alive) x
  ((alpha + T) / (alpha + T + h))^(r + x). Expected purchases over h from lifetimes; the value of an order from
  **Gamma-Gamma** (lifetimes), so CLV = expected purchases x expected order value.
- **trained**: a ridge-penalised logistic regression (scipy) of "no purchase in the next h days" on what an
  account's history says at a cutoff: log recency, log repeat purchases, log age, log mean interval, recency over
  the mean interval (capped at 6), a single-purchase flag and the intervals' coefficient of variation. It is
  trained at the date minus h (the outcome since is known) and applied on the date. For lifetime value
  ("cadence"): P(buys within 12 months) from the same model for that horizon x 365 / the mean interval x the
  average order value.
- **backtests** (time split): every model is fitted on the history up to the cutoff (the date minus the
  horizon; the trained model on the cutoff before that) and scored on what happened after the cutoff: churn by
  AUC, the lift of the riskiest share and the Brier score; lifetime value by the error sum |predicted - actual|
  / sum actual, beside the account's own average (its value per year so far, over at least a year) as baseline.

Everything here is pandas and numpy on one as-of date's orders (one row per account and purchase day), so it
runs unchanged inside ``groupBy("as_of_date").applyInPandas`` on Sail or Spark (gold/account_churn_risk.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

CHURN_MODELS = ("bgnbd", "trained")
CLV_MODELS = ("bgnbd_gg", "cadence")
RATIO_CAP = 6.0


@dataclass(frozen=True)
class ModelSettings:
    churn_horizon: int
    clv_horizon: int
    penalizer: float
    gg_penalizer: float
    l2: float
    min_accounts: int
    top_share: float
    high_risk: float
    medium_risk: float

    @classmethod
    def from_conf(cls, accounts: Any) -> ModelSettings:
        c = accounts.churn
        return cls(c.horizon_days, accounts.clv.horizon_days, c.penalizer, accounts.clv.penalizer, c.l2,
                   c.min_accounts, c.top_share, c.high_risk, c.medium_risk)  # fmt: skip


# ------------------------------------------------------------------------------------------------- summaries
EPOCH = date(1970, 1, 1)


def day_number(value: date) -> int:
    return (value - EPOCH).days


def with_day_numbers(orders: pd.DataFrame) -> pd.DataFrame:
    """``orders`` with ``day``: each purchase date as days since 1970 (integer arithmetic is fast in pandas)."""
    if "day" in orders.columns:
        return orders
    days = pd.to_datetime(orders["purchase_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    return orders.assign(day=days)


def summarise(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per account, from its purchase days on or before ``as_of`` (``orders``: account_id, purchase_date,
    value): orders, x (repeat purchase days), t_x and age (days from the first purchase to the last and to the
    date), recency, mean interval and its coefficient of variation, mean order value, total value, and the
    first and last purchase day (days since 1970)."""
    orders = with_day_numbers(orders)
    cut = day_number(as_of)
    known = orders[orders["day"] <= cut].sort_values(["account_id", "day"])
    gaps = known.groupby("account_id")["day"].diff()
    out = (
        known.assign(gap=gaps)
        .groupby("account_id")
        .agg(
            orders=("day", "size"),
            first=("day", "min"),
            last=("day", "max"),
            mean_value=("value", "mean"),
            total_value=("value", "sum"),
            interval=("gap", "mean"),
            gap_sd=("gap", "std"),
        )
    )
    out["x"] = out["orders"] - 1
    out["t_x"] = out["last"] - out["first"]
    out["age"] = cut - out["first"]
    out["recency"] = cut - out["last"]
    out["cv"] = out["gap_sd"] / out["interval"]
    return out.drop(columns=["gap_sd"])


def bought_between(orders: pd.DataFrame, start: date, end: date) -> set[str]:
    """Accounts with a purchase in (start, end]."""
    orders = with_day_numbers(orders)
    window = (orders["day"] > day_number(start)) & (orders["day"] <= day_number(end))
    return set(orders.loc[window, "account_id"])


def value_between(orders: pd.DataFrame, start: date, end: date) -> pd.Series:
    """Invoice value per account in (start, end]."""
    orders = with_day_numbers(orders)
    window = orders[(orders["day"] > day_number(start)) & (orders["day"] <= day_number(end))]
    return window.groupby("account_id")["value"].sum()


# ------------------------------------------------------------------------------------------------- BG/NBD, GG
def _silent(*_: Any, **__: Any) -> None:
    return None


@contextmanager
def _quiet_lifetimes() -> Iterator[None]:
    """Around a lifetimes fit or prediction: its warnings ignored, numpy's floating-point ones (log of 0 in
    autograd, 0/0) not raised at all (``np.errstate`` is per thread, where ``catch_warnings`` changes the
    process's filters, which the engine's UDF threads share: one thread's exit restored them while another still
    fitted), and the printout of a fit that does not converge silenced. lifetimes 0.11.3 prints scipy's whole
    optimisation result before it raises ConvergenceError (``lifetimes.fitters.BaseFitter._fit``): a dozen lines
    in a night's log for every such fit (49 in the small demo's backfill), which is taken as no model here; that
    module's ``print`` is made silent (its global name, nothing else's). scipy's line-search warnings (a step of
    an optimisation that did not converge, taken as no model) are also ignored by a filter that stays: another
    thread's ``catch_warnings`` exit can restore the filters while this one still fits."""
    import lifetimes.fitters as fitters

    fitters.print = _silent  # type: ignore[attr-defined]
    warnings.filterwarnings("ignore", message="The line search algorithm", category=RuntimeWarning)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def fit_bgnbd(summary: pd.DataFrame, penalizer: float, min_accounts: int) -> Any | None:
    """A fitted lifetimes BetaGeoFitter, or None (too few accounts, no repeat purchase, or no convergence)."""
    if len(summary) < min_accounts or summary["x"].sum() == 0:
        return None
    from lifetimes import BetaGeoFitter

    with _quiet_lifetimes():
        try:
            return BetaGeoFitter(penalizer_coef=penalizer).fit(summary["x"], summary["t_x"], summary["age"])
        except Exception:  # lifetimes raises ConvergenceError (and others) on degenerate data
            return None


def bgnbd_p_alive(model: Any, summary: pd.DataFrame) -> np.ndarray:
    with _quiet_lifetimes():
        alive = model.conditional_probability_alive(summary["x"], summary["t_x"], summary["age"])
    # a fit whose dropout parameters a and b both tend to 0 leaves 0/0 (NaN): no dropout, alive
    return np.clip(np.nan_to_num(np.asarray(alive, dtype=float), nan=1.0), 0.0, 1.0)


def bgnbd_p_none(model: Any, summary: pd.DataFrame, horizon: int) -> np.ndarray:
    """P(no purchase in the next ``horizon`` days) under BG/NBD: gone, or alive and no Poisson event."""
    params = model.params_
    alive = bgnbd_p_alive(model, summary)
    age, x = summary["age"].to_numpy(float), summary["x"].to_numpy(float)
    quiet = ((params["alpha"] + age) / (params["alpha"] + age + horizon)) ** (params["r"] + x)
    return np.clip((1.0 - alive) + alive * quiet, 0.0, 1.0)


def bgnbd_expected(model: Any, summary: pd.DataFrame, horizon: int) -> np.ndarray:
    with _quiet_lifetimes():
        expected = np.asarray(
            model.conditional_expected_number_of_purchases_up_to_time(
                horizon, summary["x"], summary["t_x"], summary["age"]
            ),
            dtype=float,
        )
    # where the fit leaves 0/0 (a and b tending to 0: no dropout) the rate of an account alive for sure
    params = model.params_
    alive_rate = (params["r"] + summary["x"].to_numpy(float)) / (params["alpha"] + summary["age"].to_numpy(float))
    return np.maximum(np.where(np.isfinite(expected), expected, alive_rate * horizon), 0.0)


def gg_order_value(summary: pd.DataFrame, penalizer: float, min_accounts: int) -> np.ndarray:
    """Expected order value per account (Gamma-Gamma on the accounts with repeat purchases; an account's own
    mean where the fit is not possible)."""
    repeat = summary[(summary["x"] > 0) & (summary["mean_value"] > 0)]
    own = summary["mean_value"].fillna(0.0).to_numpy(float)
    if len(repeat) < min_accounts:
        return own
    from lifetimes import GammaGammaFitter

    with _quiet_lifetimes():
        try:
            fitted = GammaGammaFitter(penalizer_coef=penalizer).fit(repeat["x"], repeat["mean_value"])
            value = fitted.conditional_expected_average_profit(summary["x"], summary["mean_value"].clip(lower=0))
        except Exception:
            return own
    value = np.asarray(value, dtype=float)
    # a degenerate fit (q <= 1 has no finite mean) gives nonsense: the account's own mean order there
    return np.where(np.isfinite(value) & (value > 0), value, own)


# ------------------------------------------------------------------------------------------- trained model
@dataclass(frozen=True)
class Logistic:
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    fill_interval: float  # the training population's median interval (for accounts with one purchase)
    fill_cv: float

    def predict(self, summary: pd.DataFrame) -> np.ndarray:
        z = (features(summary, self.fill_interval, self.fill_cv) - self.mean) / self.scale
        return np.asarray(1.0 / (1.0 + np.exp(-(self.weights[0] + z @ self.weights[1:]))))


def features(summary: pd.DataFrame, fill_interval: float, fill_cv: float) -> np.ndarray:
    interval = summary["interval"].fillna(fill_interval).clip(lower=1.0).to_numpy(float)
    recency = summary["recency"].to_numpy(float)
    return np.column_stack(
        [
            np.log1p(recency),
            np.log1p(summary["x"].to_numpy(float)),
            np.log1p(summary["age"].to_numpy(float)),
            np.log(interval),
            np.minimum(recency / interval, RATIO_CAP),
            (summary["x"].to_numpy() == 0).astype(float),
            summary["cv"].fillna(fill_cv).to_numpy(float),
        ]
    )


def fit_logistic(summary: pd.DataFrame, labels: np.ndarray, l2: float, min_accounts: int) -> Logistic | None:
    """Ridge-penalised logistic regression on standardised features (the intercept unpenalised); None when the
    set is too small or has one class only."""
    if len(summary) < min_accounts or labels.min() == labels.max():
        return None
    from scipy.optimize import minimize

    fill_interval = float(summary["interval"].median()) if summary["interval"].notna().any() else 30.0
    fill_cv = float(summary["cv"].median()) if summary["cv"].notna().any() else 0.5
    raw = features(summary, fill_interval, fill_cv)
    mean, scale = raw.mean(axis=0), raw.std(axis=0) + 1e-9
    design = np.column_stack([np.ones(len(raw)), (raw - mean) / scale])
    y = labels.astype(float)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ w
        gradient = design.T @ (1.0 / (1.0 + np.exp(-z)) - y)
        gradient[1:] += l2 * w[1:]
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * np.sum(w[1:] ** 2)), gradient

    weights = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B").x
    return Logistic(mean, scale, weights, fill_interval, fill_cv)


def train_no_purchase(orders: pd.DataFrame, cutoff: date, horizon: int, cfg: ModelSettings) -> Logistic | None:
    """The trained model of "no purchase in the next ``horizon`` days", fitted at ``cutoff`` on the accounts
    known then, with what happened in (cutoff, cutoff + horizon] as the outcome."""
    summary = summarise(orders, cutoff)
    if summary.empty:
        return None
    bought = bought_between(orders, cutoff, cutoff + timedelta(days=horizon))
    labels = np.array([a not in bought for a in summary.index])
    return fit_logistic(summary, labels, cfg.l2, cfg.min_accounts)


# ------------------------------------------------------------------------------------------------- metrics
def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with tied ranks)."""
    labels = labels.astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def top_lift(scores: np.ndarray, labels: np.ndarray, share: float) -> float | None:
    """The positive rate of the top ``share`` by score over the base rate (ties: the lower account order)."""
    if len(labels) == 0 or labels.mean() == 0:
        return None
    k = max(1, int(np.ceil(share * len(labels))))
    top = np.argsort(-scores, kind="stable")[:k]
    return float(labels[top].mean() / labels.mean())


def relative_error(predicted: np.ndarray, actual: np.ndarray) -> float | None:
    total = float(actual.sum())
    return float(np.abs(predicted - actual).sum() / total) if total > 0 else None


def own_average(summary: pd.DataFrame, horizon: int) -> np.ndarray:
    """The baseline: the account's value per day so far (over at least ``horizon`` days) times the horizon."""
    span = np.maximum(summary["age"].to_numpy(float), float(horizon))
    return np.asarray(summary["total_value"].to_numpy(float) / span * horizon)


def cadence_value(model: Logistic, summary: pd.DataFrame, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases and value over ``horizon`` by the cadence model: P(buys within it) x horizon / the
    account's mean interval (the training median for a single purchase) purchases, at its average order."""
    buys = 1.0 - model.predict(summary)
    interval = summary["interval"].fillna(model.fill_interval).clip(lower=1.0).to_numpy(float)
    purchases = buys * horizon / interval
    return purchases, purchases * summary["mean_value"].fillna(0.0).to_numpy(float)


# ------------------------------------------------------------------------------------------- one as-of date
BACKTEST_COLUMNS = [
    "as_of_date", "target", "model", "cutoff_date", "horizon_days", "accounts", "positives", "auc", "top_lift",
    "brier", "error",
]  # fmt: skip


def _orders_of(pdf: pd.DataFrame) -> tuple[pd.DataFrame, date]:
    as_of = pdf["as_of_date"].iloc[0]
    orders = pdf[["account_id", "purchase_date", "value"]].copy()
    orders["value"] = orders["value"].fillna(0.0).astype(float)
    return with_day_numbers(orders), as_of


def backtest(pdf: pd.DataFrame, cfg: ModelSettings) -> pd.DataFrame:
    """The time-split backtests of one as-of date (``pdf``: as_of_date, account_id, purchase_date, value)."""
    orders, as_of = _orders_of(pdf)
    rows: list[dict[str, Any]] = []
    h = cfg.churn_horizon
    cutoff = as_of - timedelta(days=h)
    known = summarise(orders, cutoff)
    bought = bought_between(orders, cutoff, as_of)
    labels = np.array([a not in bought for a in known.index], dtype=bool)
    predictions: dict[str, np.ndarray] = {}
    fitted = fit_bgnbd(known, cfg.penalizer, cfg.min_accounts) if len(known) else None
    if fitted is not None:
        predictions["bgnbd"] = bgnbd_p_none(fitted, known, h)
    trained = train_no_purchase(orders, cutoff - timedelta(days=h), h, cfg) if len(known) else None
    if trained is not None:
        predictions["trained"] = trained.predict(known)
    for model in CHURN_MODELS:
        p = predictions.get(model)
        rows.append({
            "target": "churn", "model": model, "cutoff_date": cutoff, "horizon_days": h, "accounts": len(known),
            "positives": int(labels.sum()),
            "auc": auc(p, labels) if p is not None else None,
            "top_lift": top_lift(p, labels, cfg.top_share) if p is not None else None,
            "brier": float(np.mean((p - labels) ** 2)) if p is not None and len(p) else None,
            "error": None,
        })  # fmt: skip
    hc = cfg.clv_horizon
    cutoff = as_of - timedelta(days=hc)
    known = summarise(orders, cutoff)
    actual = value_between(orders, cutoff, as_of).reindex(known.index).fillna(0.0).to_numpy(float)
    values: dict[str, np.ndarray] = {}
    fitted = fit_bgnbd(known, cfg.penalizer, cfg.min_accounts) if len(known) else None
    if fitted is not None:
        values["bgnbd_gg"] = bgnbd_expected(fitted, known, hc) * gg_order_value(
            known, cfg.gg_penalizer, cfg.min_accounts
        )
    trained = train_no_purchase(orders, cutoff - timedelta(days=hc), hc, cfg) if len(known) else None
    if trained is not None:
        values["cadence"] = cadence_value(trained, known, hc)[1]
    if len(known):
        values["baseline"] = own_average(known, hc)
    for model in (*CLV_MODELS, "baseline"):
        v = values.get(model)
        rows.append({
            "target": "clv", "model": model, "cutoff_date": cutoff, "horizon_days": hc, "accounts": len(known),
            "positives": int((actual > 0).sum()), "auc": None, "top_lift": None, "brier": None,
            "error": relative_error(v, actual) if v is not None else None,
        })  # fmt: skip
    out = pd.DataFrame(rows)
    out.insert(0, "as_of_date", as_of)
    return out[BACKTEST_COLUMNS]


def choose(backtests: pd.DataFrame, target: str, wanted: str) -> str | None:
    """The model to score with: ``wanted`` unless it is auto; auto takes the best backtest (churn: the higher
    AUC; clv: the lower error; ties: the first model), or the first model when none could be backtested."""
    models = CHURN_MODELS if target == "churn" else CLV_MODELS
    if wanted != "auto":
        return wanted
    rows = backtests[(backtests["target"] == target) & backtests["model"].isin(models)]
    metric = "auc" if target == "churn" else "error"
    rated = rows[rows[metric].notna()]
    if rated.empty:
        return models[0]
    order = {m: i for i, m in enumerate(models)}
    ranked = rated.assign(_o=rated["model"].map(order)).sort_values([metric, "_o"], ascending=[target != "churn", True])
    return str(ranked.iloc[0]["model"])


SCORE_COLUMNS = [
    "as_of_date", "account_id", "orders", "first_purchase_date", "last_purchase_date", "recency_days", "age_days",
    "mean_interval_days", "overdue_ratio", "p_alive", "p_no_purchase_bgnbd", "p_no_purchase_trained",
    "churn_probability", "model", "horizon_days", "risk_band", "risk_rank", "expected_purchases",
    "expected_order_value", "clv", "clv_bgnbd_gg", "clv_cadence", "baseline_value", "clv_horizon_days",
    "clv_model",
]  # fmt: skip


def score(pdf: pd.DataFrame, cfg: ModelSettings, churn_model: str, clv_model: str) -> pd.DataFrame:
    """Churn risk and lifetime value per account on one as-of date, by every model; the chosen ones (when they
    could be fitted, else the other) give churn_probability and clv."""
    orders, as_of = _orders_of(pdf)
    known = summarise(orders, as_of)
    n = len(known)
    if n == 0:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    nan = np.full(n, np.nan)
    h, hc = cfg.churn_horizon, cfg.clv_horizon
    fitted = fit_bgnbd(known, cfg.penalizer, cfg.min_accounts)
    trained = train_no_purchase(orders, as_of - timedelta(days=h), h, cfg)
    yearly = train_no_purchase(orders, as_of - timedelta(days=hc), hc, cfg)
    churn = {
        "bgnbd": bgnbd_p_none(fitted, known, h) if fitted is not None else None,
        "trained": trained.predict(known) if trained is not None else None,
    }
    purchases: dict[str, np.ndarray] = {}
    value: dict[str, np.ndarray] = {}
    if fitted is not None:
        purchases["bgnbd_gg"] = bgnbd_expected(fitted, known, hc)
        value["bgnbd_gg"] = purchases["bgnbd_gg"] * gg_order_value(known, cfg.gg_penalizer, cfg.min_accounts)
    if yearly is not None:
        purchases["cadence"], value["cadence"] = cadence_value(yearly, known, hc)
    used_churn = (
        churn_model
        if churn.get(churn_model) is not None
        else next((m for m in CHURN_MODELS if churn[m] is not None), "unavailable")
    )
    used_clv = clv_model if clv_model in value else next((m for m in CLV_MODELS if m in value), "unavailable")
    probability = churn[used_churn] if used_churn in churn and churn[used_churn] is not None else nan
    fill = float(known["interval"].median()) if known["interval"].notna().any() else np.nan
    interval = known["interval"].fillna(fill).to_numpy(float)
    out = pd.DataFrame(
        {
            "account_id": known.index.to_numpy(),
            "orders": known["orders"].to_numpy(np.int64),
            "first_purchase_date": [EPOCH + timedelta(days=int(d)) for d in known["first"]],
            "last_purchase_date": [EPOCH + timedelta(days=int(d)) for d in known["last"]],
            "recency_days": known["recency"].to_numpy(np.int64),
            "age_days": known["age"].to_numpy(np.int64),
            "mean_interval_days": known["interval"].to_numpy(float),
            "overdue_ratio": known["recency"].to_numpy(float) / np.maximum(interval, 1.0),
            "p_alive": bgnbd_p_alive(fitted, known) if fitted is not None else nan,
            "p_no_purchase_bgnbd": churn["bgnbd"] if churn["bgnbd"] is not None else nan,
            "p_no_purchase_trained": churn["trained"] if churn["trained"] is not None else nan,
            "churn_probability": probability,
            "model": used_churn,
            "horizon_days": h,
            "expected_purchases": purchases.get(used_clv, nan),
            "clv": value.get(used_clv, nan),
            "clv_bgnbd_gg": value.get("bgnbd_gg", nan),
            "clv_cadence": value.get("cadence", nan),
            "baseline_value": own_average(known, hc),
            "clv_horizon_days": hc,
            "clv_model": used_clv,
        }
    )
    out["expected_order_value"] = np.where(
        out["expected_purchases"] > 0,
        out["clv"] / out["expected_purchases"].where(out["expected_purchases"] > 0),
        known["mean_value"].to_numpy(float),
    )
    out["risk_band"] = np.select(
        [out["churn_probability"] >= cfg.high_risk, out["churn_probability"] >= cfg.medium_risk],
        ["High", "Medium"],
        "Low",
    )
    out["risk_band"] = out["risk_band"].where(out["churn_probability"].notna(), None)
    ordered = out.sort_values(["churn_probability", "account_id"], ascending=[False, True], na_position="last")
    out["risk_rank"] = pd.Series(np.arange(1, n + 1), index=ordered.index).reindex(out.index).astype(np.int64)
    out.insert(0, "as_of_date", as_of)
    return out[SCORE_COLUMNS]


UNION_COLUMNS = [
    "row_kind", *SCORE_COLUMNS,
    *("target", "cutoff_date", "accounts", "positives", "auc", "top_lift", "brier", "error", "is_chosen"),
]  # fmt: skip


def model_date(pdf: pd.DataFrame, cfg: ModelSettings, churn_wanted: str, clv_wanted: str) -> pd.DataFrame:
    """One as-of date end to end: the backtests, the choice of models, the scores. One frame for both kinds of
    rows (row_kind "account" or "backtest"; each leaves the other's columns empty), so a date is one pass.
    BLAS runs single-threaded here: these are small problems, and OpenBLAS's threads spinning on a busy
    machine made them three times slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        tests = backtest(pdf, cfg)
        churn_model = choose(tests, "churn", churn_wanted) or CHURN_MODELS[0]
        clv_model = choose(tests, "clv", clv_wanted) or CLV_MODELS[0]
        scores = score(pdf, cfg, churn_model, clv_model)
    tests["is_chosen"] = ((tests["target"] == "churn") & (tests["model"] == churn_model)) | (
        (tests["target"] == "clv") & (tests["model"] == clv_model)
    )
    both = pd.concat([scores.assign(row_kind="account"), tests.assign(row_kind="backtest")], ignore_index=True)
    return both.reindex(columns=UNION_COLUMNS)
