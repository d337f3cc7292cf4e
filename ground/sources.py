"""The source mapping (conf ``sources``): each export format onto a canonical silver table, validated against
the catalogue when the configuration is loaded.

A source has a name of its own (its bronze table, its progress, its freshness) and feeds the canonical table
``table`` (default: its name), so two export formats (two DMS vendors) can feed one table. A column is taken
``from`` an export column, or the first non-empty of several (``from: [close_date, engage_date]``), or
``template: "{Make} {Model}"`` (export columns combined), or ``value`` (a constant). Export column names match
whatever their case and surrounding spaces, on the file side and on the mapping side. docs/source-mapping.md
explains every key.
"""

from __future__ import annotations

import fnmatch
import re
import string
from dataclasses import dataclass, field
from typing import Any

from ground.catalogue import SILVER_TABLES
from ground.errors import Origins

# every silver table is fed by a source, except the history tables silver keeps itself
SOURCE_TABLES = sorted(set(SILVER_TABLES) - {t.history for t in SILVER_TABLES.values() if t.history})

TYPES = {"string", "int", "double", "date", "timestamp", "boolean"}
FORMATS = {"csv", "jsonl", "json"}
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|", "auto": "auto"}
UNMAPPED = {"quarantine", "keep", "default"}
SOURCE_KEYS = {
    "table", "enabled", "path", "format", "key", "version_by", "columns", "delimiter", "encoding", "freshness", "where",
}  # fmt: skip
FRESHNESS_KEYS = {"date_column", "cadence", "on_missing"}
CADENCE_DAYS = {"daily": 1, "weekly": 7}  # "optional": never missing
COLUMN_KEYS = {
    "from", "template", "value", "type", "format", "required", "codes", "unmapped", "default", "min", "not_future",
    "references", "max_null_rate",
}  # fmt: skip


def _unknown_keys(config: Origins, where: str, raw: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise config.error(f"{where}.{unknown[0]}", f"unknown key (a typo?); the keys here are {sorted(allowed)}")


def bronze_column(export_name: str) -> str:
    """Bronze column name for an export column: lower case, runs of other characters become one '_'. Both the
    file's header and the mapping's ``from`` go through it, so ' Dealer_No ' and 'dealer no' match."""
    name = re.sub(r"[^0-9a-zA-Z]+", "_", export_name.strip()).strip("_").lower()
    return name or "unnamed"


def template_fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    sources: tuple[str, ...] = ()  # export columns; the first non-empty one wins
    type: str = "string"
    format: str | None = None
    required: bool = False
    codes: dict[str, str] | None = None
    codes_name: str | None = None
    unmapped: str = "quarantine"  # a code the map lacks: quarantine the row, keep it as is, or use ``default``
    code_default: str | None = None
    min: float | None = None
    not_future: bool = False
    references: tuple[str, str] | None = None
    constant: str | None = None  # ``value:`` in the mapping, for exports that lack the column
    template: str | None = None  # ``template: "{Make} {Model}"``
    max_null_rate: float | None = None  # a night with more empty values is a warning (None: pipeline default)

    @property
    def source(self) -> str | None:
        """The export column, or the first of a fallback chain (None for a constant or a template)."""
        return self.sources[0] if self.sources else None

    @property
    def export_columns(self) -> tuple[str, ...]:
        """Every export column the value may come from."""
        return self.sources + (template_fields(self.template) if self.template else ())

    @property
    def bronze_name(self) -> str:
        return bronze_column(self.source) if self.source else ""

    @property
    def bronze_names(self) -> tuple[str, ...]:
        return tuple(bronze_column(c) for c in self.export_columns)


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
    delimiter: str = "auto"  # a character, or auto: the one of , ; tab | that splits the header best
    encoding: str = "utf-8"
    freshness: Freshness | None = None
    table: str = ""  # the canonical silver table it feeds (default: the source's name)
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)  # keep rows whose export column is one of

    def __post_init__(self) -> None:
        if not self.table:
            object.__setattr__(self, "table", self.name)

    @property
    def required_export_columns(self) -> list[tuple[str, ...]]:
        """For each required column, the export columns of which the file must hold at least one (all, for
        a template)."""
        groups: list[tuple[str, ...]] = []
        for c in self.columns:
            if c.required and c.template:
                groups.extend((f,) for f in template_fields(c.template))
            elif c.required and c.sources:
                groups.append(c.sources)
        return groups

    def column(self, name: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _normalise_code(value: str) -> str:
    return value.strip().upper()


def _sources(config: Origins, where: str, value: Any) -> tuple[str, ...]:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise config.error(f"{where}.from", "an export column name, or a list of them (the first non-empty wins)")
    return tuple(names)


def _column(config: Origins, source: str, name: str, raw: Any, code_maps: dict[str, dict[str, str]]) -> ColumnSpec:
    where = f"sources.{source}.columns.{name}"
    kinds = [k for k in ("from", "template", "value") if isinstance(raw, dict) and k in raw]
    if len(kinds) != 1:
        raise config.error(
            where, "expected exactly one of 'from' (export column or list), 'template' ('{A} {B}') or 'value'"
        )
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
    unmapped = str(raw.get("unmapped", "quarantine"))
    if unmapped not in UNMAPPED:
        raise config.error(f"{where}.unmapped", f"{unmapped!r} is not one of {sorted(UNMAPPED)}")
    if (unmapped == "default") != ("default" in raw):
        raise config.error(f"{where}.default", "give 'default' exactly when unmapped is 'default'")
    if "unmapped" in raw and codes is None:
        raise config.error(f"{where}.unmapped", "only a column with 'codes' has unmapped codes")
    references = None
    if raw.get("references"):
        table, _, column = str(raw["references"]).partition(".")
        if table not in SILVER_TABLES or not column:
            raise config.error(f"{where}.references", "must be 'table.column' of a silver table")
        references = (table, column)
    template = str(raw["template"]) if "template" in raw else None
    if template is not None and not template_fields(template):
        raise config.error(f"{where}.template", "names no export column: write them as {Column Name}")
    return ColumnSpec(
        name=name,
        sources=_sources(config, where, raw["from"]) if "from" in raw else (),
        type=dtype,
        format=raw.get("format"),
        required=bool(raw.get("required", False)),
        codes=codes,
        codes_name=codes_name,
        unmapped=unmapped,
        code_default=str(raw["default"]) if "default" in raw else None,
        min=float(raw["min"]) if raw.get("min") is not None else None,
        not_future=bool(raw.get("not_future", False)),
        references=references,
        constant=str(raw["value"]) if "value" in raw else None,
        template=template,
        max_null_rate=_rate(config, f"{where}.max_null_rate", raw.get("max_null_rate")),
    )


def _rate(config: Origins, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise config.error(key, f"must be a number from 0 to 1, got {value!r}")
    return float(value)


def _where(config: Origins, source: str, raw: Any) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, list) and v for v in raw.values()):
        raise config.error(f"sources.{source}.where", "expected {export column: [values to keep]}")
    return {str(k): tuple(_normalise_code(str(v)) for v in values) for k, values in raw.items()}


