"""Operations records: a row per pipeline step per run in the ``ops/runs`` Delta table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from gold.catalogue import OPS_TABLES
from gold.merge import append
from jobs.context import RunContext


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
