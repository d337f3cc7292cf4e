"""Does the demo show the product whatever day it ends? For each end date: generate the small demo, run its
night (the end date only), and print the talukas by status on that date and how many the leadership email
shows (`make demo` renders that email).

    python bench/demo_end_dates.py                         # ten end dates across a year (those of the test)
    python bench/demo_end_dates.py --end-date 2026-11-26   # one

One embedded engine for all of them; each demo in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# ten end dates across a year: weekdays, festivals and the monsoon lull differ (tests/test_demo_end_dates.py)
END_DATES = [
    date(2025, 12, 31),
    date(2026, 1, 15),
    date(2026, 2, 14),
    date(2026, 3, 20),  # financial-year end
    date(2026, 4, 30),
    date(2026, 6, 7),  # a Sunday
    date(2026, 8, 1),  # monsoon lull
    date(2026, 9, 15),
    date(2026, 10, 24),  # Navratri / Dussehra / Diwali peak
    date(2026, 11, 26),
]


def end_date_statuses(spark, root: Path, end: date, seed: int = 7) -> tuple[dict[str, list[str]], list[str]]:  # type: ignore[no-untyped-def]
    """Generate the small demo ending on ``end`` under ``root``, run its night, and return the talukas by
    status on ``end`` and the talukas the leadership email shows, in order."""
    from alert_agent.gold import read_inputs
    from alert_agent.rank import rank_talukas
    from alert_agent.routing import plan_messages
    from alert_agent.settings import alert_settings
    from demo_data.generator import generate
    from ground.config import load_config
    from ground.run import RunContext
    from jobs.nightly import run_pipeline

    generate(root / "landing", root / "truth", scale="small", seed=seed, end_date=end)
    paths = {"lake_root": str(root / "lake"), "landing_dir": str(root / "landing"), "outbox_dir": str(root / "out")}
    config = load_config(env="base", only_base=True).with_overrides(paths=paths)
    outcome = run_pipeline(RunContext.create(spark, config), [end], quality=False, echo=lambda line: None)
    failed = [(r.step, r.message) for r in outcome.results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"the night of {end} failed: {failed}")
    inputs = read_inputs(config.paths.lake_root, end)
    by_status: dict[str, list[str]] = {}
    for signal in sorted(inputs.signals, key=lambda s: s.taluka):
        by_status.setdefault(signal.status, []).append(signal.taluka)
    settings = alert_settings(config)
    ranked = rank_talukas(inputs.signals, settings.weights, settings.alert_statuses)
    plan = plan_messages(ranked, inputs.district_rows, settings, end.isoformat())[0]
    return by_status, [f"{t.signal.taluka} ({t.signal.status})" for t in plan.talukas]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end-date", type=date.fromisoformat, action="append", help="end date (repeatable)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from ground.config import EngineConfig
    from ground.engine import start_engine

    engine = start_engine(EngineConfig(shuffle_partitions=2))
    bad = 0
    try:
        with tempfile.TemporaryDirectory(prefix="scv-end-dates-") as tmp:
            for end in args.end_date or END_DATES:
                started = time.perf_counter()
                by_status, shown = end_date_statuses(engine.spark, Path(tmp) / end.isoformat(), end, args.seed)
                counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(by_status.items()))
                ok = len(by_status.get("HOTSPOT", [])) >= 1 and len(by_status.get("EMERGING", [])) >= 1
                ok = ok and len(shown) == 3
                bad += not ok
                print(
                    f"{end} {end:%a}  {'ok  ' if ok else 'FAIL'} {counts}; email: {'; '.join(shown) or 'all clear'}"
                    f"  ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    finally:
        engine.stop()
    print(
        f"{len(args.end_date or END_DATES) - bad} of {len(args.end_date or END_DATES)} end dates show a HOTSPOT, "
        "an EMERGING taluka and three talukas in the email"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
