"""``scv calibrate``: fit the score's component weights on the network's own history and prove them on the
most recent snapshots before anything changes for a rep (docs/calibration.md).

Reads the score history (gold ``scv_customer_score_history``) and the opportunities' versions (silver
``customer_pipeline_history``) with delta-rs, no Spark. Prints designed, adopted and fitted weights side by
side with AUC, top-20 lift and calibration error on the test period, and writes the fitted weights as a
proposal, ``conf/<env>/proposals/<weights_version>.yaml``. A person adopts one with ``--adopt FILE``;
``--adopt-if-better`` adopts the new proposal itself when it gains ``calibration.min_auc_gain`` of test AUC
over the weights in use with a top-20 lift no lower. Exit codes: 0 done, 2 no lake tables or a bad proposal,
3 a guard refused the fit (too few snapshots, closed deals or wins; nothing to propose).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from ground.config import Config, ConfigError, conf_dir

ADOPTED_FILE = "scoring_adopted.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--horizon", type=int, help="outcome horizon in days (default: calibration.horizon_days)")
    parser.add_argument("--top", type=int, default=20, help="leads per dealer a rep sees, for the lift (default 20)")
    parser.add_argument(
        "--conf-dir", type=Path, help="where proposals/ and the adopted file live (default: conf/<env>)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--adopt-if-better",
        action="store_true",
        help="adopt the new proposal when it beats the weights in use by calibration.min_auc_gain",
    )
    action.add_argument("--adopt", type=Path, metavar="PROPOSAL", help="adopt a proposal file (no fit)")


def _env_dir(args: argparse.Namespace, config: Config) -> Path:
    return Path(args.conf_dir) if args.conf_dir else conf_dir() / config.env


def adopt(proposal: Path, config: Config, env_dir: Path) -> str:
    """Check the proposal against the configuration (weights sum to 1, known keys), then copy it to the
    environment's adopted file; returns the adopted weights_version."""
    overlay = yaml.safe_load(proposal.read_text(encoding="utf-8")) or {}
    adopted = (overlay.get("scoring") or {}).get("adopted") if isinstance(overlay, dict) else None
    if not isinstance(adopted, dict) or set(overlay) != {"scoring"} or set(overlay["scoring"]) != {"adopted"}:
        raise ConfigError(f"{proposal}: not a proposal (expected only scoring.adopted)")
    checked = config.with_overrides(**overlay).pipeline.scoring
    env_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(proposal, env_dir / ADOPTED_FILE)
    return checked.active_version


def read_columns(location: str, columns: list[str]) -> pd.DataFrame | None:
    """The table's ``columns`` (a column the table does not have yet is all null), or None without a table."""
    from ground.lake import open_table, read_table

    table = open_table(location)
    if table is None:
        return None
    present = {f.name for f in table.schema().fields}
    frame = read_table(location, columns=[c for c in columns if c in present]).to_pandas()  # type: ignore[union-attr]
    for column in columns:
        if column not in frame:
            frame[column] = None
    return frame[columns]


def _data_end(config: Config, history: pd.DataFrame) -> date:
    """The last date the lake knows: the latest scored night (the history keeps snapshot dates only)."""
    from ground.catalogue import GOLD_TABLES

    current = read_columns(GOLD_TABLES["scv_customer_score"].location(config.paths.lake_root), ["as_of_date"])
    days = list(history["as_of_date"]) + (list(current["as_of_date"]) if current is not None else [])
    return max(days)  # type: ignore[no-any-return]


def run(args: argparse.Namespace, config: Config) -> int:
    from ground.catalogue import GOLD_TABLES, SILVER_TABLES
    from operations.calibration.dataset import HISTORY_COLUMNS, VERSION_COLUMNS
    from operations.calibration.fit import calibrate
    from operations.calibration.report import proposal_yaml, render, summary

    env_dir = _env_dir(args, config)
    if args.adopt:
        version = adopt(args.adopt, config, env_dir)
        print(f"adopted {version}: {env_dir / ADOPTED_FILE}; the next scv nightly scores with it")
        return 0
    lake = config.paths.lake_root
    history = read_columns(GOLD_TABLES["scv_customer_score_history"].location(lake), HISTORY_COLUMNS)
    versions = read_columns(SILVER_TABLES["customer_pipeline_history"].location(lake), VERSION_COLUMNS)
    if history is None or history.empty or versions is None:
        print(f"scv calibrate: no score history under {lake}: run scv nightly over a range of dates", file=sys.stderr)
        return 2
    settings = config.pipeline.calibration
    result = calibrate(
        history,
        versions,
        _data_end(config, history),
        config.pipeline.scoring,
        settings,
        horizon_days=args.horizon,
        top=args.top,
    )
    report = summary(result)
    proposal: Path | None = None
    if result.fitted is not None and not result.refusals:
        proposal = env_dir / "proposals" / f"{result.fitted.version}.yaml"
        proposal.parent.mkdir(parents=True, exist_ok=True)
        proposal.write_text(proposal_yaml(result, config.env), encoding="utf-8")
    better = result.is_better(settings.min_auc_gain)
    adopted = None
    if args.adopt_if_better and better and proposal is not None:
        adopted = adopt(proposal, config, env_dir)
    report.update(
        proposal=str(proposal) if proposal else None,
        is_better=better,
        adopted=adopted,
        min_auc_gain=settings.min_auc_gain,
    )
    if args.json:
        print(json.dumps(report, default=str))
    else:
        print("\n".join(render(result)))
        if proposal is not None:
            print(f"proposal: {proposal}")
            verdict = "better" if better else "not better"
            print(
                f"verdict:  {verdict} than the weights in use "
                f"(needs +{settings.min_auc_gain} test AUC, lift no lower); "
                + (f"adopted {adopted}" if adopted else f"to adopt: scv calibrate --adopt {proposal}")
            )
    return 3 if result.refusals else 0
