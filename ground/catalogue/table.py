"""What a catalogue entry is: a table's columns, key, partitioning, data-quality checks and, for gold tables,
its place in the declared graph (the inputs it reads and where its logic lives).

Column types are a small portable vocabulary translated to Spark DDL and to Arrow. ``location`` is the one
function that says where a table lives under the lake root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "array<string>": pa.list_(pa.string()),
}

Layer = Literal["bronze", "silver", "gold", "quarantine", "ops", "_staging", "app"]
# the partition column of a table partitioned by month (``Table.month_of``): derived at every write, never mapped
PARTITION_MONTH = "partition_month"
Level = Literal["fail", "warn"]


def location(lake_root: str, layer: str, name: str) -> str:
    """Where a table lives: ``<lake_root>/<layer>/<name>``. Every path to a table is built here."""
    return f"{lake_root.rstrip('/')}/{layer}/{name}"


@dataclass(frozen=True)
class Check:
    """One data-quality expectation: ``fail`` stops the night (exit 1), ``warn`` is reported."""

    kind: Literal["not_null", "unique", "compound_unique", "in_set", "between"]
    kwargs: tuple[tuple[str, Any], ...]
    level: Level = "fail"

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.kwargs)


def not_null(column: str, level: Level = "fail") -> Check:
    return Check("not_null", (("column", column),), level)


def in_set(column: str, values: list[str] | tuple[str, ...], level: Level = "fail") -> Check:
    return Check("in_set", (("column", column), ("value_set", list(values))), level)


def between(column: str, low: float | None, high: float | None = None, level: Level = "fail") -> Check:
    return Check("between", (("column", column), ("min_value", low), ("max_value", high)), level)


def cols(spec: str) -> tuple[tuple[str, str], ...]:
    """Parse ``"a string, b date"`` (a type may hold no comma)."""
    columns = []
    for part in spec.split(","):
        name, dtype = part.strip().split(" ", 1)
        columns.append((name, dtype.strip()))
    return tuple(columns)


@dataclass(frozen=True)
class Table:
    name: str
    layer: Layer
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    description: str = ""
    # data-quality expectations beyond the key (the key is always checked not null and unique)
    checks: tuple[Check, ...] = ()
    # silver: the table that keeps every version of each key (its key is this key plus the version column)
    history: str | None = None
    # gold, the declared graph: the tables and shared views the logic reads (each a temp view of that name),
    # and where the logic lives: "sql" is sql/gold/<name>.sql, "python" is gold/<name>.py
    inputs: tuple[str, ...] = ()
    logic: Literal["sql", "python"] = "sql"
    built_by: str | None = None  # a gold table written by another table's Python logic
    # silver: partitioned by the month of this date or timestamp column. The table gains the column
    # PARTITION_MONTH (the first day of that month), which every write derives (ground.spark_io.conformed) and no
    # source maps: a night's MERGE then reads and rewrites only the months its batch touches.
    month_of: str | None = None

    def __post_init__(self) -> None:
        if self.month_of and PARTITION_MONTH not in self.column_names:
            object.__setattr__(self, "columns", (*self.columns, (PARTITION_MONTH, "date")))
            object.__setattr__(self, "partition_by", (PARTITION_MONTH,))

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def data_columns(self) -> tuple[tuple[str, str], ...]:
        """The columns a source maps or a job computes: every column but the derived partition month."""
        return tuple((name, dtype) for name, dtype in self.columns if not (self.month_of and name == PARTITION_MONTH))

    @property
    def month_keeps_to_key(self) -> bool:
        """A row's partition month never changes: its month column is part of its key."""
        return self.month_of is not None and self.month_of in self.key

    @property
    def ddl(self) -> str:
        """Spark DDL schema string, e.g. ``opty_id string, total_score double``."""
        return ", ".join(f"{name} {dtype}" for name, dtype in self.columns)

    @property
    def arrow_schema(self) -> pa.Schema:
        """Every column nullable, in catalogue order: the schema a table is created with on every engine."""
        return pa.schema([pa.field(name, ARROW_TYPES[dtype], nullable=True) for name, dtype in self.columns])

    def location(self, lake_root: str) -> str:
        return location(lake_root, self.layer, self.name)

    @property
    def key_checks(self) -> tuple[Check, ...]:
        nulls = tuple(not_null(k) for k in self.key)
        if len(self.key) == 1:
            return (*nulls, Check("unique", (("column", self.key[0]),)))
        return (*nulls, Check("compound_unique", (("column_list", list(self.key)),)))

    @property
    def all_checks(self) -> tuple[Check, ...]:
        return self.key_checks + self.checks


@dataclass(frozen=True)
class View:
    """A shared view of the gold graph: sql/views/<name>.sql, registered before the tables that read it and
    never stored. Declared once so that every table means the same thing by it."""

    name: str
    inputs: tuple[str, ...]
    description: str = ""
    # read by several tables: materialised once per run (ground.spark_io.stage) instead of recomputed by each
    staged: bool = False
