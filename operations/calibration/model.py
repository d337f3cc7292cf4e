"""The model behind ``scv calibrate``: non-negative logistic regression on the component scores, a Platt map
from the total score to a probability, and the measures (AUC, top-N lift, calibration error). Pure numpy and
pandas; the optimiser is scipy's L-BFGS-B, whose bounds keep every weight at zero or above.

Why a logistic regression with non-negative weights: the score stays a weighted sum of the same components a
rep already reads, each weight says how much a component counts, and no component can count *against* a lead
(a negative weight would make a fresh enquiry or a connected call lower the score, which no rep would trust).
The ranking of the fitted logit is the ranking of ``total_score`` with the normalised weights, so the fitted
weights drop into ``scoring.weights`` unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import rankdata

WEIGHT_DECIMALS = 3


def _log_loss_and_gradient(params: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """Mean log loss of ``sigmoid(params[0] + x @ params[1:])`` plus ``l2 / 2 * |params[1:]|^2``, and its
    gradient (the intercept is not penalised)."""
    z = params[0] + x @ params[1:]
    # log(1 + e^z) - y z, computed without overflow
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * float(params[1:] @ params[1:]))
    residual = (1.0 / (1.0 + np.exp(-z)) - y) / len(y)
    gradient = np.concatenate([[residual.sum()], x.T @ residual + l2 * params[1:]])
    return loss, gradient


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, free: Sequence[bool] | None = None) -> np.ndarray:
    """Intercept and coefficients of a logistic regression whose coefficients are at least 0; a column not
    ``free`` is held at 0 (a component left out of the fit). Deterministic (starts from zero weights)."""
    k = x.shape[1]
    free = list(free) if free is not None else [True] * k
    bounds = [(None, None)] + [(0.0, None) if is_free else (0.0, 0.0) for is_free in free]
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    start = np.concatenate([[np.log(rate / (1 - rate))], np.zeros(k)])
    result = minimize(
        _log_loss_and_gradient,
        start,
        args=(x.astype(float), y.astype(float), l2),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-8},
    )
    return np.asarray(result.x)


def normalised_weights(coefficients: np.ndarray, names: Sequence[str]) -> dict[str, float] | None:
    """Coefficients scaled to sum to 1 and rounded to 3 decimals (the rounding remainder goes to the largest),
    so that they are valid ``scoring.weights``; None when every coefficient is 0 (nothing predicts)."""
    total = float(coefficients.sum())
    if total <= 0:
        return None
    rounded = np.round(coefficients / total, WEIGHT_DECIMALS)
    rounded[int(np.argmax(rounded))] += round(1.0 - float(rounded.sum()), WEIGHT_DECIMALS)
    return {name: round(float(w), WEIGHT_DECIMALS) + 0.0 for name, w in zip(names, rounded, strict=True)}


def total_score(components: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """The night's ``total_score`` for these weights: the weighted sum of the component scores, 2 decimals."""
    total = sum((components[f"score_{c}"] * float(w) for c, w in weights.items()), pd.Series(0.0, components.index))
    return total.round(2)


def fit_platt(score: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt's map, P(win) = sigmoid(intercept + slope x score / 100), fitted by maximum likelihood with the
    slope at least 0 (a higher score never means a lower probability)."""
    params = fit_logistic(np.asarray(score, dtype=float).reshape(-1, 1) / 100.0, np.asarray(y), 0.0)
    return float(params[0]), float(params[1])


def platt_probability(score: np.ndarray | pd.Series, intercept: float, slope: float) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-(intercept + slope * np.asarray(score, dtype=float) / 100.0))))


def cross_fitted_probability(score: pd.Series, y: pd.Series, dates: pd.Series) -> np.ndarray:
    """Each snapshot date's probabilities from a Platt map fitted on the other dates: the calibration error
    is then measured on rows the map did not see."""
    out = np.zeros(len(score))
    position = np.arange(len(score))
    for day in sorted(dates.unique()):
        held = (dates == day).to_numpy()
        intercept, slope = fit_platt(score[~held].to_numpy(), y[~held].to_numpy())
        out[position[held]] = platt_probability(score[held], intercept, slope)
    return out


def auc(scores: np.ndarray | pd.Series, labels: np.ndarray | pd.Series) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, tied scores count half); None without both classes."""
    y = np.asarray(labels).astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def top_lift(rows: pd.DataFrame, score: pd.Series, top: int) -> float | None:
    """Win rate of each dealer's ``top`` leads on each snapshot date (by score, then opportunity id, as the
    night ranks them) over the win rate of all rows."""
    base = float(rows["label"].mean()) if len(rows) else 0.0
    if base <= 0:
        return None
    ranked = rows.assign(_score=score.to_numpy()).sort_values(
        ["as_of_date", "dealer_code", "_score", "opty_id"], ascending=[True, True, False, True]
    )
    rank = ranked.groupby(["as_of_date", "dealer_code"]).cumcount() + 1
    return float(ranked.loc[rank <= top, "label"].mean() / base)


def calibration_table(probability: np.ndarray, labels: np.ndarray, bins: int) -> pd.DataFrame:
    """Rows in up to ``bins`` bins of about equal count by predicted probability (equal probabilities always
    share a bin): rows, mean predicted, observed win rate."""
    p, y = np.asarray(probability, dtype=float), np.asarray(labels, dtype=float)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)[1:-1], method="lower"))
    grouped = pd.DataFrame({"bin": np.searchsorted(edges, p, side="right"), "p": p, "y": y}).groupby("bin")
    return pd.DataFrame(
        {"rows": grouped.size(), "predicted": grouped["p"].mean(), "observed": grouped["y"].mean()}
    ).reset_index(drop=True)


def calibration_error(probability: np.ndarray, labels: np.ndarray, bins: int) -> float | None:
    """Expected calibration error: the row-weighted mean gap between predicted and observed win rates over
    the bins of ``calibration_table`` (0 is perfect; 0.02 means predictions are 2 points off on average)."""
    if len(probability) == 0:
        return None
    table = calibration_table(np.asarray(probability), np.asarray(labels, dtype=float), bins)
    return float((table["rows"] * (table["predicted"] - table["observed"]).abs()).sum() / table["rows"].sum())
