"""The source mapping (conf ``sources``): export columns and codes onto canonical silver tables, validated
against the catalogue when the configuration is loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ground.catalogue import SILVER_TABLES
from ground.errors import Origins

# every silver table is fed by a source, except the history tables silver keeps itself
SOURCE_TABLES = sorted(set(SILVER_TABLES) - {t.history for t in SILVER_TABLES.values() if t.history})

TYPES = {"string", "int", "double", "date", "timestamp"}
FORMATS = {"csv", "jsonl", "json"}
SOURCE_KEYS = {"path", "format", "key", "version_by", "columns", "delimiter", "encoding", "freshness"}
FRESHNESS_KEYS = {"date_column", "cadence", "on_missing"}
CADENCE_DAYS = {"daily": 1, "weekly": 7}  # "optional": never missing
COLUMN_KEYS = {
    "from", "value", "type", "format", "required", "codes", "min", "not_future", "references", "max_null_rate",
}  # fmt: skip


def _unknown_keys(config: Origins, where: str, raw: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise config.error(f"{where}.{unknown[0]}", f"unknown key (a typo?); the keys here are {sorted(allowed)}")


def bronze_column(export_name: str) -> str:
    """Bronze column name for an export column: lower case, runs of other characters become one '_'."""
    name = re.sub(r"[^0-9a-zA-Z]+", "_", export_name.strip()).strip("_").lower()
    return name or "unnamed"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    source: str | None  # export column; None when the value is a constant
    type: str = "string"
    format: str | None = None
    required: bool = False
    codes: dict[str, str] | None = None
    codes_name: str | None = None
    min: float | None = None
    not_future: bool = False
    references: tuple[str, str] | None = None
    constant: str | None = None  # ``value:`` in the mapping, for exports that lack the column
    max_null_rate: float | None = None  # a night with more empty values is a warning (None: pipeline default)

    @property
    def bronze_name(self) -> str:
        return bronze_column(self.source) if self.source else ""


@dataclass(frozen=True)
class Freshness:
    """When a source counts as missing for an as-of date D: it holds nothing dated on or after
    D - (cadence days - 1) in ``date_column``. ``on_missing``: warn (the night is incomplete) or fail."""

    date_column: str
    cadence: str = "daily"  # daily | weekly | optional
    on_missing: str = "warn"  # warn | fail

    @property
    def is_expected(self) -> bool:
        return self.cadence in CADENCE_DAYS

    @property
    def days(self) -> int:
        return CADENCE_DAYS.get(self.cadence, 0)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    path: str
    format: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    version_by: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    freshness: Freshness | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def required_export_columns(self) -> list[str]:
        return [c.source for c in self.columns if c.required and c.source]

    def column(self, name: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _normalise_code(value: str) -> str:
    return value.strip().upper()


def _column(config: Origins, source: str, name: str, raw: Any, code_maps: dict[str, dict[str, str]]) -> ColumnSpec:
    where = f"sources.{source}.columns.{name}"
    if not isinstance(raw, dict) or ("from" in raw) == ("value" in raw):
        raise config.error(where, "expected a mapping with either 'from' (export column) or 'value' (constant)")
    _unknown_keys(config, where, raw, COLUMN_KEYS)
    dtype = raw.get("type", "string")
    if dtype not in TYPES:
        raise config.error(f"{where}.type", f"{dtype!r} is not one of {sorted(TYPES)}")
    codes_name = raw.get("codes")
    codes = None
    if codes_name is not None:
        if codes_name not in code_maps:
            raise config.error(f"{where}.codes", f"code map {codes_name!r} is not defined under 'codes'")
        codes = {_normalise_code(str(k)): str(v) for k, v in code_maps[codes_name].items()}
    references = None
    if raw.get("references"):
        table, _, column = str(raw["references"]).partition(".")
        if table not in SILVER_TABLES or not column:
            raise config.error(f"{where}.references", "must be 'table.column' of a silver table")
        references = (table, column)
    return ColumnSpec(
        name=name,
        source=str(raw["from"]) if "from" in raw else None,
        type=dtype,
        format=raw.get("format"),
        required=bool(raw.get("required", False)),
        codes=codes,
        codes_name=codes_name,
        min=float(raw["min"]) if raw.get("min") is not None else None,
        not_future=bool(raw.get("not_future", False)),
        references=references,
        constant=str(raw["value"]) if "value" in raw else None,
        max_null_rate=_rate(config, f"{where}.max_null_rate", raw.get("max_null_rate")),
    )


def _rate(config: Origins, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise config.error(key, f"must be a number from 0 to 1, got {value!r}")
    return float(value)


def load_sources(section: dict[str, Any], config: Origins) -> dict[str, SourceSpec]:
    """Validate the ``sources``, ``codes`` and ``csv`` configuration sections against the catalogue;
    ``config`` knows the file of each key, to name it in an error."""
    code_maps = section.get("codes", {}) or {}
    csv_options = section.get("csv", {}) or {}
    specs: dict[str, SourceSpec] = {}
    for name, raw in (section.get("sources") or {}).items():
        if name not in SOURCE_TABLES:
            raise config.error(f"sources.{name}", f"not a canonical table ({sorted(SOURCE_TABLES)})")
        if not isinstance(raw, dict) or "path" not in raw:
            raise config.error(f"sources.{name}", "expected a mapping with at least 'path' and 'columns'")
        _unknown_keys(config, f"sources.{name}", raw, SOURCE_KEYS)
        fmt = raw.get("format", "csv")
        if fmt not in FORMATS:
            raise config.error(f"sources.{name}.format", f"{fmt!r} is not one of {sorted(FORMATS)}")
        columns = tuple(_column(config, name, col, spec, code_maps) for col, spec in (raw.get("columns") or {}).items())
        canonical = set(SILVER_TABLES[name].column_names)
        unknown = [c.name for c in columns if c.name not in canonical]
        if unknown:
            raise config.error(f"sources.{name}.columns", f"{unknown} are not columns of silver {name}")
        key = tuple(raw.get("key") or SILVER_TABLES[name].key)
        missing_key = [k for k in key if k not in {c.name for c in columns}]
        if missing_key:
            raise config.error(f"sources.{name}.key", f"{missing_key} are not mapped columns")
        version_by = raw.get("version_by")
        if version_by is not None and version_by not in {c.name for c in columns}:
            raise config.error(f"sources.{name}.version_by", f"{version_by!r} is not a mapped column")
        freshness = _freshness(config, name, raw.get("freshness"), columns)
        specs[name] = SourceSpec(
            name=name,
            path=str(raw["path"]),
            format=fmt,
            key=key,
            columns=columns,
            version_by=version_by,
            delimiter=str(raw.get("delimiter", csv_options.get("delimiter", ","))),
            encoding=str(raw.get("encoding", csv_options.get("encoding", "utf-8"))),
            freshness=freshness,
        )
    return specs


def _freshness(config: Origins, source: str, raw: Any, columns: tuple[ColumnSpec, ...]) -> Freshness | None:
    if raw is None:
        return None
    where = f"sources.{source}.freshness"
    if not isinstance(raw, dict) or "date_column" not in raw:
        raise config.error(where, "expected a mapping with 'date_column', 'cadence' and 'on_missing'")
    _unknown_keys(config, where, raw, FRESHNESS_KEYS)
    dated = {c.name for c in columns if c.type in ("date", "timestamp")}
    if raw["date_column"] not in dated:
        raise config.error(
            f"{where}.date_column", f"{raw['date_column']!r} is not a mapped date column {sorted(dated)}"
        )
    cadence, on_missing = raw.get("cadence", "daily"), raw.get("on_missing", "warn")
    if cadence not in (*CADENCE_DAYS, "optional"):
        raise config.error(f"{where}.cadence", f"{cadence!r} is not one of daily, weekly, optional")
    if on_missing not in ("warn", "fail"):
        raise config.error(f"{where}.on_missing", f"{on_missing!r} is not one of warn, fail")
    return Freshness(str(raw["date_column"]), cadence, on_missing)
