"""Bronze: every new landing file, as-is, into an append-only Delta table per source.

All export columns are kept as strings (names normalised to lower snake case), plus where each row came from:
``_source_file``, ``_source_line``, ``_content_sha256``, ``_run_id``, ``_ingested_at`` and ``_ingest_date``
(the partition). A file whose content hash was ingested before is skipped, so a re-delivered file or a rerun
never duplicates rows. Records that cannot be parsed go to ``quarantine/bronze`` with file, line and reason,
keyed by delivery; a new delivery of a file closes the quarantine rows of the one it replaces.

A file that cannot be taken at all (empty, binary, a required column missing) is recorded once in
``ops/rejected_files`` and fails its source that night, naming the file and what is wrong; on later nights it
is listed as outstanding (a warning: the night is incomplete) until a corrected delivery arrives or someone
acknowledges it with ``scv files skip``. The other files and sources still land.

A crash never leaves rows twice: rows are appended before their file is registered, and a file whose rows
are already in bronze (a crash came between the two) is registered without appending them again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from pyspark.sql import functions as F

from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES, bronze_location
from ground.failpoints import failpoint
from ground.run import RunContext, StepResult
from ground.sources import SourceSpec, bronze_column
from ground.spark_io import append, merge_insert_new, merge_upsert, read_table, table_exists
from jobs.bronze.landing import (
    ParsedFile,
    SourceFileError,
    describe_delimiter,
    discover,
    file_sha256,
    parse_file,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Rejection:
    file_name: str
    sha256: str
    size_bytes: int
    reason: str


@dataclass
class BronzeBatch:
    source: str
    files: list[ParsedFile] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)  # new this night: the step fails
    outstanding: list[str] = field(default_factory=list)  # rejected on an earlier night, not yet dealt with
    warnings: list[str] = field(default_factory=list)  # e.g. a mapped optional column absent from a file
    recovered: set[str] = field(default_factory=set)  # hashes whose rows a crashed run already appended
    stats: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # sha256 -> size, modification time
    restated: list[tuple[str, str, int, datetime]] = field(default_factory=list)  # known content, new stat

    @property
    def rows(self) -> int:
        return sum(f.row_count for f in self.files)

    @property
    def bad_lines(self) -> int:
        return sum(len(f.bad_lines) for f in self.files)


@dataclass
class Registered:
    """What ops/ingested_files knows of a source: the hashes taken, the (name, size, modification time) of
    each taken file, and when the last one was registered."""

    hashes: set[str]
    stats: set[tuple[str, int, int]]  # (file name, size, modification time in microseconds since 1970)
    last_at: datetime | None


def _registered(ctx: RunContext, source: str) -> Registered:
    files_df = read_table(ctx.spark, OPS_TABLES["ingested_files"], ctx.lake_root).where(F.col("source") == source)
    micros = F.unix_micros("modified_at").alias("modified_us")  # a number: no time zone between engine and client
    rows = files_df.select("file_name", "content_sha256", "ingested_at", "size_bytes", micros).collect()
    seen_df = read_table(ctx.spark, OPS_TABLES["seen_files"], ctx.lake_root).where(F.col("source") == source)
    seen = seen_df.select("file_name", "size_bytes", micros).collect()
    stats = {(r.file_name, r.size_bytes, r.modified_us) for r in [*rows, *seen] if r.size_bytes is not None}
    last_at = max((r.ingested_at for r in rows), default=None)
    return Registered({r.content_sha256 for r in rows}, stats, last_at)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _stat(path: Path) -> tuple[int, datetime]:
    """Size and modification time (to the microsecond, as a Delta timestamp keeps it)."""
    info = path.stat()
    return info.st_size, EPOCH + timedelta(microseconds=info.st_mtime_ns // 1000)


def _rejections(ctx: RunContext, source: str) -> dict[str, tuple[str, str]]:
    """sha256 -> (file name, status) of the source's rejected files."""
    rejected_df = read_table(ctx.spark, OPS_TABLES["rejected_files"], ctx.lake_root).where(F.col("source") == source)
    return {r.content_sha256: (r.file_name, r.status) for r in rejected_df.collect()}


