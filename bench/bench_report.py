"""`make bench`: the nightly benchmark at each scale, the pipeline against the pandas baseline, the app's first
HTTP 200, written as one JSON report (docs/benchmarks.md says how to read it).

    python bench/bench_report.py                                    # small and medium (make bench)
    python bench/bench_report.py --large                            # and large (make bench LARGE=1)
    python bench/bench_report.py --scale small --repeat 1           # a quick look

Per scale, in one run:
1. bench/nightly_bench.py: demo data, the first night, an incremental night, a gold backfill (seconds, peak RSS);
2. on the lake it built, the same gold tables from the same silver tables, by the pipeline
   (bench/pipeline_gold.py: the engine) and by pandas (bench/pandas_baseline.py), for one as-of date and for
   the backfill's dates, alternating pipeline and pandas --repeat times; each pair gives a ratio, and the
   median ratio is the figure (pairing keeps it fair when the machine's load drifts). The baseline's rows are
   checked against the pipeline's (an untimed run first, which also warms the file cache);
3. bench/app_start_bench.py: seconds from starting `scv app` on that lake to its first HTTP 200.
Every process is timed from outside (start to exit, engine start and imports included) with its own peak RSS.
The report also says where it ran (git commit, cores, memory, load average) and how each measured figure
stands against the targets of issue 16.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import app_start_bench  # noqa: E402
from timing import ROOT, git_commit, load_average, machine, run_timed  # noqa: E402

BENCH = Path(__file__).resolve().parent
DEFAULT_REPORT = ROOT / "test-output" / "bench" / "report.json"


def scale_env(work: Path) -> dict[str, str]:
    """The environment nightly_bench.py gives its runs: every path under ``work``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCV_")}
    env.update(
        SCV_LANDING_DIR=str(work / "landing"),
        SCV_TRUTH_DIR=str(work / "truth"),
        SCV_LAKE_ROOT=str(work / "lake"),
        SCV_OUTBOX_DIR=str(work / "outbox"),
        PYARROW_IGNORE_TIMEZONE="1",
    )
    return env


