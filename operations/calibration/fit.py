"""The calibration procedure: label the score history, split it by time, check the guards and leakage, fit
non-negative weights on the older snapshots, and measure designed, adopted and fitted weights side by side on
the most recent ones. Pure: frames and settings in, a ``Calibration`` out (``scv calibrate`` and
``scv evaluate`` read the tables and print it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ground.settings import Calibration as CalibrationSettings
from ground.settings import Scoring
from operations.calibration.dataset import (
    COMPONENTS,
    SCORE_COLUMNS,
    LeakReport,
    PeriodCounts,
    Split,
    labelled,
    leak_report,
    outcomes,
    period_counts,
    time_split,
)
from operations.calibration.model import (
    auc,
    calibration_error,
    calibration_table,
    cross_fitted_probability,
    fit_logistic,
    fit_platt,
    normalised_weights,
    top_lift,
    total_score,
)


@dataclass
class Measured:
    """One set of weights on the test period."""

    name: str
    version: str
    weights: dict[str, float]
    auc: float | None
    lift: float | None
    calibration_error: float | None  # of its own Platt map, cross-fitted by snapshot date


@dataclass
class Calibration:
    horizon_days: int
    data_end: date
    split: Split
    rows_without_components: int = 0  # history rows written before the components were kept
    rows_closed_before: int = 0  # opportunity already closed by the snapshot date (left out)
    counts: list[PeriodCounts] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    leaks: LeakReport = field(default_factory=LeakReport)
    measured: list[Measured] = field(default_factory=list)  # designed, adopted (when any), fitted
    probability: tuple[float, float] | None = None  # Platt intercept, slope for the fitted weights
    reliability: pd.DataFrame | None = None  # the fitted map's calibration bins on the test period
    drift: dict[str, tuple[float, float]] = field(default_factory=dict)  # component -> (in use, fitted)
    # each component alone: AUC on the training and the test period (below 0.5: it ranks wins below losses)
    component_auc: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    backwards_auc: float = 0.0  # a component alone below this training AUC is reported as pointing backwards

    def get(self, name: str) -> Measured | None:
        return next((m for m in self.measured if m.name == name), None)

    @property
    def in_use(self) -> Measured | None:
        return self.get("adopted") or self.get("designed")

    @property
    def fitted(self) -> Measured | None:
        return self.get("fitted")

    def is_better(self, min_auc_gain: float) -> bool:
        """The fitted weights gain at least ``min_auc_gain`` of test AUC over the weights in use, with a top-N
        lift no lower."""
        fitted, in_use = self.fitted, self.in_use
        if self.refusals or fitted is None or in_use is None or fitted.auc is None or in_use.auc is None:
            return False
        lift_ok = in_use.lift is None or (fitted.lift is not None and fitted.lift >= in_use.lift)
        return fitted.auc - in_use.auc >= min_auc_gain and lift_ok


def proposal_version(weights: dict[str, float], last_test_date: date) -> str:
    digest = hashlib.sha1(json.dumps(weights, sort_keys=True).encode()).hexdigest()[:6]
    return f"fit-{last_test_date.isoformat()}-{digest}"


def _measure(name: str, version: str, weights: dict[str, float], test: pd.DataFrame, top: int, bins: int) -> Measured:
    score = total_score(test, weights)
    probability = cross_fitted_probability(score, test["label"], test["as_of_date"])
    error = calibration_error(probability, test["label"].to_numpy(), bins)
    return Measured(name, version, weights, auc(score, test["label"]), top_lift(test, score, top), error)


def calibrate(
    history: pd.DataFrame,
    versions: pd.DataFrame | None,
    data_end: date,
    scoring: Scoring,
    settings: CalibrationSettings,
    *,
    ends: pd.DataFrame | None = None,
    horizon_days: int | None = None,
    top: int = 20,
) -> Calibration:
    """history: the score history (``dataset.HISTORY_COLUMNS``); versions: silver customer_pipeline_history
    (``dataset.VERSION_COLUMNS``), the outcomes and the set-at-close check; ``ends`` replaces the outcomes
    (opty_id, won_date, closed_date: the demo's planted truth in ``scv evaluate``)."""
    horizon = horizon_days or settings.horizon_days
    complete = history.dropna(subset=SCORE_COLUMNS)
    if ends is None:
        ends = outcomes(versions if versions is not None else pd.DataFrame(columns=["opty_id", "status", "updated_at"]))
    rows, closed_before = labelled(complete, ends, horizon)
    split = time_split(list(rows["as_of_date"].unique()), data_end, horizon, settings.test_snapshots)
    result = Calibration(horizon, data_end, split, len(history) - len(complete), closed_before)
    result.backwards_auc = settings.backwards_max_auc
    train = rows[rows["as_of_date"].isin(split.train_dates)].reset_index(drop=True)
    test = rows[rows["as_of_date"].isin(split.test_dates)].reset_index(drop=True)
    result.counts = [period_counts("train", train), period_counts("test", test)]
    if not split.test_dates or len(split.train_dates) < settings.min_train_snapshots:
        result.refusals.append(
            f"{len(split.train_dates)} training and {len(split.test_dates)} test snapshot dates whose {horizon}-day "
            f"horizon ended by {data_end}: need {settings.min_train_snapshots} and {settings.test_snapshots} "
            "(run the nightly over more dates, or wait)"
        )
        return result
    for counts in result.counts:
        result.refusals += counts.shortfall(settings.min_closed_deals, settings.min_positives)
    if result.refusals:
        return result

    result.component_auc = {
        c: (auc(train[f"score_{c}"], train["label"]), auc(test[f"score_{c}"], test["label"])) for c in COMPONENTS
    }
    empty_versions = pd.DataFrame(columns=["opty_id", "status", "updated_at"])
    result.leaks = leak_report(
        versions if versions is not None else empty_versions,
        train,
        settings.leak_set_at_close_share,
        settings.leak_max_component_auc,
    )
    free = [c not in result.leaks.components for c in COMPONENTS]
    x = train[SCORE_COLUMNS].to_numpy(dtype=float) / 100.0
    params = fit_logistic(x, train["label"].to_numpy(dtype=float), settings.l2_penalty, free)
    fitted = normalised_weights(params[1:], COMPONENTS)

    bins = settings.calibration_bins
    result.measured.append(_measure("designed", scoring.weights_version, scoring.weights.as_dict(), test, top, bins))
    if scoring.adopted is not None:
        adopted = scoring.adopted
        result.measured.append(_measure("adopted", adopted.weights_version, adopted.weights.as_dict(), test, top, bins))
    if fitted is None:
        result.refusals.append("no component ranks the training period's wins above its losses: nothing to propose")
        return result
    version = proposal_version(fitted, split.test_dates[-1])
    result.measured.append(_measure("fitted", version, fitted, test, top, bins))
    score = total_score(test, fitted)
    result.probability = fit_platt(score.to_numpy(), test["label"].to_numpy())
    probability = 1.0 / (1.0 + np.exp(-(result.probability[0] + result.probability[1] * score.to_numpy() / 100)))
    result.reliability = calibration_table(probability, test["label"].to_numpy(dtype=float), bins)
    in_use = scoring.active_weights
    result.drift = {
        c: (in_use[c], fitted[c])
        for c in COMPONENTS
        if abs(fitted[c] - in_use[c]) > settings.drift_max_weight_change + 1e-12
    }
    return result
