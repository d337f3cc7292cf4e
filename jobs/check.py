"""The night's first step: the quick mapping check of every source (the files its pattern matches, the
mapped columns in the newest file's header), printed and recorded in ``ops/mapping_checks``. It only warns:
a file that cannot be taken fails its bronze step, and ``scv mapping check`` types a sample for the details."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ground.catalogue import OPS_TABLES
from ground.run import RunContext, StepResult
from ground.sources import SourceSpec, bronze_column
from ground.spark_io import append
from jobs.bronze.landing import detect_delimiter, discover


@dataclass
class ColumnReport:
    name: str
    export: str
    found_in: int = 0  # files holding it
    required: bool = False
    type: str = "string"
    checked: int = 0
    failed: int = 0
    examples: list[str] = field(default_factory=list)
    unmapped_codes: dict[str, int] = field(default_factory=dict)

    @property
    def parse_rate(self) -> float | None:
        return None if not self.checked else 1 - self.failed / self.checked


@dataclass
class SourceReport:
    source: str
    table: str
    pattern: str
    files: list[str] = field(default_factory=list)
    columns: list[ColumnReport] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)
    sampled_rows: int = 0
    delimiters: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "blocked" if self.blockers else ("warn" if self.warnings else "ok")


def describe_export(column: Any) -> str:
    if column.constant is not None:
        return f"value {column.constant!r}"
    if column.template is not None:
        return f"template {column.template!r}"
    return " else ".join(repr(s) for s in column.sources)


def header_check(spec: SourceSpec, landing: Path) -> SourceReport:
    """The night's quick check: the files matched, and the columns the newest file's header holds (its first
    line only; nothing is parsed or typed)."""
    report = SourceReport(spec.name, spec.table, spec.path)
    paths = discover(landing, spec)
    report.files = [p.relative_to(landing).as_posix() for p in paths]
    if not paths:
        report.warnings.append(f"no file under {landing} matches {spec.path!r}")
        return report
    if spec.format != "csv":
        return report  # JSON keys can differ from record to record: bronze and silver judge them
    with paths[-1].open("rb") as handle:
        first = handle.readline().lstrip(b"\xef\xbb\xbf").decode(spec.encoding, errors="replace").strip()
    delimiter = detect_delimiter(first, spec) if spec.delimiter == "auto" else spec.delimiter
    present = {bronze_column(h) for h in first.split(delimiter)}
    for c in spec.columns:
        names = [bronze_column(e) for e in c.export_columns]
        if not names or (any(n in present for n in names) if c.sources else all(n in present for n in names)):
            continue
        text = f"{report.files[-1]}: {c.name} ({describe_export(c)}) is not in the header"
        (report.blockers if c.required else report.warnings).append(text)
    return report


def check_mapping(ctx: RunContext) -> Iterator[StepResult]:
    landing = Path(ctx.config.paths.landing_dir)
    if not landing.is_dir():
        return  # bronze fails the night on it, with the folder named
    rows = []
    for spec in ctx.sources.values():
        started = time.perf_counter()
        report = header_check(spec, landing)
        result = StepResult(f"check:{spec.name}", counts_rows=False)
        findings = report.blockers + report.warnings
        result.status = "warn" if findings else "ok"
        result.message = "; ".join(findings) or f"{len(report.files)} file(s); the newest header holds the mapping"
        if findings:
            result.message += f" (scv mapping check --source {spec.name})"
        rows.append(
            (ctx.run_id, spec.name, report.status, len(report.files), "; ".join(report.blockers))
            + ("; ".join(report.warnings), datetime.now(UTC))
        )
        result.seconds = time.perf_counter() - started
        yield result
    if rows:
        table = OPS_TABLES["mapping_checks"]
        append(ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)
