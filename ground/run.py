"""What every job step receives (the session, the configuration, the identity of the run) and what it gives
back (a ``StepResult``), recorded as a row per step in ``ops/runs``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pyspark.sql import SparkSession

from ground.catalogue import OPS_TABLES
from ground.config import Config
from ground.settings import PipelineSettings
from ground.sources import SourceSpec
from ground.spark_io import append


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


@dataclass
class RunContext:
    spark: SparkSession
    config: Config
    run_id: str
    started_at: datetime
    run_date: date  # the wall-clock date of the run: later dates in the data are impossible
    sources: dict[str, SourceSpec] = field(default_factory=dict)
    # per silver table, the bronze ingest time it had been built through before this run (None: from scratch)
    silver_since: dict[str, datetime | None] = field(default_factory=dict)
    # the as-of dates the run was asked for (set by the nightly pipeline; silver tells late rows by them)
    as_of_dates: list[date] = field(default_factory=list)
    # per source, the earliest date among the rows this run merged into silver that gold reads by date and
    # that change what the lake held (``jobs.silver.build.earliest_change``: a resent row does not); where they
    # reach no date with gold (a first night) nothing is compared and it is the earliest of them all
    silver_earliest: dict[str, date] = field(default_factory=dict)
    # the earlier dates this run has recorded to restate (ops/restatements; jobs/restate.py), and the dates
    # earlier runs covered (ops/nights, read once)
    restating: set[date] = field(default_factory=set)
    built_dates: set[date] | None = None

    @classmethod
    def create(
        cls, spark: SparkSession, config: Config, run_date: date | None = None, started_at: datetime | None = None
    ) -> RunContext:
        """``started_at``: when the command started (engine start included), so that every report of the
        run's duration (the summary, ops/runs, scv status) is the same wall-clock figure."""
        now = started_at or datetime.now(UTC)
        return cls(
            spark=spark,
            config=config,
            run_id=new_run_id(now),
            started_at=now,
            run_date=run_date or datetime.now(UTC).date(),
            sources=config.sources,
        )

    @property
    def lake_root(self) -> str:
        return self.config.paths.lake_root

    @property
    def settings(self) -> PipelineSettings:
        return self.config.pipeline


STEP_WIDTH = 40  # the longest step name (quality:macro_market_hotspot_taluka_5d) fits


@dataclass
class StepResult:
    """What one step did. Row steps count rows in, out and quarantined; check steps (data quality,
    freshness) say what they checked in ``message`` and carry no row counts."""

    step: str
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    status: str = "ok"  # ok | warn | failed
    message: str = ""
    counts_rows: bool = True
    gaps: list[str] = field(default_factory=list)  # what this step lacks that makes the whole night incomplete

    def line(self) -> str:
        if self.counts_rows:
            figures = f"{self.rows_in:>12,} {self.rows_out:>12,} {self.rows_quarantined:>12,}"
        else:
            figures = " " * 38
        text = f"{self.step:<{STEP_WIDTH}} {self.status:<6} {figures} {self.seconds:7.2f}s"
        return f"{text}  {self.message}" if self.message else text.rstrip()


def step_header() -> str:
    return f"{'step':<{STEP_WIDTH}} {'status':<6} {'rows in':>12} {'rows out':>12} {'quarantined':>12} {'time':>8}"


def record_steps(ctx: RunContext, dates: list[date], results: list[StepResult], finished_at: datetime) -> None:
    """Append the run's step results to ops/runs (one row per step); the run covers min(dates)..max(dates)."""
    rows = [
        (
            ctx.run_id,
            max(dates),
            r.step,
            r.status,
            r.rows_in,
            r.rows_out,
            r.rows_quarantined,
            float(r.seconds),
            r.message[:2000],
            ctx.started_at,
            finished_at,
            min(dates),
        )
        for r in results
    ]
    table = OPS_TABLES["runs"]
    append(ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)


def record_night(
    ctx: RunContext, verdicts: dict[date, tuple[str, list[str]]], failed_steps: list[str], finished_at: datetime
) -> None:
    """Append the run's verdict on each as-of date to ops/nights: status, the sources missing on it, the
    failed steps."""
    rows = [
        (
            day,
            ctx.run_id,
            status,
            ", ".join(missing),
            ", ".join(failed_steps),
            _night_message(status, missing, failed_steps),
            finished_at,
        )
        for day, (status, missing) in sorted(verdicts.items())
    ]
    table = OPS_TABLES["nights"]
    append(ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)


def describe_gaps(missing: list[str]) -> str:
    """What a night lacks, in words: missing sources by name, other gaps as they are."""
    sources = [m for m in missing if ":" not in m]
    notes = ([f"no data from {', '.join(sources)}"] if sources else []) + [m for m in missing if ":" in m]
    return "; ".join(notes)


def _night_message(status: str, missing: list[str], failed_steps: list[str]) -> str:
    if status == "failed":
        return f"failed steps: {', '.join(failed_steps)}"
    if status == "incomplete":
        return describe_gaps(missing)
    return "every expected source present, every step done"
