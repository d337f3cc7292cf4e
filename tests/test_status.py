"""``scv status``: the last runs, each with the steps that failed or warned, in their own words."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ground.catalogue import OPS_TABLES
from ground.spark_io import append
from operations.status import _print_text, collect_status
from testkit import base_config

TOO_OLD = (
    "new rows dated from 2026-10-02 in call_log; gold of 2026-10-02..2026-10-23 (22 dates) NOT restated (more "
    "than pipeline.restate_days, 7, before 2026-10-31): run `scv nightly --from 2026-10-02 --to 2026-10-23`"
)


def step(run_id: str, day: int, name: str, status: str, message: str) -> tuple[object, ...]:
    """A step line of the run of as-of date 2026-10-<day>, which ran the next morning (every step of a run is
    recorded with the run's start and end)."""
    at = datetime(2026, 11, day - 29, 2, 0, tzinfo=UTC)
    return (run_id, date(2026, 10, day), name, status, 0, 0, 0, 1.0, message, at, at, None)


def test_each_run_lists_what_it_failed_or_warned_about(spark, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = base_config().with_overrides(paths={"lake_root": str(tmp_path)})
    runs = OPS_TABLES["runs"]
    engine_error = "AnalysisException: no such column\n  at plan line 1\n  at plan line 2"
    rows = [
        step("R1", 30, "silver:call_log", "ok", ""),
        step("R1", 30, "gold:kpi_daily", "failed", engine_error),
        step("R2", 31, "silver:call_log", "ok", ""),
        step("R2", 31, "restate", "warn", TOO_OLD),
        step("R2", 31, "gold:kpi_daily", "ok", ""),
        step("R2", 31, "quality:retail", "warn", "warn: opty_id never empty, 3 rows empty"),
    ]
    append(spark.createDataFrame(rows, runs.ddl), runs, str(tmp_path))

    status = collect_status(config, runs=2)
    quality = {"step": "quality:retail", "status": "warn", "message": "warn: opty_id never empty, 3 rows empty"}
    assert [(r["run_id"], r["attention"]) for r in status["runs"]] == [
        ("R2", [{"step": "restate", "status": "warn", "message": TOO_OLD}, quality]),  # in the order the phases run
        ("R1", [{"step": "gold:kpi_daily", "status": "failed", "message": engine_error}]),
    ]
    status["tables"] = {"ops/runs": {"version": 0, "rows": 5, "operation": "WRITE", "timestamp_ms": 0}}
    _print_text(status)
    lines = capsys.readouterr().out.splitlines()
    r2 = next(i for i, line in enumerate(lines) if line.startswith("  R2 "))
    assert lines[r2 + 1] == f"      warn   restate: {TOO_OLD}"
    assert lines[r2 + 2] == "      warn   quality:retail: warn: opty_id never empty, 3 rows empty"
    assert lines[r2 + 4] == "      failed gold:kpi_daily: AnalysisException: no such column"  # its first line
