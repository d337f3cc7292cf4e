"""Bronze: every new landing file, as-is, into an append-only Delta table per source.

All export columns are kept as strings (names normalised to lower snake case), plus where each row came from:
``_source_file``, ``_source_line``, ``_content_sha256``, ``_run_id``, ``_ingested_at`` and ``_ingest_date``
(the partition). The files are parsed on the engine's workers (``jobs/bronze/engine.py``): this process lists
the landing folder and decides, from names, sizes and modification times, which files to hand over. A file
taken before and untouched is not read at all; one whose content hash was ingested before is skipped, so a
re-delivered file or a rerun never duplicates rows. Records that cannot be parsed go to ``quarantine/bronze``
with file, line and reason, keyed by delivery; a new delivery of a file closes the quarantine rows of the one
it replaces.

A file that cannot be taken at all (empty, binary, a required column missing) is recorded once in
``ops/rejected_files`` and fails its source that night, naming the file and what is wrong; on later nights it
is listed as outstanding (a warning: the night is incomplete) until a corrected delivery arrives or someone
acknowledges it with ``scv files skip``. The other files and sources still land.

A crash never leaves rows twice: rows are appended before their file is registered, and a file whose rows
are already in bronze (a crash came between the two) is registered without appending them again.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pyspark.sql import Column, DataFrame, Row
from pyspark.sql import functions as F

from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES, bronze_location
from ground.failpoints import failpoint
from ground.run import RunContext, StepResult
from ground.sources import SourceSpec, bronze_column
from ground.spark_io import append, merge_insert_new, merge_upsert, read_table, stage, table_exists
from jobs.bronze.engine import EngineReadError, ParseTask, engine_path_key, layout_of, parse_on_engine
from jobs.bronze.landing import SourceFileError, check_file, describe_delimiter
from jobs.bronze.listing import LandingFile, landing_exists, list_files


@dataclass(frozen=True)
class Rejection:
    file_name: str
    sha256: str
    size_bytes: int
    reason: str


@dataclass(frozen=True)
class TakenFile:
    """A new file the engine parsed: what bronze, the quarantine and ops/ingested_files need of it."""

    relative_name: str
    sha256: str
    columns: list[str]
    present_columns: set[str]
    delimiter: str
    row_count: int
    bad_count: int


@dataclass
class BronzeBatch:
    source: str
    files: list[TakenFile] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)  # new this night: the step fails
    outstanding: list[str] = field(default_factory=list)  # rejected on an earlier night, not yet dealt with
    absent: list[tuple[str, str, str, int]] = field(default_factory=list)  # mapped columns a file lacks
    recovered: set[str] = field(default_factory=set)  # hashes whose rows a crashed run already appended
    stats: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # sha256 -> size, modification time
    restated: list[tuple[str, str, int, datetime]] = field(default_factory=list)  # known content, new stat
    parsed_df: DataFrame | None = None  # the engine's outcome (staged): rows and bad lines of the new files

    @property
    def rows(self) -> int:
        return sum(f.row_count for f in self.files)

    @property
    def bad_lines(self) -> int:
        return sum(f.bad_count for f in self.files)


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
    """Hand the source's new landing files to the engine and sort out what it found: files parsed, files
    whose content was taken (or refused) before, files refused now."""
    registered = _registered(ctx, spec.name)
    rejections = _rejections(ctx, spec.name)
    batch = BronzeBatch(spec.name)
    candidates = []
    empty: dict[str, Row] = {}
    for landing_file in list_files(ctx.config.paths.landing_dir, spec):
        if landing_file.stat in registered.stats:  # taken before, untouched: not even read
            batch.skipped_files.append(landing_file.name)
        elif landing_file.size == 0:  # engines skip empty files: judged here, as the parser would
            empty[landing_file.name] = _empty_outcome(landing_file.name, spec, registered.hashes, rejections)
            candidates.append(landing_file)
        else:
            candidates.append(landing_file)
    if not candidates:
        return batch
    found = dict(empty)
    read = [f for f in candidates if f.name not in empty]
    task = ParseTask(
        spec,
        {engine_path_key(f.path): f.name for f in candidates},
        frozenset(registered.hashes),
        frozenset(rejections),
    )
    if read:
        parsed_df = parse_on_engine(ctx.spark, task, [f.path for f in read])
        batch.parsed_df = stage(ctx.spark, parsed_df, ctx.lake_root, f"bronze_{spec.name}")
        outcomes = batch.parsed_df.where(F.col("kind") == "file").drop("fields").collect()
        twice = sorted(name for name, n in Counter(r.source_file for r in outcomes).items() if n > 1)
        if twice:  # its rows would be in bronze twice
            raise EngineReadError(f"the engine read {twice[:5]} more than once ({len(twice)} file(s)): nothing taken")
        found.update({r.source_file: r for r in outcomes})
    unread = [f.name for f in read if f.name not in found]
    if unread:
        raise EngineReadError(f"the engine did not read {unread[:5]} ({len(unread)} file(s)): gone, or not readable")
    seen = set(registered.hashes)
    for landing_file in candidates:  # in name order, as if read one after the other
        _sort_out(batch, spec, landing_file, found[landing_file.name], seen, rejections)
    batch.recovered = already_in_bronze(ctx, spec.name, {f.sha256 for f in batch.files}, registered.last_at)
    return batch


def _empty_outcome(name: str, spec: SourceSpec, known: set[str], rejections: dict[str, tuple[str, str]]) -> Row:
    sha = hashlib.sha256(b"").hexdigest()
    if sha in known or sha in rejections:
        return Row(source_file=name, content_sha256=sha, status="known" if sha in known else "rejected_before")
    try:
        check_file(name, b"", spec)
    except SourceFileError as exc:
        return Row(source_file=name, content_sha256=sha, status="rejected", reason=str(exc))
    raise AssertionError("an empty file is always refused")


def _sort_out(
    batch: BronzeBatch,
    spec: SourceSpec,
    landing_file: LandingFile,
    outcome: Row,
    seen: set[str],
    rejections: dict[str, tuple[str, str]],
) -> None:
    name, sha, status = landing_file.name, outcome.content_sha256, outcome.status
    if sha in seen:  # same content as a file taken before (or earlier tonight): remember its new name or time
        batch.skipped_files.append(name)
        batch.restated.append((name, sha, landing_file.size, landing_file.modified))
        return
    if sha in rejections:
        if rejections[sha][1] == "outstanding":
            batch.outstanding.append(name)
        return
    if status == "rejected":
        batch.rejected.append(Rejection(name, sha, landing_file.size, outcome.reason))
        rejections[sha] = (name, "outstanding")
        return
    taken = TakenFile(
        name,
        sha,
        list(outcome.columns),
        set(outcome.present),
        outcome.delimiter,
        outcome.rows,
        outcome.bad_lines,
    )
    seen.add(sha)
    batch.files.append(taken)
    batch.stats[sha] = (landing_file.size, landing_file.modified)
    batch.absent.extend(absent_columns(taken, spec))


def absent_columns(parsed: TakenFile, spec: SourceSpec) -> list[tuple[str, str, str, int]]:
    """(what is absent, canonical column, file, rows) per mapped column the file does not have (none of a
    fallback chain, or one of a template): its canonical column is empty (or partial) for every row."""
    found = []
    for c in spec.columns:
        absent = [e for e in c.export_columns if bronze_column(e) not in parsed.present_columns]
        if c.template and absent:
            what = f"template column(s) {absent}"
        elif c.sources and len(absent) == len(c.sources):
            what = f"mapped column {' or '.join(repr(a) for a in absent)}"
        else:
            continue
        found.append((what, c.name, parsed.relative_name, parsed.row_count))
    return found


def absent_warnings(absent: list[tuple[str, str, str, int]]) -> list[str]:
    """One warning per absent column: naming the file when one file lacks it, else how many and the first
    three (a column every file of the night lacks is one line, not one per file)."""
    grouped: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for what, column, file, rows in absent:
        grouped.setdefault((what, column), []).append((file, rows))
    warnings = []
    for (what, column), files in grouped.items():
        rows = sum(r for _, r in files)
        if len(files) == 1:
            warnings.append(f"{files[0][0]}: {what} is not in the file ({column}), so {column} is empty or "
                            f"partial in its {rows:,} rows")  # fmt: skip
        else:
            names = ", ".join(f for f, _ in files[:3]) + (" ..." if len(files) > 3 else "")
            warnings.append(f"{what} is not in {len(files)} files ({column}: {names}), so {column} is empty or "
                            f"partial in their {rows:,} rows")  # fmt: skip
    return warnings


def _column(name: str, layouts: dict[str, list[str]]) -> Column:
    """The bronze column ``name`` picked from each row's fields by the position it has in its file's layout."""
    picks = [(layout, columns.index(name) + 1) for layout, columns in layouts.items() if name in columns]
    if len({position for _, position in picks}) == 1 and len(picks) == len(layouts):  # the same place everywhere
        return F.element_at("fields", picks[0][1]).alias(name)
    value = F.lit(None).cast("string")
    for layout, position in picks:
        value = F.when(F.col("layout") == layout, F.element_at("fields", position)).otherwise(value)
    return value.alias(name)


def _bronze_rows(ctx: RunContext, batch: BronzeBatch, files: list[TakenFile]) -> DataFrame:
    """The new files' good rows with every batch column (absent ones null) and the ingestion metadata."""
    assert batch.parsed_df is not None
    columns = list(dict.fromkeys(c for f in batch.files for c in f.columns))
    layouts = {layout_of(f.columns): f.columns for f in files}
    rows_df = batch.parsed_df.where(
        (F.col("kind") == "row") & F.col("source_file").isin(*[f.relative_name for f in files])
    )
    return rows_df.select(
        *[_column(c, layouts) for c in columns],
        F.col("source_file").alias("_source_file"),
        F.col("source_line").alias("_source_line"),
        F.col("content_sha256").alias("_content_sha256"),
        F.lit(ctx.run_id).alias("_run_id"),
        F.lit(ctx.started_at).cast("timestamp").alias("_ingested_at"),
        F.lit(ctx.started_at.date()).alias("_ingest_date"),
    )


