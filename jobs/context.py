"""What every job step receives: the session, the configuration and the identity of the run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pyspark.sql import SparkSession

from jobs.mapping import SourceSpec, load_sources
from scv.config import Config


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
            sources=load_sources(config.raw),
        )

    @property
    def lake_root(self) -> str:
        return self.config.paths.lake_root

    def settings(self, section: str) -> dict[str, Any]:
        return self.config.section(section)
