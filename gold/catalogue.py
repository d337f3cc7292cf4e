"""The table catalogue: every silver, gold and operations table with its columns, key and partitioning.

This is the schema contract between the nightly jobs (which write the tables), the alert agent and the app
(which read them with ``deltalake``). Column types are a small portable vocabulary translated to Spark DDL and
to Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Table:
    name: str
    layer: str  # silver | gold | ops | quarantine
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def ddl(self) -> str:
        """Spark DDL schema string, e.g. ``opty_id string, total_score double``."""
        return ", ".join(f"{name} {dtype}" for name, dtype in self.columns)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, ARROW_TYPES[dtype]) for name, dtype in self.columns])

    def location(self, lake_root: str) -> str:
        return f"{lake_root.rstrip('/')}/{self.layer}/{self.name}"


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    """Parse ``"a string, b date"`` (types may contain no commas except inside array<>)."""
    columns = []
    for part in spec.split(","):
        name, dtype = part.strip().split(" ", 1)
        columns.append((name, dtype.strip()))
    return tuple(columns)


# ---------------------------------------------------------------------------------------------- silver
SILVER_TABLES = {
    t.name: t
    for t in [
        Table(
            "customer_pipeline",
            "silver",
            _cols(
                "opty_id string, dealer_code string, created_date date, stage string, "
                "lead_classification string, opty_category string, customer_type string, product_line string, "
                "expected_closure_date date, taluka string, district string, state string, status string, "
                "customer_name string, customer_phone string, updated_at timestamp, "
                "source_file string, source_line bigint, ingested_at timestamp"
            ),
            key=("opty_id",),
            description="One row per opportunity, latest version by updated_at.",
        ),
        Table(
            "customer_pipeline_history",
            "silver",
            _cols(
                "opty_id string, dealer_code string, created_date date, stage string, "
                "lead_classification string, opty_category string, customer_type string, product_line string, "
                "expected_closure_date date, taluka string, district string, state string, status string, "
                "customer_name string, customer_phone string, updated_at timestamp, "
                "source_file string, source_line bigint, ingested_at timestamp"
            ),
            key=("opty_id", "updated_at"),
            description="Every version of every opportunity: the point-in-time state for any as-of date.",
        ),
        Table(
            "customer_journey",
            "silver",
            _cols(
                "event_id string, opty_id string, event_type string, event_at timestamp, "
                "source_file string, source_line bigint, ingested_at timestamp"
            ),
            key=("event_id",),
        ),
        Table(
            "call_log",
            "silver",
            _cols(
                "call_id string, opty_id string, call_at timestamp, duration_s int, outcome string, "
                "next_followup_date date, source_file string, source_line bigint, ingested_at timestamp"
            ),
            key=("call_id",),
        ),
        Table(
            "stock",
            "silver",
            _cols(
                "snapshot_date date, dealer_code string, product_line string, total_stock int, "
                "saleable_stock int, source_file string, source_line bigint, ingested_at timestamp"
            ),
            key=("snapshot_date", "dealer_code", "product_line"),
        ),
        Table(
            "retail",
            "silver",
            _cols(
                "retail_id string, dealer_code string, retail_date date, product_line string, units int, "
                "opty_id string, source_file string, source_line bigint, ingested_at timestamp"
            ),
            key=("retail_id",),
        ),
    ]
}

# ------------------------------------------------------------------------------------------------ gold
_WINDOW_MEASURES = (
    "leads_cur bigint, leads_prev bigint, lead_growth double, "
    "hi_leads_cur bigint, hi_leads_prev bigint, hi_lead_growth double, "
    "retail_cur bigint, retail_prev bigint, retail_growth double, "
    "total_stock bigint, saleable_stock bigint"
)

GOLD_TABLES = {
    t.name: t
    for t in [
        Table(
            "dealer_geo",
            "gold",
            _cols(
                "as_of_date date, dealer_code string, taluka string, district string, state string, "
                "last_activity_at timestamp"
            ),
            key=("as_of_date", "dealer_code"),
            partition_by=("as_of_date",),
            description="Latest taluka and district per dealer from its most recent C0-C3 pipeline activity.",
        ),
        Table(
            "dealer_leads_5d",
            "gold",
            _cols(
                "as_of_date date, dealer_code string, leads_cur bigint, leads_prev bigint, lead_growth double, "
                "hi_leads_cur bigint, hi_leads_prev bigint, hi_lead_growth double"
            ),
            key=("as_of_date", "dealer_code"),
            partition_by=("as_of_date",),
            description="Leads and high-intent leads created in the current vs the previous window.",
        ),
        Table(
            "dealer_retail_5d",
            "gold",
            _cols("as_of_date date, dealer_code string, retail_cur bigint, retail_prev bigint, retail_growth double"),
            key=("as_of_date", "dealer_code"),
            partition_by=("as_of_date",),
            description="Retail units in the current vs the previous window.",
        ),
        Table(
            "dealer_stock",
            "gold",
            _cols("as_of_date date, dealer_code string, snapshot_date date, total_stock bigint, saleable_stock bigint"),
            key=("as_of_date", "dealer_code"),
            partition_by=("as_of_date",),
            description="Total and saleable stock from each dealer's latest snapshot on or before the date.",
        ),
        Table(
            "dealer_market_features_5d",
            "gold",
            _cols(
                "as_of_date date, dealer_code string, taluka string, district string, state string, " + _WINDOW_MEASURES
            ),
            key=("as_of_date", "dealer_code"),
            partition_by=("as_of_date",),
            description="One row of demand and supply signals per dealer.",
        ),
        Table(
            "macro_market_hotspot_taluka_5d",
            "gold",
            _cols(
                "as_of_date date, state string, district string, taluka string, dealer_count bigint, "
                + _WINDOW_MEASURES
                + ", market_lead_growth double, lead_z double, has_supply_gap boolean, status string"
            ),
            key=("as_of_date", "state", "district", "taluka"),
            partition_by=("as_of_date",),
            description="Taluka signals and status NOISE / HOTSPOT / EMERGING / STABLE.",
        ),
        Table(
            "district_top3_talukas",
            "gold",
            _cols(
                "as_of_date date, state string, district string, rank int, taluka string, status string, "
                "dealer_count bigint, leads_cur bigint, lead_growth double, hi_leads_cur bigint, "
                "hi_lead_growth double, retail_cur bigint, saleable_stock bigint, has_supply_gap boolean"
            ),
            key=("as_of_date", "state", "district", "rank"),
            partition_by=("as_of_date",),
            description="The most actionable talukas per district: status first, then lead volume.",
        ),
        Table(
            "scv_customer_score",
            "gold",
            _cols(
                "opty_id string, as_of_date date, dealer_code string, taluka string, district string, "
                "state string, customer_name string, customer_phone string, product_line string, "
                "stage string, lead_classification string, opty_category string, customer_type string, "
                "created_date date, expected_closure_date date, last_contact_date date, "
                "days_since_last_contact int, next_followup_date date, connected_calls bigint, "
                "avg_connected_duration_s double, saleable_stock bigint, "
                "score_lead_age double, score_expected_closure double, score_opty_category double, "
                "score_lead_classification double, score_customer_type double, score_followup double, "
                "score_engagement double, score_stock double, total_score double, rank_in_dealer int, "
                "reason_codes array<string>, reasons array<string>, next_best_action string, "
                "weights_version string, scored_at timestamp"
            ),
            key=("opty_id",),
            description="Priority score of every open opportunity as of the latest scored date.",
        ),
        Table(
            "scv_customer_score_history",
            "gold",
            _cols(
                "as_of_date date, opty_id string, dealer_code string, total_score double, "
                "rank_in_dealer int, weights_version string"
            ),
            key=("as_of_date", "opty_id"),
            partition_by=("as_of_date",),
            description="Scores kept on snapshot dates only (scoring.history_every_days) for backtests.",
        ),
    ]
}

# ------------------------------------------------------------------------------------------- operations
OPS_TABLES = {
    t.name: t
    for t in [
        Table(
            "runs",
            "ops",
            _cols(
                "run_id string, as_of_date date, step string, status string, rows_in bigint, "
                "rows_out bigint, rows_quarantined bigint, seconds double, message string, "
                "started_at timestamp, finished_at timestamp"
            ),
            key=("run_id", "as_of_date", "step"),
            description="One row per pipeline step per run: rows in/out/quarantined, duration, status.",
        ),
        Table(
            "ingested_files",
            "ops",
            _cols(
                "source string, file_name string, content_sha256 string, run_id string, rows bigint, "
                "rows_quarantined bigint, ingested_at timestamp"
            ),
            key=("source", "content_sha256"),
            description="Every landing file taken into bronze; a file with a known hash is skipped.",
        ),
        Table(
            "silver_progress",
            "ops",
            _cols("source string, ingested_through timestamp, run_id string, updated_at timestamp"),
            key=("source",),
            description="How far into bronze each silver table has been built.",
        ),
        Table(
            "alert_ledger",
            "ops",
            _cols(
                "as_of_date date, alert_type string, recipient string, subject string, message_id string, "
                "run_id string, send_count bigint, sent_at timestamp"
            ),
            key=("as_of_date", "alert_type", "recipient"),
            description="Every alert email the SMTP server accepted: a rerun never sends the same one twice.",
        ),
        Table(
            "dq_results",
            "ops",
            _cols(
                "run_id string, as_of_date date, table_name string, expectation string, column_name string, "
                "severity string, success boolean, unexpected_count bigint, checked_at timestamp"
            ),
            key=("run_id", "table_name", "expectation", "column_name"),
            description="Great Expectations results per table and expectation, warn and fail levels.",
        ),
    ]
}

QUARANTINE_TABLES = {
    t.name: t
    for t in [
        Table(
            "bronze",
            "quarantine",
            _cols(
                "source string, source_file string, source_line bigint, reason string, raw_line string, "
                "run_id string, ingested_at timestamp"
            ),
            key=("source", "source_file", "source_line"),
            description="Lines that could not be parsed: wrong field count, bad encoding, broken quoting.",
        ),
        Table(
            "silver",
            "quarantine",
            _cols(
                "source string, source_file string, source_line bigint, rule string, column_name string, "
                "value string, record_key string, raw_record string, run_id string, quarantined_at timestamp, "
                "resolved_run_id string"
            ),
            key=("source", "source_file", "source_line", "rule", "column_name"),
            description="Rows that failed typing or a rule, with the rule and column. An orphan whose parent "
            "arrived later is retried and marked with the run that resolved it.",
        ),
    ]
}

ALL_TABLES = {**SILVER_TABLES, **GOLD_TABLES}


def gold_table(name: str) -> Table:
    return GOLD_TABLES[name]
