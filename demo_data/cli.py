"""``scv demo-data``: write a synthetic landing zone (CSV and JSON lines exports) and its planted truth."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from demo_data.kpi import TARGETS_PATH
from demo_data.layout import SOURCES
from demo_data.truth import TRUTH_FILES

SCALE_DAYS = {"small": 60, "medium": 120, "large": 365}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", choices=tuple(SCALE_DAYS), default="small", help="world size (default small)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--days", type=_positive, help="days of data (default per scale: small 60, medium 120, large 365)"
    )
    parser.add_argument("--end-date", type=_date, help="last day, YYYY-MM-DD (default: yesterday, UTC)")
    parser.add_argument("--out", help="landing folder to write (default: paths.landing_dir)")
    parser.add_argument("--truth-out", help="folder for the planted truth (default: paths.truth_dir)")
    parser.add_argument(
        "--messy-rate",
        type=float,
        default=0.002,
        help="fraction of records made bad on purpose (default 0.002; 0 disables)",
    )
    parser.add_argument(
        "--clean", action="store_true", help="remove earlier exports and truth files in these folders first"
    )


def export_files(out_dir: Path) -> list[Path]:
    """Files already in the source folders of a landing folder."""
    found: list[Path] = []
    for spec in SOURCES:
        folder = out_dir / spec.folder
        if folder.is_dir():
            found.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    return found


def clean(out_dir: Path, truth_dir: Path) -> None:
    """Remove what an earlier run wrote: the source folders and the truth files (nothing else)."""
    for spec in SOURCES:
        shutil.rmtree(out_dir / spec.folder, ignore_errors=True)
    shutil.rmtree(out_dir / Path(TARGETS_PATH).parent, ignore_errors=True)  # the monthly targets (demo_data.kpi)
    for name in (*TRUTH_FILES, "manifest.json"):
        (truth_dir / name).unlink(missing_ok=True)


def _local(path: str, option: str) -> Path:
    if "://" in path:
        raise ValueError(f"{option} must be a local folder, not {path!r}")
    return Path(path)


def run(args: argparse.Namespace, config: Any) -> int:
    from demo_data.generator import generate  # numpy-heavy: imported when the command runs

    try:
        out_dir = _local(args.out or config.paths.landing_dir, "--out")
        truth_dir = _local(args.truth_out or config.paths.truth_dir, "--truth-out")
    except ValueError as exc:
        print(f"scv demo-data: {exc}", file=sys.stderr)
        return 2
    existing = export_files(out_dir)
    if existing and not args.clean:
        print(
            f"scv demo-data: {out_dir} already holds {len(existing)} export files (e.g. {existing[0]}); "
            "pass --clean to remove them first, or choose another --out",
            file=sys.stderr,
        )
        return 1
    if args.clean:
        clean(out_dir, truth_dir)
    started = time.perf_counter()
    try:
        summary = generate(
            out_dir,
            truth_dir,
            scale=args.scale,
            seed=args.seed,
            days=args.days,
            end_date=args.end_date,
            messy_rate=args.messy_rate,
        )
    except ValueError as exc:
        print(f"scv demo-data: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    print(
        f"demo-data: scale {summary['scale']}, seed {summary['seed']}, {summary['dealers']} dealers, "
        f"{summary['start_date']} to {summary['end_date']} ({summary['days']} days)"
    )
    for spec in SOURCES:
        count = summary["counts"][spec.name]
        print(f"  {spec.name:<18} {count['files']:>5} files {count['rows']:>12,} rows  -> {out_dir / spec.folder}")
    truth = summary["truth"]
    print(
        f"  truth: {truth['hotspots']} hotspots, {truth['opportunities']:,} opportunities, "
        f"{truth['bad_records']:,} bad records, {truth['drivers']} win-rate drivers, "
        f"{truth['kpi_events']} KPI events -> {truth_dir}"
    )
    print(f"done in {seconds:.1f} s")
    return 0
