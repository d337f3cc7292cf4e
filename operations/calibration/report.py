"""What ``scv calibrate`` prints and writes: the side-by-side report, its JSON form, and the proposal file (a
configuration overlay that sets ``scoring.adopted``; adopting it is copying it into the environment)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import yaml

from operations.calibration.dataset import COMPONENTS
from operations.calibration.fit import Calibration


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _dates(days: list[date]) -> str:
    return f"{len(days)} ({days[0]} .. {days[-1]})" if days else "0"


def summary(result: Calibration) -> dict[str, Any]:
    """The report as plain values (``--json``, and the comments of the proposal)."""
    fitted = result.fitted
    return {
        "horizon_days": result.horizon_days,
        "data_end": str(result.data_end),
        "train_dates": [str(d) for d in result.split.train_dates],
        "test_dates": [str(d) for d in result.split.test_dates],
        "purged_dates": [str(d) for d in result.split.purged_dates],
        "censored_dates": [str(d) for d in result.split.censored_dates],
        "periods": {c.name: vars(c) for c in result.counts},
        "rows_closed_before_snapshot": result.rows_closed_before,
        "rows_without_components": result.rows_without_components,
        "refusals": result.refusals,
        "leaks": [vars(leak) for leak in result.leaks.leaks],
        "set_at_close_share": result.leaks.set_at_close,
        "measured": {m.name: vars(m) for m in result.measured},
        "probability": None
        if result.probability is None
        else {"intercept": result.probability[0], "slope": result.probability[1]},
        "drift": {c: {"in_use": a, "fitted": b} for c, (a, b) in result.drift.items()},
        "component_auc": {c: {"train": a, "test": b} for c, (a, b) in result.component_auc.items()},
        "proposal_version": fitted.version if fitted else None,
    }


def render(result: Calibration) -> list[str]:
    split = result.split
    lines = [
        f"calibration: won within {result.horizon_days} days, data to {result.data_end}",
        f"  snapshots: train {_dates(split.train_dates)}, test {_dates(split.test_dates)}; "
        f"{len(split.purged_dates)} purged (horizon reaches the test period), "
        f"{len(split.censored_dates)} censored (horizon not over)",
    ]
    for period in result.counts:
        lines.append(
            f"  {period.name}: {period.rows:,} rows, {period.closed_deals:,} deals closed, {period.positives:,} won"
        )
    lines.append(
        f"  left out: {result.rows_closed_before:,} rows closed by their snapshot date, "
        f"{result.rows_without_components:,} rows without component scores"
    )
    if result.leaks.leaks:
        lines += [f"leakage: {leak.component} left out of the fit: {leak.why}" for leak in result.leaks.leaks]
    elif result.measured:
        lines.append("leakage: none found (no field set at closing, no component too good to be true)")
    for refusal in result.refusals:
        lines.append(f"refused: {refusal}")
    if not result.measured:
        return lines
    width = max(12, *(len(m.version) + 2 for m in result.measured))
    alone = "  alone: AUC train / test"
    lines.append(f"{'weights':<22}" + "".join(f"{m.name:>{width}}" for m in result.measured) + alone)
    lines.append(f"{'':<22}" + "".join(f"{m.version:>{width}}" for m in result.measured))
    for component in COMPONENTS:
        train_auc, test_auc = result.component_auc.get(component, (None, None))
        lines.append(
            f"  {component:<20}"
            + "".join(f"{m.weights[component]:>{width}.3f}" for m in result.measured)
            + f"{_num(train_auc):>{len(alone) - 9}} / {_num(test_auc)}"
        )
    backwards = {c: a for c, (a, _) in result.component_auc.items() if a is not None and a < result.backwards_auc}
    if backwards:
        listed = ", ".join(f"{c} (AUC {a:.3f})" for c, a in backwards.items())
        lines.append(
            f"direction: {listed} rank(s) the training period's wins below its losses: the designed curve points "
            "the other way in this network, and a weight of at least 0 can only switch it off"
        )
    lines.append("test period")
    for label, values in (
        ("AUC", [_num(m.auc) for m in result.measured]),
        ("top-20 lift", [_num(m.lift, 2) for m in result.measured]),
        ("calibration error", [_num(m.calibration_error) for m in result.measured]),
    ):
        lines.append(f"  {label:<20}" + "".join(f"{v:>{width}}" for v in values))
    if result.probability is not None:
        a, b = result.probability
        examples = ", ".join(f"score {s}: {1 / (1 + np.exp(-(a + b * s / 100))):.0%}" for s in (20, 40, 60, 80))
        lines.append(
            f"probability (fitted weights, Platt on the test period): "
            f"P(won within {result.horizon_days} days) = 1 / (1 + exp(-({a:.4f} + {b:.4f} x score / 100))); {examples}"
        )
    if result.reliability is not None:
        bins = result.reliability
        pairs = ", ".join(f"{p:.0%}/{o:.0%}" for p, o in zip(bins["predicted"], bins["observed"], strict=True))
        lines.append(
            f"  predicted/observed win rate in {len(bins)} bins of about {int(bins['rows'].median()):,} rows: {pairs}"
        )
    if result.drift:
        moved = ", ".join(f"{c} {a:.3f} -> {b:.3f}" for c, (a, b) in result.drift.items())
        lines.append(f"drift: fitted weights moved more than the limit from the weights in use: {moved}")
    return lines


def proposal_yaml(result: Calibration, env: str) -> str:
    """The proposal: comments with the evidence, then the overlay that sets ``scoring.adopted``."""
    fitted = result.fitted
    assert fitted is not None and result.probability is not None
    in_use = result.in_use
    evidence = [
        f"Proposed by `scv calibrate` from the score history to {result.data_end} (won within "
        f"{result.horizon_days} days).",
        f"Train {_dates(result.split.train_dates)}, test {_dates(result.split.test_dates)}.",
    ]
    if in_use is not None:
        evidence.append(
            f"Test period: AUC {_num(in_use.auc)} ({in_use.name} {in_use.version}) -> {_num(fitted.auc)}; "
            f"top-20 lift {_num(in_use.lift, 2)} -> {_num(fitted.lift, 2)}; "
            f"calibration error {_num(fitted.calibration_error)}."
        )
    evidence += [
        f"Adopt: scv calibrate --adopt <this file> (copies it to conf/{env}/scoring_adopted.yaml);",
        "nothing changes for reps until then. Undo: delete that file.",
    ]
    body = {
        "scoring": {
            "adopted": {
                "weights_version": fitted.version,
                "horizon_days": result.horizon_days,
                "probability_intercept": round(result.probability[0], 6),
                "probability_slope": round(result.probability[1], 6),
                "weights": dict(fitted.weights),
            }
        }
    }
    comments = "".join(f"# {line}\n" for line in evidence)
    return comments + yaml.safe_dump(body, sort_keys=False)