def write_batch(ctx: RunContext, batch: BronzeBatch) -> None:
    """Append the batch's rows to bronze (one commit: a file's rows are in bronze whole or not at all), its
    bad lines to quarantine, then register its files and close what they replace."""
    location = bronze_location(ctx.lake_root, batch.source)
    files = [f for f in batch.files if f.row_count and f.sha256 not in batch.recovered]
    if files:
        writer = _bronze_rows(ctx, batch, files).write.format("delta").mode("append").option("mergeSchema", "true")
        if not table_exists(ctx.spark, location):
            writer = writer.partitionBy("_ingest_date")
        writer.save(location)
        failpoint("bronze_append")
    _quarantine_bad_lines(ctx, batch)
    _register_files(ctx, batch)
    failpoint("file_registration")
    _record_rejections(ctx, batch)
    _close_superseded(ctx, batch)


def _quarantine_bad_lines(ctx: RunContext, batch: BronzeBatch) -> None:
    files = [f.relative_name for f in batch.files if f.bad_count]
    if not files:
        return
    assert batch.parsed_df is not None
    bad_df = batch.parsed_df.where((F.col("kind") == "bad") & F.col("source_file").isin(*files)).select(
        F.lit(batch.source).alias("source"),
        "source_file",
        "source_line",
        "reason",
        F.col("raw").alias("raw_line"),
        F.lit(ctx.run_id).alias("run_id"),
        F.lit(ctx.started_at).cast("timestamp").alias("ingested_at"),
        "content_sha256",
        F.lit(None).cast("string").alias("superseded_run_id"),
    )
    merge_insert_new(ctx.spark, bad_df, QUARANTINE_TABLES["bronze"], ctx.lake_root)


def _register_files(ctx: RunContext, batch: BronzeBatch) -> None:
    """Register the batch's files in ingested_files; a known content seen under a new name or time goes to
    seen_files (not ingested), so that from the next night on it is recognised without being read."""
    table = OPS_TABLES["ingested_files"]
    rows = [
        (batch.source, f.relative_name, f.sha256, ctx.run_id, f.row_count, f.bad_count, ctx.started_at)
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
    warnings = absent_warnings(batch.absent)
    if warnings:
        result.status = "warn"
        notes.extend(warnings[:5] + ([f"... {len(warnings) - 5} more"] if len(warnings) > 5 else []))
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
    landing = ctx.config.paths.landing_dir
    if not landing_exists(landing):
        yield StepResult("bronze", status="failed", message=f"the landing folder {landing} does not exist")
        return
    for spec in ctx.sources.values():
        yield ingest_source(ctx, spec)
