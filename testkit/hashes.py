"""A content hash per silver and gold table of a lake: the proof that two lakes hold the same rows.

Rows are read with delta-rs, the columns a run stamps with its own clock (``scored_at``, ``ingested_at``) are
left out, columns are taken by name in sorted order (so column order and nullability do not count, only
content), rows are sorted, and the whole is hashed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from ground.lake import open_table, query

RUN_STAMPED = {"scored_at", "ingested_at", "_ingested_at", "_ingest_date", "_run_id", "run_id", "quarantined_at"}
RUN_IDS = {"resolved_run_id", "superseded_run_id"}  # which run set them differs; whether one did must not
LAYERS = ("silver", "gold")


def _canonical(table: pa.Table) -> pa.Table:
    names = sorted(c for c in table.column_names if c not in RUN_STAMPED)
    table = table.select(names)
    for name in RUN_IDS & set(names):
        table = table.set_column(names.index(name), name, pc.is_valid(table.column(name)))
    if table.num_rows == 0:
        return table
    keys = [(name, "ascending") for name in names if not pa.types.is_list(table.schema.field(name).type)]
    return table.take(pc.sort_indices(table, sort_keys=keys))


def _column_digest(column: pa.ChunkedArray) -> bytes:
    """The 64-bit hash of every value of a column (pandas' ``hash_pandas_object``), in row order: doubles rounded
    to 9 places first (their last bits may differ between engines and between runs that add in another order),
    dates and times as their integers, nested values as JSON."""
    kind = column.type
    if pa.types.is_floating(kind):
        column = pc.add(pc.round(column, 9), 0.0)  # and -0.0 as 0.0
    elif pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        column = pc.cast(column, pa.int64() if pa.types.is_timestamp(kind) else pa.int32())
    elif pa.types.is_nested(kind) or pa.types.is_decimal(kind):
        column = pa.chunked_array([pa.array([json.dumps(v, default=str) for v in column.to_pylist()], pa.string())])
    values = column.to_pandas()
    return pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()


def table_hash(table: pa.Table) -> str:
    canonical = _canonical(table)
    digest = hashlib.sha256("|".join(canonical.column_names).encode())
    digest.update(str(canonical.num_rows).encode())
    for name in canonical.column_names:
        digest.update(_column_digest(canonical.column(name)))
    return digest.hexdigest()[:16]


def lake_tables(lake_root: str, layers: tuple[str, ...] = LAYERS) -> dict[str, DeltaTable]:
    """Every Delta table of the layers by ``<layer>/<table>``, opened, not read: read them one at a time with
    ``read`` (a whole lake held at once is gigabytes at medium scale)."""
    found: dict[str, DeltaTable] = {}
    for layer in layers:
        folder = Path(lake_root) / layer
        if folder.is_dir():
            for path in sorted(p for p in folder.iterdir() if p.is_dir()):
                delta = open_table(str(path))
                if delta is not None:
                    found[f"{layer}/{path.name}"] = delta
    return found


def read(delta: DeltaTable) -> pa.Table:
    return query({"t": delta}, "select * from t")


def lake_hashes(lake_root: str, layers: tuple[str, ...] = LAYERS) -> dict[str, dict[str, object]]:
    hashes: dict[str, dict[str, object]] = {}
    for name, delta in lake_tables(lake_root, layers).items():
        table = read(delta)
        hashes[name] = {"rows": table.num_rows, "sha256": table_hash(table)}
    return hashes


def rebuild_differences(lake_root: str, rebuild_root: str) -> list[str]:
    """The silver and gold tables where a lake built night after night differs from a rebuild from scratch of
    its last night (every landing file in one night), one line each; none when they hold the same rows.

    A dated table is compared on the as-of dates the rebuild holds (the rebuild computes its own night, not the
    earlier nights the other lake kept); every other table whole."""
    built, rebuilt = lake_tables(lake_root), lake_tables(rebuild_root)
    differences = []
    for name in sorted(set(built) | set(rebuilt)):
        if name not in built or name not in rebuilt:
            differences.append(f"{name}: only in the {'rebuild' if name in rebuilt else 'nightly lake'}")
            continue
        table, expected = read(built[name]), read(rebuilt[name])
        if "as_of_date" in table.column_names and expected.num_rows:
            table = table.filter(pc.is_in(table.column("as_of_date"), value_set=expected.column("as_of_date").unique()))
        if table_hash(table) != table_hash(expected):
            differences.append(f"{name}: {table.num_rows:,} rows against the rebuild's {expected.num_rows:,}")
    return differences