def load_sources(section: dict[str, Any], config: Origins) -> dict[str, SourceSpec]:
    """Validate the ``sources``, ``codes`` and ``csv`` configuration sections against the catalogue;
    ``config`` knows the file of each key, to name it in an error. A source set to ``null`` or with
    ``enabled: false`` is left out."""
    code_maps = section.get("codes", {}) or {}
    csv_options = section.get("csv", {}) or {}
    specs: dict[str, SourceSpec] = {}
    for name, raw in (section.get("sources") or {}).items():
        if raw is None or (isinstance(raw, dict) and raw.get("enabled", True) is False):
            continue
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", str(name)):
            raise config.error(f"sources.{name}", "a source name is letters, digits and _ (it names a bronze table)")
        if not isinstance(raw, dict) or "path" not in raw:
            raise config.error(f"sources.{name}", "expected a mapping with at least 'path' and 'columns'")
        _unknown_keys(config, f"sources.{name}", raw, SOURCE_KEYS)
        table = str(raw.get("table", name))
        if table not in SOURCE_TABLES:
            where = f"sources.{name}.table" if "table" in raw else f"sources.{name}"
            raise config.error(where, f"{table!r} is not a canonical table ({sorted(SOURCE_TABLES)})")
        fmt = raw.get("format", "csv")
        if fmt not in FORMATS:
            raise config.error(f"sources.{name}.format", f"{fmt!r} is not one of {sorted(FORMATS)}")
        columns = tuple(_column(config, name, col, spec, code_maps) for col, spec in (raw.get("columns") or {}).items())
        canonical = {name for name, _ in SILVER_TABLES[table].data_columns}
        unknown = [c.name for c in columns if c.name not in canonical]
        if unknown:
            raise config.error(f"sources.{name}.columns", f"{unknown} are not columns of silver {table}")
        key = tuple(raw.get("key") or SILVER_TABLES[table].key)
        missing_key = [k for k in key if k not in {c.name for c in columns}]
        if missing_key:
            raise config.error(f"sources.{name}.key", f"{missing_key} are not mapped columns")
        version_by = raw.get("version_by")
        if version_by is not None and version_by not in {c.name for c in columns}:
            raise config.error(f"sources.{name}.version_by", f"{version_by!r} is not a mapped column")
        delimiter = str(raw.get("delimiter", csv_options.get("delimiter", "auto")))
        if delimiter not in DELIMITERS:
            raise config.error(f"sources.{name}.delimiter", f"{delimiter!r} is not one of , ; tab | auto")
        specs[name] = SourceSpec(
            name=name,
            table=table,
            path=str(raw["path"]),
            format=fmt,
            key=key,
            columns=columns,
            version_by=version_by,
            delimiter=DELIMITERS[delimiter],
            encoding=str(raw.get("encoding", csv_options.get("encoding", "utf-8"))),
            freshness=_freshness(config, name, raw.get("freshness"), columns),
            where=_where(config, name, raw.get("where")),
        )
    return specs


def path_regex(spec: SourceSpec) -> str:
    """The source's file pattern as a regular expression that Spark (Java) and Sail (Rust) both read, matching
    ``source_file`` whatever its case."""
    return "(?i)" + fnmatch.translate(spec.path).replace("\\Z", "$")


def sources_of(specs: dict[str, SourceSpec], table: str) -> list[SourceSpec]:
    """The sources feeding one canonical table."""
    return [s for s in specs.values() if s.table == table]


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
