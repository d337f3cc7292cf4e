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

    @classmethod
    def create(cls, spark: SparkSession, config: Config, run_date: date | None = None) -> RunContext:
        now = datetime.now(UTC)
        return cls(
            spark=spark,
            config=config,
            run_id=new_run_id(now),
            started_at=now,
            run_date=run_date or now.date(),
            sources=config.sources,
        )

    @property
    def lake_root(self) -> str:
        return self.config.paths.lake_root

    @property
    def settings(self) -> PipelineSettings:
        return self.config.pipeline


@dataclass
class StepResult:
    step: str
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    status: str = "ok"
    message: str = ""

    def line(self) -> str:
        text = (
            f"{self.step:<22} {self.status:<6} in={self.rows_in:>10,} out={self.rows_out:>10,} "
            f"quarantined={self.rows_quarantined:>7,} {self.seconds:7.2f}s"
        )
        return f"{text}  {self.message}" if self.message else text


def record_steps(ctx: RunContext, as_of_date: date | None, results: list[StepResult]) -> None:
    """Append the run's step results to ops/runs (one row per step)."""
    finished = datetime.now(UTC)
    rows = [
        (
            ctx.run_id,
            as_of_date,
            r.step,
            r.status,
            r.rows_in,
            r.rows_out,
            r.rows_quarantined,
            float(r.seconds),
            r.message[:2000],
            ctx.started_at,
            finished,
        )
        for r in results
    ]
    table = OPS_TABLES["runs"]
    append(ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)
