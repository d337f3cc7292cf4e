"""``scv mapping check``: before anything is loaded, does the mapping fit the exports?

Per source: the files its pattern matches, each mapped column found or missing in them, the share of a sample
of rows each typed column parses (with examples that do not), the codes the code maps do not know (with
counts), and what the gold layer will lack. The sample is typed by the same rules the night uses (the silver
``conform`` on the embedded engine), so a wrong date format shows here first.

Exit codes: 0 clean (warnings allowed), 1 a blocker (no file, a required column missing, a column failing in
more of the sample than ``pipeline.max_quarantine_rate``), 2 a configuration error.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ground.config import Config
from ground.sources import SOURCE_TABLES, SourceSpec, bronze_column
from jobs.check import ColumnReport, SourceReport, describe_export

SAMPLE_FILES = 3  # the newest files of a source are read
SAMPLE_ROWS = 2000  # ... and this many of their rows are typed

# what the gold layer lacks when a canonical column has no value (None: nothing in particular)
LACKS = {
    ("customer_pipeline", "created_date"): "no created date: leads are not counted or scored",
    ("customer_pipeline", "updated_at"): "no update time: versions are not dated, so gold sees no opportunity",
    ("customer_pipeline", "taluka"): "no taluka: no market hotspots",
    ("customer_pipeline", "district"): "no district: no market hotspots or top talukas",
    ("customer_pipeline", "lead_classification"): "no lead classification: no high-intent counts",
    ("customer_pipeline", "expected_closure_date"): "no expected closure: the closure score is the missing value",
    ("customer_pipeline", "customer_phone"): "no phone: the app shows no tap-to-call",
    ("retail", "units"): "no units: retail volume is 0",
    ("retail", "value"): "no invoice value: kpi_daily's retail value and product_abc are empty",
    ("stock", "last_receipt_date"): "no receipt dates: slow_moving_stock has no stock age",
}
TABLE_LACKS = {
    "customer_pipeline": "no opportunities: every gold table is empty",
    "call_log": "no calls: follow-up and engagement scores are 0 and nobody counts as contacted",
    "stock": "no stock: the stock score is 0 and every taluka with demand shows a supply gap",
    "retail": "no retail: retail volume and growth are 0",
    "customer_journey": "no journey events",
    "dealers": "no dealer master: dealer locations come from the pipeline only",
    "targets": "no targets: kpi_daily has no month-to-date against target",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="check the mapping against the exports, before anything is loaded")
    check.add_argument("--source", action="append", help="only this source (repeatable)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--no-sample", action="store_true", help="headers only: do not type a sample of rows")


def headers(spec: SourceSpec, landing: Path) -> tuple[SourceReport, list[Any]]:
    """Files, columns found or missing, and the parsed newest files (for the sample)."""
    from jobs.bronze.landing import SourceFileError, discover, parse_file

    report = SourceReport(spec.name, spec.table, spec.path)
    paths = discover(landing, spec)
    report.files = [p.relative_to(landing).as_posix() for p in paths]
    report.columns = [ColumnReport(c.name, describe_export(c), required=c.required, type=c.type) for c in spec.columns]
    if not paths:
        report.blockers.append(f"no file under {landing} matches {spec.path!r}")
        report.lacks.append(TABLE_LACKS.get(spec.table, f"no {spec.table}"))
        return report, []
    parsed_files = []
    for path in paths[-SAMPLE_FILES:]:
        try:
            parsed = parse_file(path, landing, spec)
        except SourceFileError as exc:
            report.blockers.append(str(exc))
            continue
        parsed_files.append(parsed)
        if parsed.delimiter != ",":
            report.delimiters[parsed.relative_name] = parsed.delimiter
        for column, mapped in zip(report.columns, spec.columns, strict=True):
            names = {bronze_column(e) for e in mapped.export_columns}
            if mapped.constant is not None or (names and names & parsed.present_columns):
                column.found_in += 1
    for column, mapped in zip(report.columns, spec.columns, strict=True):
        if mapped.constant is not None or column.found_in == len(parsed_files):
            continue
        where = f"{column.found_in} of the {len(parsed_files)} newest file(s)"
        if mapped.required:
            report.blockers.append(f"{column.name}: required, its export column {column.export} is in {where}")
        else:
            report.warnings.append(
                f"{column.name}: its export column {column.export} is in {where}; the rest leave it empty"
            )
            if (spec.table, column.name) in LACKS and column.found_in == 0:
                report.lacks.append(LACKS[(spec.table, column.name)])
    return report, parsed_files


def _unmapped(spec: SourceSpec, report: SourceReport, sample: pa.Table) -> None:
    """Codes the maps do not know, with counts (in every policy: kept or defaulted codes are shown too)."""
    for column, mapped in zip(report.columns, spec.columns, strict=True):
        if mapped.codes is None or not mapped.sources:
            continue
        counts: Counter[str] = Counter()
        for name in (bronze_column(s) for s in mapped.sources):
            if name in sample.column_names:
                counts.update(v.strip() for v in sample.column(name).to_pylist() if v and v.strip())
                break
        column.unmapped_codes = {v: n for v, n in counts.most_common() if v.upper() not in mapped.codes}
        if column.unmapped_codes:
            policy = {"quarantine": "quarantined", "keep": "kept as they are", "default": "mapped to the default"}
            shown = ", ".join(f"{v!r} x{n}" for v, n in list(column.unmapped_codes.items())[:5])
            report.warnings.append(
                f"{column.name}: {len(column.unmapped_codes)} code(s) not in map {mapped.codes_name!r} "
                f"({policy[mapped.unmapped]}): {shown}"
            )


def typed_sample(spark: Any, spec: SourceSpec, report: SourceReport, parsed_files: list[Any], limit: float) -> None:
    """Type a sample with the night's own rules; each column's parse rate and example failures."""
    from pyspark.sql import functions as F

    from jobs.silver.conform import conform

    tables = [f.table.slice(0, SAMPLE_ROWS) for f in parsed_files if f.table is not None and f.row_count]
    if not tables:
        return
    columns = list(dict.fromkeys(c for t in tables for c in t.column_names if c != "_source_line"))
    rows = pa.concat_tables(
        [
            pa.table(
                {
                    **{c: t.column(c) if c in t.column_names else pa.nulls(t.num_rows, pa.string()) for c in columns},
                    "_source_file": pa.repeat(f.relative_name, t.num_rows),
                    "_source_line": t.column("_source_line"),
                    "_content_sha256": pa.repeat(f.sha256, t.num_rows),
                    "_ingested_at": pa.repeat(pa.scalar(datetime.now(UTC), pa.timestamp("us", tz="UTC")), t.num_rows),
                }
            )
            for f, t in zip(parsed_files, tables, strict=False)
        ]
    ).slice(0, SAMPLE_ROWS)
    report.sampled_rows = rows.num_rows
    _unmapped(spec, report, rows)
    conformed = conform(spark.createDataFrame(rows), spec, datetime.now(UTC).date())
    failures = (
        conformed.select(F.explode("failures").alias("f"))
        .groupBy("f.column_name", "f.rule")
        .agg(F.count("*").alias("n"), F.slice(F.collect_list("f.value"), 1, 3).alias("examples"))
        .collect()
    )
    by_column = {c.name: c for c in report.columns}
    for row in failures:
        column = by_column[row.column_name]
        column.failed += int(row.n)
        column.examples += [f"{row.rule}: {v!r}" for v in row.examples]
    for column in report.columns:
        column.checked = rows.num_rows
        if column.failed and column.parse_rate is not None:
            share = 1 - column.parse_rate
            text = f"{column.name}: {column.failed} of {column.checked} sampled rows fail ({share:.0%}), e.g. "
            text += "; ".join(column.examples[:3])
            (report.blockers if share > limit else report.warnings).append(text)


def check(config: Config, only: list[str] | None = None, sample: bool = True) -> list[SourceReport]:
    landing = Path(config.paths.landing_dir)
    specs = [s for name, s in config.sources.items() if not only or name in only]
    parsed = {spec.name: headers(spec, landing) for spec in specs}
    reports = [report for report, _ in parsed.values()]
    fed = {s.table for s in config.sources.values()}
    for table in SOURCE_TABLES:
        if table not in fed and not only:
            missing = SourceReport(f"({table})", table, "")
            missing.warnings.append(f"no source feeds {table}")
            missing.lacks.append(TABLE_LACKS.get(table, f"no {table}"))
            reports.append(missing)
    if sample and any(files for _, files in parsed.values()):
        from ground.engine import engine_session

        with engine_session(config.engine) as engine:
            for spec in specs:
                report, files = parsed[spec.name]
                typed_sample(engine.spark, spec, report, files, config.pipeline.pipeline.max_quarantine_rate)
    return reports


def _print(reports: list[SourceReport]) -> None:
    for r in reports:
        feeds = f" -> {r.table}" if r.table != r.source else ""
        print(f"{r.source}{feeds}: {r.status.upper()}")
        if r.pattern:
            shown = ", ".join(r.files[-3:]) + (f" (+{len(r.files) - 3} more)" if len(r.files) > 3 else "")
            print(f"  files: {len(r.files)} match {r.pattern!r}{': ' + shown if r.files else ''}")
        for name, delimiter in r.delimiters.items():
            print(f"  {name}: delimiter {'tab' if delimiter == chr(9) else repr(delimiter)}")
        for c in r.columns:
            rate = f"{c.parse_rate:.1%} of {c.checked} parse" if c.parse_rate is not None else "not sampled"
            found = "constant" if c.export.startswith("value ") else f"in {c.found_in} file(s)"
            print(f"  {c.name:<24} <- {c.export:<40} {found:<14} {rate}")
        for blocker in r.blockers:
            print(f"  BLOCKER {blocker}")
        for warning in r.warnings:
            print(f"  warning {warning}")
        for lack in r.lacks:
            print(f"  gold will lack: {lack}")


def run(args: argparse.Namespace, config: Config) -> int:
    reports = check(config, args.source, sample=not args.no_sample)
    if args.json:
        print(json.dumps([{**asdict(r), "status": r.status} for r in reports], indent=2, default=str))
    else:
        _print(reports)
    blocked = [r.source for r in reports if r.blockers]
    if not args.json:
        print(f"{len(reports)} source(s): " + (f"BLOCKED {', '.join(blocked)}" if blocked else "no blocker"))
    return 1 if blocked else 0