def already_in_bronze(ctx: RunContext, source: str, hashes: set[str], since: datetime | None) -> set[str]:
    """The hashes among ``hashes`` whose rows bronze holds already: a run appended them and crashed before
    registering the file. Such an append is no older than the last registration, so only the partitions
    from then on are read."""
    location = bronze_location(ctx.lake_root, source)
    if not hashes or not table_exists(ctx.spark, location):
        return set()
    bronze_df = ctx.spark.read.format("delta").load(location)
    if since is not None:
        bronze_df = bronze_df.where(F.col("_ingest_date") >= F.lit(since.date()))
    found = bronze_df.where(F.col("_content_sha256").isin(*sorted(hashes))).select("_content_sha256").distinct()
    return {r._content_sha256 for r in found.collect()}


def collect_new_files(ctx: RunContext, spec: SourceSpec) -> BronzeBatch:
    """Parse the source's landing files whose content has not been ingested (or rejected) yet."""
    landing = Path(ctx.config.paths.landing_dir)
    registered = _registered(ctx, spec.name)
    seen = registered.hashes
    rejections = _rejections(ctx, spec.name)
    batch = BronzeBatch(spec.name)
    for path in discover(landing, spec):
        relative = path.relative_to(landing).as_posix()
        size, modified = _stat(path)
        if (relative, size, _micros(modified)) in registered.stats:  # taken before, untouched: not even read
            batch.skipped_files.append(relative)
            continue
        sha = file_sha256(path)  # hash before parsing: an old file costs a read, not a parse
        if sha in seen:
            batch.skipped_files.append(relative)
            batch.restated.append((relative, sha, size, modified))  # same content, new name or time: remember it
            continue
        if sha in rejections:
            if rejections[sha][1] == "outstanding":
                batch.outstanding.append(relative)
            continue
        try:
            parsed = parse_file(path, landing, spec)
        except SourceFileError as exc:
            batch.rejected.append(Rejection(relative, sha, path.stat().st_size, str(exc)))
            rejections[sha] = (relative, "outstanding")
            continue
        seen.add(parsed.sha256)
        batch.files.append(parsed)
        batch.stats[parsed.sha256] = (size, modified)
        batch.warnings.extend(absent_columns(parsed, spec))
    batch.recovered = already_in_bronze(ctx, spec.name, {f.sha256 for f in batch.files}, registered.last_at)
    return batch


