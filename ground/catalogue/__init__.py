"""The catalogue of every table of every layer: bronze (one per source), silver, gold (the declared graph),
quarantine and ops. It is the schema contract between the nightly jobs, which write the tables, and the alert
agent, the app and the operations commands, which read them with delta-rs.

Each layer is a dict by name (``GOLD_TABLES["dealer_geo"]``); a table's location is
``Table.location(lake_root)``, built by the one ``location`` function.
"""

from __future__ import annotations

from ground.catalogue import app, gold, ops, silver
from ground.catalogue.table import ARROW_TYPES, Check, Table, View, location

SILVER_TABLES: dict[str, Table] = {t.name: t for t in silver.TABLES}
GOLD_TABLES: dict[str, Table] = {t.name: t for t in gold.TABLES}
GOLD_VIEWS: dict[str, View] = {v.name: v for v in gold.VIEWS}
OPS_TABLES: dict[str, Table] = {t.name: t for t in ops.OPS}
QUARANTINE_TABLES: dict[str, Table] = {t.name: t for t in ops.QUARANTINE}
APP_TABLES: dict[str, Table] = {t.name: t for t in app.APP}  # written by the field app, read by the night
ALL_TABLES: dict[str, Table] = {**SILVER_TABLES, **GOLD_TABLES}


def bronze_location(lake_root: str, source: str) -> str:
    """Bronze holds one table per source: the export's own columns (all strings) plus where each row came
    from (``_source_file``, ``_source_line``, ``_content_sha256``, ``_run_id``, ``_ingested_at``, and
    ``_ingest_date``, the partition)."""
    return location(lake_root, "bronze", source)


def staging_location(lake_root: str, name: str) -> str:
    return location(lake_root, "_staging", name)


def catalogued_tables() -> list[Table]:
    """Every catalogued table, layer by layer (bronze tables depend on the sources and are not here)."""
    return [
        *SILVER_TABLES.values(),
        *GOLD_TABLES.values(),
        *QUARANTINE_TABLES.values(),
        *OPS_TABLES.values(),
        *APP_TABLES.values(),
    ]


__all__ = [
    "ALL_TABLES",
    "APP_TABLES",
    "ARROW_TYPES",
    "GOLD_TABLES",
    "GOLD_VIEWS",
    "OPS_TABLES",
    "QUARANTINE_TABLES",
    "SILVER_TABLES",
    "Check",
    "Table",
    "View",
    "bronze_location",
    "catalogued_tables",
    "location",
    "staging_location",
]
