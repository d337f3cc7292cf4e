"""Bronze: every new landing file, as-is, into an append-only Delta table per source.

All export columns are kept as strings (names normalised to lower snake case), plus where each row came from:
``_source_file``, ``_source_line``, ``_content_sha256``, ``_run_id``, ``_ingested_at`` and ``_ingest_date``
(the partition). A file whose content hash was ingested before is skipped, so a re-delivered file or a rerun
never duplicates rows. Lines that cannot be parsed go to ``quarantine/bronze`` with file, line and reason.
A file that cannot be taken at all (unreadable, a required column missing) fails its source with a message
naming the file and column; the other sources still run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES, bronze_location
from ground.run import RunContext, StepResult
from ground.sources import SourceSpec
from ground.spark_io import append, merge_insert_new, read_table, table_exists
from jobs.bronze.landing import ParsedFile, SourceFileError, discover, file_sha256, parse_file


@dataclass
class BronzeBatch:
    source: str
    files: list[ParsedFile] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)  # one message per file that could not be taken

    @property
    def rows(self) -> int:
        return sum(f.row_count for f in self.files)

    @property
    def bad_lines(self) -> int:
        return sum(len(f.bad_lines) for f in self.files)


def known_hashes(ctx: RunContext, source: str) -> set[str]:
    files_df = read_table(ctx.spark, OPS_TABLES["ingested_files"], ctx.lake_root)
    rows = files_df.where(files_df.source == source).select("content_sha256").collect()
    return {r.content_sha256 for r in rows}


def collect_new_files(ctx: RunContext, spec: SourceSpec) -> BronzeBatch:
    """Parse the source's landing files whose content has not been ingested yet."""
    landing = Path(ctx.config.paths.landing_dir)
    seen = known_hashes(ctx, spec.name)
    batch = BronzeBatch(spec.name)
    for path in discover(landing, spec):
        if file_sha256(path) in seen:  # hash before parsing: an old file costs a read, not a parse
            batch.skipped_files.append(path.relative_to(landing).as_posix())
            continue
        try:
            parsed = parse_file(path, landing, spec)
        except SourceFileError as exc:
            batch.failed_files.append(str(exc))
            continue
        seen.add(parsed.sha256)
        batch.files.append(parsed)
    return batch


def _arrow_rows(ctx: RunContext, parsed: ParsedFile, columns: list[str]) -> pa.Table:
    """The file's good rows with every batch column (absent ones null) and the ingestion metadata."""
    assert parsed.table is not None
    n = parsed.table.num_rows
    data = {c: parsed.table.column(c) if c in parsed.columns else pa.nulls(n, pa.string()) for c in columns}
    data["_source_file"] = pa.repeat(parsed.relative_name, n)  # type: ignore[assignment]
    data["_source_line"] = parsed.table.column("_source_line")
    data["_content_sha256"] = pa.repeat(parsed.sha256, n)  # type: ignore[assignment]
    data["_run_id"] = pa.repeat(ctx.run_id, n)  # type: ignore[assignment]
    data["_ingested_at"] = pa.repeat(pa.scalar(ctx.started_at, pa.timestamp("us", tz="UTC")), n)  # type: ignore[assignment]
    data["_ingest_date"] = pa.repeat(pa.scalar(ctx.started_at.date(), pa.date32()), n)  # type: ignore[assignment]
    return pa.table(data)


def write_batch(ctx: RunContext, batch: BronzeBatch) -> None:
    """Append the batch's rows to bronze, its bad lines to quarantine, then register its files.

    Rows travel to the engine as Arrow in chunks of at most ``pipeline.bronze_chunk_mb`` (a Spark Connect
    message is limited to 128 MB).
    """
    location = bronze_location(ctx.lake_root, batch.source)
    columns = list(dict.fromkeys(c for f in batch.files for c in f.columns))
    chunk_bytes = ctx.settings.pipeline.bronze_chunk_mb << 20
    pending: list[pa.Table] = []

    def flush() -> None:
        if not pending:
            return
        df = ctx.spark.createDataFrame(pa.concat_tables(pending))
        writer = df.write.format("delta").mode("append").option("mergeSchema", "true")
        if not table_exists(ctx.spark, location):
            writer = writer.partitionBy("_ingest_date")
        writer.save(location)
        pending.clear()

    for parsed in batch.files:
        if parsed.row_count:
            pending.append(_arrow_rows(ctx, parsed, columns))
        if sum(t.nbytes for t in pending) >= chunk_bytes:
            flush()
    flush()
    _quarantine_bad_lines(ctx, batch)
    _register_files(ctx, batch)


def _quarantine_bad_lines(ctx: RunContext, batch: BronzeBatch) -> None:
    rows = [
        (batch.source, f.relative_name, bad.line, bad.reason, bad.raw[:4000], ctx.run_id, ctx.started_at)
        for f in batch.files
        for bad in f.bad_lines
    ]
    if rows:
        table = QUARANTINE_TABLES["bronze"]
        merge_insert_new(ctx.spark, ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)


def _register_files(ctx: RunContext, batch: BronzeBatch) -> None:
    rows = [
        (batch.source, f.relative_name, f.sha256, ctx.run_id, f.row_count, len(f.bad_lines), ctx.started_at)
        for f in batch.files
    ]
    if rows:
        table = OPS_TABLES["ingested_files"]
        append(ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)


def ingest_source(ctx: RunContext, spec: SourceSpec) -> StepResult:
    started = time.perf_counter()
    result = StepResult(f"bronze:{spec.name}")
    batch = collect_new_files(ctx, spec)
    write_batch(ctx, batch)
    result.rows_in = batch.rows + batch.bad_lines
    result.rows_out = batch.rows
    result.rows_quarantined = batch.bad_lines
    skipped = f", {len(batch.skipped_files)} already ingested" if batch.skipped_files else ""
    result.message = f"{len(batch.files)} new file(s){skipped}"
    if batch.failed_files:
        # the good files landed; the bad ones are not registered, so they are retried once fixed
        result.status = "failed"
        result.message += "; " + "; ".join(batch.failed_files)
    result.seconds = time.perf_counter() - started
    return result


def run_bronze(ctx: RunContext) -> Iterator[StepResult]:
    """One step per source, each yielded as it ends. A landing folder that does not exist fails the phase:
    an export that never arrived must not look like a quiet night."""
    landing = Path(ctx.config.paths.landing_dir)
    if not landing.is_dir():
        yield StepResult("bronze", status="failed", message=f"the landing folder {landing} does not exist")
        return
    for spec in ctx.sources.values():
        yield ingest_source(ctx, spec)
