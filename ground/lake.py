"""Reading Delta tables without Spark (app, alert agent, status, evaluation) through delta-rs.

Reads go through delta-rs' ``QueryBuilder`` (DataFusion), which honours deletion vectors written by a Spark
cluster, and come back as plain Arrow (view types cast to their ordinary forms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder, write_deltalake
from deltalake.exceptions import TableNotFoundError

if TYPE_CHECKING:
    from ground.catalogue import Table

_VIEW_CASTS = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}


def open_table(location: str, storage_options: dict[str, str] | None = None) -> DeltaTable | None:
    """The Delta table at ``location``, or None when no table has been written there yet."""
    try:
        return DeltaTable(location, storage_options=storage_options)
    except TableNotFoundError:
        return None


def _plain_type(dtype: pa.DataType) -> pa.DataType:
    if dtype in _VIEW_CASTS:
        return _VIEW_CASTS[dtype]
    if pa.types.is_list_view(dtype) or pa.types.is_large_list_view(dtype):
        return pa.list_(_plain_type(dtype.value_type))
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return pa.list_(_plain_type(dtype.value_type))
    return dtype


def plain_arrow(table: pa.Table) -> pa.Table:
    """Cast view types (string_view, list_view) to plain ones and drop Spark field metadata."""
    schema = pa.schema([pa.field(f.name, _plain_type(f.type), f.nullable) for f in table.schema])
    return table.cast(schema)


def query(tables: dict[str, DeltaTable], sql: str) -> pa.Table:
    """Run DataFusion SQL over registered Delta tables and return an Arrow table."""
    builder = QueryBuilder()
    for name, table in tables.items():
        builder = builder.register(name, table)
    reader = pa.RecordBatchReader.from_stream(builder.execute(sql))
    return plain_arrow(reader.read_all())


def read_table(location: str, where: str | None = None, columns: list[str] | None = None) -> pa.Table | None:
    """Read a Delta table (optionally filtered with a SQL predicate); None when the table does not exist."""
    table = open_table(location)
    if table is None:
        return None
    select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    sql = f"select {select} from t" + (f" where {where}" if where else "")
    return query({"t": table}, sql)


def table_summary(location: str) -> dict[str, Any] | None:
    """Version, row count and last operation of a Delta table, or None when absent."""
    table = open_table(location)
    if table is None:
        return None
    history = table.history(1)
    rows = query({"t": table}, "select count(*) as n from t").column("n")[0].as_py()
    last = history[0] if history else {}
    return {
        "version": table.version(),
        "rows": rows,
        "operation": last.get("operation"),
        "timestamp_ms": last.get("timestamp"),
    }


def commit_metrics(location: str) -> dict[str, int]:
    """The numeric operation metrics of the table's last commit, as integers (Sail writes them as numbers,
    Spark as strings)."""
    table = open_table(location)
    if table is None:
        return {}
    metrics = (table.history(1) or [{}])[0].get("operationMetrics") or {}
    return {k: int(v) for k, v in metrics.items() if str(v).lstrip("-").isdigit()}


def write_rows(
    table: Table, lake_root: str, rows: list[dict[str, Any]], mode: Literal["append", "overwrite"] = "append"
) -> str:
    """Write plain rows as a catalogue table with delta-rs (its schema and partitioning); returns its location.

    For small tables written outside the nightly job (fixtures, benchmarks); the pipeline writes with Spark.
    """
    location = table.location(lake_root)
    data = pa.Table.from_pylist(rows, schema=table.arrow_schema)
    write_deltalake(location, data, partition_by=list(table.partition_by) or None, mode=mode)
    return location
