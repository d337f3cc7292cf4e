"""Benchmark of the nightly pipeline on demo data: first load, an incremental night, a backfill.

    python bench/nightly_bench.py --scale medium
    python bench/nightly_bench.py --scale small --workdir /tmp/b --json /tmp/b/nightly.json

`make bench` runs it at small and medium (bench/bench_report.py) with the pandas baseline and the app's
start, into one JSON report (docs/benchmarks.md).

Generates the demo landing zone (or reuses --workdir), holds back the files of the last day, times
`scv nightly` for the day before (the first load of all history), then returns the last day's files and
times the incremental night, then rebuilds that last night from scratch (every landing file into an empty lake,
timed as one more run) and checks that its silver and gold tables hold the incremental lake's rows (exit 1
naming each table that differs; --no-rebuild-check skips it), then times a gold backfill over --backfill-days
dates. Each run is a separate process (engine start included); wall seconds and the child's peak RSS are
printed, and for each run the seconds its win-rate, account and KPI steps took (gold and quality steps of
ground.catalogue.gold.WIN_RATE_NODES, ACCOUNT_NODES and KPI_NODES, from the step lines the run prints): what
those tables add to a night; and, alone, the forecast step (gold:kpi_forecast, with the origins it fitted: a
night fits one a week, a first night the few its anomaly windows reach back to). --json writes the same figures
(and each run's own peak RSS and CPU seconds, and the tables that differ from the rebuild) to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import Timed, run_timed  # noqa: E402

RUNS: list[Timed] = []  # each run's own figures (peak RSS, CPU seconds), in order


def scv(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    done: Timed = run_timed([sys.executable, "-m", "scv.cli", *args], env=env)
    if done.returncode != 0:
        raise SystemExit(f"scv {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    RUNS.append(done)
    return done.seconds, done.stdout


def step_seconds(out: str, nodes: tuple[str, ...]) -> float:
    """The summed seconds of the given nodes' steps in a run's step lines (``gold:<node>``, ``quality:<table>``)."""
    return sum(
        seconds
        for step, seconds in run_steps(out).items()
        if step.split(":", 1)[0] in ("gold", "quality") and step.split(":", 1)[1] in nodes
    )


def run_steps(out: str) -> dict[str, float]:
    """Every step's seconds from a run's step lines (``<layer>:<name> ... <seconds>s``), summed per step name."""
    steps: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if not parts or ":" not in parts[0] or parts[0].startswith("run"):
            continue
        seconds = [p for p in parts[1:] if p.endswith("s") and p[:-1].replace(".", "", 1).isdigit()]
        if seconds:
            steps[parts[0]] = round(steps.get(parts[0], 0.0) + float(seconds[0][:-1]), 3)
    return steps


def node_groups() -> dict[str, tuple[str, ...]]:
    """The groups of gold nodes whose seconds are reported per run: what each adds to a night."""
    from ground.catalogue.gold import ACCOUNT_NODES, KPI_NODES, WIN_RATE_NODES

    return {"win-rate": WIN_RATE_NODES, "account": ACCOUNT_NODES, "KPI": KPI_NODES}


def rebuild_check(work: Path, env: dict[str, str], day: date, results: list[tuple[str, float, str]]) -> list[str]:
    """Rebuild the night of ``day`` from scratch (every landing file, an empty lake), time it as one more run,
    and compare its silver and gold tables with the lake the nights before built (bench/table_hashes.py
    --rebuild, in a process of its own: it reads every table, and a child forked from a large process would
    report that process's memory as its own peak); prints and returns the tables that differ."""
    rebuilt = {**env, "SCV_LAKE_ROOT": str(work / "lake-rebuild"), "SCV_OUTBOX_DIR": str(work / "outbox-rebuild")}
    shutil.rmtree(work / "lake-rebuild", ignore_errors=True)
    seconds, out = scv(["nightly", "--date", str(day)], rebuilt)
    results.append(("rebuild from scratch (every file, one night)", seconds, out))
    compared = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("table_hashes.py")), "--lake", str(work / "lake"),
         "--rebuild", str(work / "lake-rebuild")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if compared.returncode not in (0, 1):
        raise SystemExit(f"table_hashes.py --rebuild failed:\n{compared.stdout}\n{compared.stderr}")
    lines = compared.stdout.splitlines()
    differences = [line.removeprefix("DIFFERS ") for line in lines if line.startswith("DIFFERS ")]
    if not differences:  # kept to be looked into when they differ
        shutil.rmtree(work / "lake-rebuild")
        shutil.rmtree(work / "outbox-rebuild", ignore_errors=True)
    verdict = "the same rows" if not differences else f"{len(differences)} table(s) differ"
    print(f"incremental night against a rebuild from scratch: {verdict}", flush=True)
    for line in differences:
        print(f"  DIFFERS {line}", flush=True)
    return differences


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 11, 21))
    parser.add_argument("--days", type=int, help="days of history to generate (default: the scale's own)")
    parser.add_argument("--backfill-days", type=int, default=45, help="0: no backfill run")
    parser.add_argument("--workdir", type=Path, help="keep data here (default: a temp folder, removed after)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--no-rebuild-check",
        dest="rebuild_check",
        action="store_false",
        help="skip rebuilding the last night from scratch and comparing its silver and gold tables with the "
        "incremental night's (the benchmark exits 1 when they differ)",
    )
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="scv-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCV_")}
    env.update(
        SCV_LANDING_DIR=str(work / "landing"),
        SCV_TRUTH_DIR=str(work / "truth"),
        SCV_LAKE_ROOT=str(work / "lake"),
        SCV_OUTBOX_DIR=str(work / "outbox"),
    )
    shutil.rmtree(work / "lake", ignore_errors=True)
    days = ["--days", str(args.days)] if args.days else []
    seconds, _ = scv(
        ["demo-data", "--scale", args.scale, "--seed", str(args.seed), "--end-date", str(args.end_date), *days,
         "--clean"],
        env,
    )  # fmt: skip
    print(f"demo-data --scale {args.scale} {' '.join(days)}: {seconds:.1f} s")

    last = args.end_date.strftime("%Y%m%d")
    held = work / "held-back"
    held.mkdir(exist_ok=True)
    moved = []
    for path in (work / "landing").rglob(f"*{last}*"):
        target = held / path.relative_to(work / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        moved.append((target, path))

    results: list[tuple[str, float, str]] = []
    differences: list[str] = []
    RUNS.clear()
    seconds, out = scv(["nightly", "--date", str(args.end_date - timedelta(days=1))], env)
    results.append(("first night (all history but the last day)", seconds, out))
    for source, target in moved:
        shutil.move(source, target)
    seconds, out = scv(["nightly", "--date", str(args.end_date)], env)
    results.append(("incremental night (one day of files)", seconds, out))
    if args.rebuild_check:
        differences = rebuild_check(work, env, args.end_date, results)
    if args.backfill_days > 0:
        start = args.end_date - timedelta(days=args.backfill_days - 1)
        seconds, out = scv(["nightly", "--from", str(start), "--to", str(args.end_date), "--skip-quality"], env)
        results.append((f"gold backfill of {args.backfill_days} dates (no new files)", seconds, out))

    days_note = f"{args.days} days" if args.days else "the scale's days"
    print(f"\nscale {args.scale}, seed {args.seed}, end {args.end_date}, {days_note}, {os.cpu_count()} cores")
    for label, seconds, out in results:
        print(f"{label:<48} {seconds:7.1f} s   {out.strip().splitlines()[-1]}")
        for group, nodes in node_groups().items():
            print(f"{'  of which the ' + group + ' steps':<48} {step_seconds(out, nodes):7.1f} s")
        forecast = [line for line in out.splitlines() if line.startswith("gold:kpi_forecast ")]
        note = forecast[0].split("s  ", 1)[-1] if forecast and "s  " in forecast[0] else ""
        print(f"{'    forecasting (gold:kpi_forecast)':<48} {step_seconds(out, ('kpi_forecast',)):7.1f} s   {note}")
    print(f"peak RSS of any run: {peak_rss_mb():.0f} MB")
    if args.json:
        report = {
            "scale": args.scale,
            "seed": args.seed,
            "end_date": str(args.end_date),
            "days": args.days,
            "backfill_days": args.backfill_days,
            "cores": os.cpu_count(),
            "rebuild_differences": differences if args.rebuild_check else None,
            "runs": [
                {
                    "label": label,
                    "seconds": round(seconds, 2),
                    "cpu_s": round(timed.cpu_s, 2),
                    "peak_rss_mb": round(timed.peak_rss_mb, 1),
                    **{
                        f"{group.lower().replace('-', '_')}_seconds": round(step_seconds(out, nodes), 2)
                        for group, nodes in node_groups().items()
                    },
                    "summary": out.strip().splitlines()[-1],
                    "steps": run_steps(out),
                }
                for (label, seconds, out), timed in zip(results, RUNS, strict=True)
            ],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.workdir is None:
        shutil.rmtree(work)
    if differences:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