def absent_columns(parsed: ParsedFile, spec: SourceSpec) -> list[str]:
    """A warning per mapped column the file does not have (none of a fallback chain, or one of a template):
    its canonical column is empty (or partial) for every row."""
    warnings = []
    for c in spec.columns:
        absent = [e for e in c.export_columns if bronze_column(e) not in parsed.present_columns]
        if c.template and absent:
            what = f"template column(s) {absent} are"
        elif c.sources and len(absent) == len(c.sources):
            what = f"mapped column {' or '.join(repr(a) for a in absent)} is"
        else:
            continue
        warnings.append(
            f"{parsed.relative_name}: {what} not in the file ({c.name}), so {c.name} is empty or partial "
            f"in its {parsed.row_count:,} rows"
        )
    return warnings


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
    """Append the batch's rows to bronze, its bad lines to quarantine, then register its files and close
    what they replace.

    Rows travel to the engine as Arrow in chunks of at most ``pipeline.bronze_chunk_mb`` (a Spark Connect
    message is limited to 128 MB); a file's rows always travel in one chunk, so after a crash a file's rows
    are in bronze whole or not at all.
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
        failpoint("bronze_append")

    for parsed in batch.files:
        if parsed.row_count and parsed.sha256 not in batch.recovered:
            pending.append(_arrow_rows(ctx, parsed, columns))
        if sum(t.nbytes for t in pending) >= chunk_bytes:
            flush()
    flush()
    _quarantine_bad_lines(ctx, batch)
    _register_files(ctx, batch)
    failpoint("file_registration")
    _record_rejections(ctx, batch)
    _close_superseded(ctx, batch)


def _quarantine_bad_lines(ctx: RunContext, batch: BronzeBatch) -> None:
    rows = [
        (batch.source, f.relative_name, bad.line, bad.reason, bad.raw[:4000], ctx.run_id, ctx.started_at)
        + (f.sha256, None)
        for f in batch.files
        for bad in f.bad_lines
    ]
    if rows:
        table = QUARANTINE_TABLES["bronze"]
        merge_insert_new(ctx.spark, ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)


def _register_files(ctx: RunContext, batch: BronzeBatch) -> None:
    """Register the batch's files in ingested_files; a known content seen under a new name or time goes to
    seen_files (not ingested), so that from the next night on it is recognised without being read."""
    table = OPS_TABLES["ingested_files"]
    rows = [
        (batch.source, f.relative_name, f.sha256, ctx.run_id, f.row_count, len(f.bad_lines), ctx.started_at)
        + batch.stats.get(f.sha256, (None, None))
        for f in batch.files
    ]
    if rows:
        append(ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)
    if batch.restated:
        restated_df = ctx.spark.createDataFrame(
            [(batch.source, name, sha, size, modified) for name, sha, size, modified in batch.restated],
            OPS_TABLES["seen_files"].ddl,
        ).dropDuplicates(["source", "file_name"])
        merge_upsert(ctx.spark, restated_df, OPS_TABLES["seen_files"], ctx.lake_root)


def _record_rejections(ctx: RunContext, batch: BronzeBatch) -> None:
    rows = [
        (batch.source, r.file_name, r.sha256, r.size_bytes, r.reason, "outstanding", "", ctx.run_id)
        + (ctx.started_at, ctx.started_at)
        for r in batch.rejected
    ]
    if rows:
        table = OPS_TABLES["rejected_files"]
        merge_insert_new(ctx.spark, ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)


def _close_superseded(ctx: RunContext, batch: BronzeBatch) -> None:
    """A file delivered again with new content replaces its earlier deliveries: their open quarantine rows
    are closed, and an earlier rejection of it is no longer outstanding."""
    if not batch.files:
        return
    delivered = [(f.relative_name, f.sha256) for f in batch.files]
    view = f"_delivered_{batch.source}"
    ctx.spark.createDataFrame(delivered, "source_file string, content_sha256 string").createOrReplaceTempView(view)
    try:
        for table in (QUARANTINE_TABLES["bronze"], QUARANTINE_TABLES["silver"]):
            location = table.location(ctx.lake_root)
            if table_exists(ctx.spark, location):
                ctx.spark.sql(
                    f"merge into delta.`{location}` as t using {view} as s "
                    f"on t.source = '{batch.source}' and t.source_file = s.source_file "
                    "and t.content_sha256 <> s.content_sha256 "
                    f"when matched and t.superseded_run_id is null then update set superseded_run_id = '{ctx.run_id}'"
                ).collect()
        rejected = OPS_TABLES["rejected_files"].location(ctx.lake_root)
        if table_exists(ctx.spark, rejected):
            ctx.spark.sql(
                f"merge into delta.`{rejected}` as t using {view} as s "
                f"on t.source = '{batch.source}' and t.file_name = s.source_file "
                "when matched and t.status = 'outstanding' then update set status = 'superseded', "
                f"note = 'a corrected delivery was ingested by run {ctx.run_id}', "
                f"updated_at = timestamp'{ctx.started_at.isoformat()}'"
            ).collect()
    finally:
        ctx.spark.catalog.dropTempView(view)


def ingest_source(ctx: RunContext, spec: SourceSpec) -> StepResult:
    started = time.perf_counter()
    result = StepResult(f"bronze:{spec.name}")
    batch = collect_new_files(ctx, spec)
    write_batch(ctx, batch)
    result.rows_in = batch.rows + batch.bad_lines
    result.rows_out = batch.rows
    result.rows_quarantined = batch.bad_lines
    counts = [f"{len(batch.files)} new file(s)"]
    if batch.skipped_files:
        counts.append(f"{len(batch.skipped_files)} already ingested")
    if batch.recovered:
        counts.append(f"{len(batch.recovered)} recovered from an interrupted run")
    notes = [", ".join(counts)]
    for parsed in batch.files:
        if parsed.delimiter != ",":
            notes.append(f"{parsed.relative_name}: read with delimiter {describe_delimiter(parsed.delimiter)}")
    if batch.warnings:
        result.status = "warn"
        notes.extend(batch.warnings[:5] + ([f"... {len(batch.warnings) - 5} more"] if len(batch.warnings) > 5 else []))
    if batch.outstanding:
        result.status = "warn"
        result.gaps.append(f"{spec.name}: rejected file(s) outstanding")
        notes.append(
            f"{len(batch.outstanding)} rejected file(s) outstanding ({', '.join(batch.outstanding[:3])}"
            + (" ..." if len(batch.outstanding) > 3 else "")
            + "): deliver a corrected file or acknowledge it with `scv files skip`"
        )
    if batch.rejected:
        result.status = "failed"  # once; later nights list it as outstanding
        notes.extend(f"REJECTED {r.reason}" for r in batch.rejected)
    result.message = "; ".join(notes)
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