def nightly(scale: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out = work / "nightly.json"
    command = [sys.executable, str(BENCH / "nightly_bench.py"), "--scale", scale, "--seed", str(args.seed)]
    command += ["--end-date", str(args.end_date), "--backfill-days", str(args.backfill_days)]
    out.unlink(missing_ok=True)
    done = run_timed([*command, "--workdir", str(work), "--json", str(out)])
    print(done.stdout, end="", flush=True)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    # exit 1 with a report: the incremental night and the rebuild differ, which the targets list says
    if done.returncode != 0 and not result.get("rebuild_differences"):
        raise SystemExit(f"nightly_bench.py --scale {scale} failed:\n{done.stdout}\n{done.stderr}")
    return result


def date_args(dates: list[date]) -> list[str]:
    return ["--date", str(dates[0])] if len(dates) == 1 else ["--from", str(dates[0]), "--to", str(dates[-1])]


def compare(work: Path, dates: list[date], repeat: int) -> dict[str, Any]:
    """The pipeline's gold step and the pandas baseline on the same lake and dates, alternated."""
    env = scale_env(work)
    lake = str(work / "lake")
    pipeline = [sys.executable, str(BENCH / "pipeline_gold.py"), "--lake", lake, *date_args(dates)]
    pandas = [sys.executable, str(BENCH / "pandas_baseline.py"), "--lake", lake, *date_args(dates)]
    check = run_timed([*pandas, "--check"], env=env)  # untimed: the row check, and a warm file cache
    differences = [line.removeprefix("DIFFERS ") for line in check.stderr.splitlines() if line.startswith("DIFFERS")]
    if check.returncode not in (0, 1):
        raise SystemExit(f"pandas_baseline.py failed:\n{check.stdout}\n{check.stderr}")
    runs: dict[str, list[Any]] = {"pipeline": [], "pandas": []}
    for _ in range(repeat):
        for side, command in (("pipeline", pipeline), ("pandas", pandas)):
            done = run_timed(command, env=env)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
            runs[side].append(done)
    speedups = [b.seconds / a.seconds for a, b in zip(runs["pipeline"], runs["pandas"], strict=True)]
    result: dict[str, Any] = {"dates": len(dates), "first_date": str(dates[0]), "last_date": str(dates[-1])}
    for side, timed in runs.items():
        result[side] = {
            "seconds": [round(t.seconds, 2) for t in timed],
            "median_s": round(statistics.median(t.seconds for t in timed), 2),
            "cpu_s": [round(t.cpu_s, 2) for t in timed],
            "peak_rss_mb": round(max(t.peak_rss_mb for t in timed), 1),
        }
    result["speedup"] = {  # pandas seconds / pipeline seconds, pair by pair: above 1, the pipeline is faster
        "pairs": [round(s, 2) for s in speedups],
        "median": round(statistics.median(speedups), 2),
    }
    result["rows_match"] = check.returncode == 0
    result["differences"] = differences
    return result


def run_scale(scale: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    started_load = load_average()
    report: dict[str, Any] = {"scale": scale, "seed": args.seed, "end_date": str(args.end_date)}
    report["nightly"] = nightly(scale, args, work)
    if not args.skip_baseline:
        end = args.end_date
        backfill = [end - timedelta(days=i) for i in range(args.backfill_days - 1, -1, -1)]
        report["baseline"] = {
            "one_date": compare(work, [end], args.repeat),
            "backfill": compare(work, backfill, args.repeat),
        }
    if not args.skip_app:
        report["app"] = app_start_bench.measure(str(work / "lake"), args.repeat)
    report["load_average"] = {"start": started_load, "end": load_average()}
    return report


def _run(report: dict[str, Any], scale: str, label_start: str) -> dict[str, Any] | None:
    runs = report["scales"].get(scale, {}).get("nightly", {}).get("runs", [])
    return next((r for r in runs if r["label"].startswith(label_start)), None)


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 16's targets, each with the figure this report measured (absent: not measured)."""
    rows: list[dict[str, Any]] = []

    def add(what: str, target: str, measured: float | None, met: bool | None) -> None:
        rows.append({"what": what, "target": target, "measured": measured, "met": met})

    for scale, seconds_limit, rss_limit in (("medium", 45, 2048), ("large", 180, 8192)):
        first, incremental = _run(report, scale, "first night"), _run(report, scale, "incremental")
        if first:
            add(
                f"{scale} first night seconds", f"< {seconds_limit}", first["seconds"], first["seconds"] < seconds_limit
            )
            add(
                f"{scale} first night peak RSS MB",
                f"< {rss_limit}",
                first["peak_rss_mb"],
                first["peak_rss_mb"] < rss_limit,
            )
        if first and incremental:
            share = round(incremental["seconds"] / first["seconds"], 3)
            add(f"{scale} incremental night / first night", "<= 0.10", share, share <= 0.10)
        if scale == "large" and incremental:
            add("large incremental night seconds", "< 20", incremental["seconds"], incremental["seconds"] < 20)
    backfill = _run(report, "medium", "gold backfill")
    if backfill:
        add("medium 45-date backfill seconds", "< 20", backfill["seconds"], backfill["seconds"] < 20)
    for scale, entry in report["scales"].items():
        if "app" in entry:
            median = entry["app"]["median_s"]
            add(f"scv app first HTTP 200 seconds ({scale} lake)", "<= 5", median, median <= 5)
    medium = report["scales"].get("medium", {}).get("baseline")
    if medium:
        for key in ("one_date", "backfill"):
            speedup = medium[key]["speedup"]["median"]
            add(f"medium gold, pipeline speed-up over pandas ({key})", ">= 3", speedup, speedup >= 3)
    for scale, entry in report["scales"].items():
        differences = entry.get("nightly", {}).get("rebuild_differences")
        if differences is not None:
            add(f"incremental night gives a rebuild's tables ({scale})", "same rows", None, not differences)
    for scale, entry in report["scales"].items():
        if "baseline" in entry:
            same = all(entry["baseline"][k]["rows_match"] for k in ("one_date", "backfill"))
            add(f"pandas baseline gives the pipeline's rows ({scale})", "same rows", None, same)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", action="append", choices=["small", "medium", "large"], help="a scale to run (repeatable; "
        "default small and medium)"
    )  # fmt: skip
    parser.add_argument("--large", action="store_true", help="add the large scale (365 days; long)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 11, 21))
    parser.add_argument("--backfill-days", type=int, default=45)
    parser.add_argument("--repeat", type=int, default=3, help="timed pairs (and app starts) per figure")
    parser.add_argument("--skip-baseline", action="store_true", help="no pandas comparison")
    parser.add_argument("--skip-app", action="store_true", help="no app start timing")
    parser.add_argument("--workdir", type=Path, help="keep each scale's data under here (default: temp, removed)")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help=f"JSON report (default {DEFAULT_REPORT})")
    args = parser.parse_args(argv)
    scales = list(dict.fromkeys((args.scale or ["small", "medium"]) + (["large"] if args.large else [])))
    report: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "git": git_commit(),
        "machine": machine(),
        "settings": {
            "seed": args.seed,
            "end_date": str(args.end_date),
            "backfill_days": args.backfill_days,
            "repeat": args.repeat,
        },  # fmt: skip
        "scales": {},
    }
    with tempfile.TemporaryDirectory(prefix="scv-bench-") as temp:
        root = args.workdir or Path(temp)
        for scale in scales:
            print(f"== {scale}", flush=True)
            report["scales"][scale] = run_scale(scale, args, root / scale)
            report["targets"] = targets(report)
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")  # after each scale
    print(summary(report))
    print(f"report: {args.report}")
    return 0


def summary(report: dict[str, Any]) -> str:
    lines = [f"\ncommit {report['git']['commit'][:10]}, {report['machine']['cores']} cores, "
             f"{report['machine']['memory_gib']} GiB"]  # fmt: skip
    for scale, entry in report["scales"].items():
        lines.append(f"{scale} (load average {entry['load_average']['start']} -> {entry['load_average']['end']})")
        for run in entry["nightly"]["runs"]:
            lines.append(f"  {run['label']:<46} {run['seconds']:8.1f} s {run['peak_rss_mb']:8.0f} MB")
        for comparison in entry.get("baseline", {}).values():
            lines.append(
                f"  gold, {comparison['dates']:>2} date(s): pipeline {comparison['pipeline']['median_s']:6.1f} s, "
                f"pandas {comparison['pandas']['median_s']:6.1f} s, speed-up {comparison['speedup']['median']:.2f}x "
                f"({'same rows' if comparison['rows_match'] else 'ROWS DIFFER'})"
            )
        if "app" in entry:
            lines.append(f"  scv app first HTTP 200: {entry['app']['median_s']:.2f} s")
    for row in report.get("targets", []):
        verdict = {True: "met", False: "NOT met", None: "-"}[row["met"]]
        lines.append(f"target {row['what']:<58} {row['target']:>9}  {row['measured']!s:>8}  {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
