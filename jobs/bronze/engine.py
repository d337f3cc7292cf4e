"""Parsing landing files on the engine's workers: one row per file (``binaryFile``) into ``mapInArrow``, which
hashes each file and parses it with the pure rules of ``jobs/bronze/landing.py``, in parallel over files.

The client only lists the landing folder (names, sizes, modification times) and decides which files are new;
their bytes never pass through it. Each file gives rows of three kinds in one output, staged once
(``_staging/bronze_<source>``) because three writers read it:

- ``file``: one per file: its hash and status (``parsed``, ``rejected`` with the reason, ``known`` when its
  content was ingested before, ``rejected_before`` when it was refused before), its columns, the columns it
  really has, the delimiter used, its counts;
- ``row``: one per good record: the file, the line, and ``fields``, the values in the order of the file's
  columns (its ``layout``, a digest of that order, lets the bronze select pick each column by position);
- ``bad``: one per bad line: line, reason and the raw text.

Portable: ``binaryFile`` and ``mapInArrow`` exist on Sail and on Spark 4. Sail gives ``path`` without the
leading ``/`` and Spark as a ``file:`` URI, so files are matched by their path with the scheme and leading
slashes removed. Sail 0.7.2 splits a folder's files into byte ranges for its partitions and gives a file that
straddles two ranges twice (seen at medium scale: one file in about 120 twice), so the files are made distinct
by path before parsing, and ``jobs/bronze/ingest.py`` refuses an outcome that still names a file twice.
On a cluster the Python workers import this module: install the project where they run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession

from ground.sources import SourceSpec
from jobs.bronze.landing import ParsedFile, SourceFileError, parse_bytes

OUTPUT = pa.schema(
    [
        ("kind", pa.string()),
        ("source_file", pa.string()),
        ("content_sha256", pa.string()),
        ("source_line", pa.int64()),
        ("layout", pa.string()),
        ("fields", pa.list_(pa.string())),
        ("reason", pa.string()),
        ("raw", pa.string()),
        ("columns", pa.list_(pa.string())),
        ("present", pa.list_(pa.string())),
        ("delimiter", pa.string()),
        ("rows", pa.int64()),
        ("bad_lines", pa.int64()),
        ("status", pa.string()),
    ]
)
OUTPUT_DDL = (
    "kind string, source_file string, content_sha256 string, source_line bigint, layout string, "
    "fields array<string>, reason string, raw string, columns array<string>, present array<string>, "
    "delimiter string, rows bigint, bad_lines bigint, status string"
)
RAW_CHARS = 4000  # a bad line's text is kept up to this length


class EngineReadError(RuntimeError):
    """The engine's reading of the landing files does not add up (a file missing or given twice): nothing is
    taken, and the bronze phase fails naming the files."""


def engine_path_key(path: str) -> str:
    """A path as the engine names it, comparable whichever engine: no ``file:`` scheme, no leading slashes."""
    if path.startswith("file:"):
        path = path[len("file:") :]
    return path.lstrip("/")


def layout_of(columns: list[str]) -> str:
    return hashlib.sha1("\x1f".join(columns).encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True)
class ParseTask:
    """What the workers need: the source's rules, the files by engine path, and the contents already known."""

    spec: SourceSpec
    names: dict[str, str]  # engine path key -> name relative to the landing folder
    known: frozenset[str]  # hashes ingested before
    rejected: frozenset[str]  # hashes refused before

    def name_of(self, path: str) -> str:
        key = engine_path_key(path)
        return self.names.get(key) or self.names.get(unquote(key)) or key


def _batch(n: int, **values: object) -> pa.RecordBatch:
    """``n`` output rows: the given columns (an array, or one value for every row), every other one null."""
    arrays = []
    for field in OUTPUT:
        value = values.get(field.name)
        if value is None:
            arrays.append(pa.nulls(n, field.type))
        elif isinstance(value, pa.ChunkedArray):
            arrays.append(value.combine_chunks())
        elif isinstance(value, pa.Array):
            arrays.append(value)
        else:
            arrays.append(pa.repeat(pa.scalar(value, field.type), n))
    return pa.RecordBatch.from_arrays(arrays, schema=OUTPUT)


def _fields(parsed: ParsedFile) -> pa.Array:
    """Each good row's values, in the order of the file's columns, as one list per row."""
    assert parsed.table is not None
    n, k = parsed.table.num_rows, len(parsed.columns)
    if k == 0:
        return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string()))
    by_column = pa.concat_arrays([parsed.table.column(i).combine_chunks() for i in range(k)])  # column after column
    row_major = by_column.take(pa.array(np.arange(n * k, dtype=np.int64).reshape(k, n).T.ravel()))
    offsets = pa.array(np.arange(0, n * k + 1, k, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, row_major)


def _outcome(task: ParseTask, name: str, data: bytes) -> Iterator[pa.RecordBatch]:
    sha = hashlib.sha256(data).hexdigest()
    if sha in task.known or sha in task.rejected:
        yield _batch(1, kind="file", source_file=name, content_sha256=sha,
                     status="known" if sha in task.known else "rejected_before")  # fmt: skip
        return
    try:
        parsed = parse_bytes(name, data, task.spec, sha)
    except SourceFileError as exc:
        yield _batch(1, kind="file", source_file=name, content_sha256=sha, status="rejected", reason=str(exc))
        return
    yield _batch(
        1,
        kind="file",
        source_file=name,
        content_sha256=sha,
        status="parsed",
        columns=pa.array([parsed.columns], OUTPUT.field("columns").type),
        present=pa.array([sorted(parsed.present_columns)], OUTPUT.field("present").type),
        delimiter=parsed.delimiter,
        rows=parsed.row_count,
        bad_lines=len(parsed.bad_lines),
    )
    if parsed.row_count:
        assert parsed.table is not None
        yield _batch(
            parsed.row_count,
            kind="row",
            source_file=name,
            content_sha256=sha,
            source_line=parsed.table.column("_source_line"),
            layout=layout_of(parsed.columns),
            fields=_fields(parsed),
        )
    if parsed.bad_lines:
        bad = parsed.bad_lines
        yield _batch(
            len(bad),
            kind="bad",
            source_file=name,
            content_sha256=sha,
            source_line=pa.array([b.line for b in bad], pa.int64()),
            reason=pa.array([b.reason for b in bad], pa.string()),
            raw=pa.array([b.raw[:RAW_CHARS] for b in bad], pa.string()),
        )


def parser(task: ParseTask) -> Callable[[Iterable[pa.RecordBatch]], Iterable[pa.RecordBatch]]:
    """The ``mapInArrow`` function: binaryFile batches in, outcome batches out."""

    def parse_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = batch.column("content")
            for i, path in enumerate(paths):
                yield from _outcome(task, task.name_of(path), contents[i].as_py())

    return parse_batches


def parse_on_engine(spark: SparkSession, task: ParseTask, paths: list[str]) -> DataFrame:
    """The outcome of parsing ``paths`` (as the engine reads them) on the engine's workers."""
    files_df = spark.read.format("binaryFile").load(paths).select("path", "content")
    return files_df.dropDuplicates(["path"]).mapInArrow(parser(task), OUTPUT_DDL)
