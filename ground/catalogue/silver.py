"""Silver: the canonical tables, one row per key (latest version wins), typed as the source mapping says. The
tables that grow with history are partitioned by the month of their event or version date (``month_of``)."""

from __future__ import annotations

from ground.catalogue.table import Table, between, cols, in_set, not_null

STAGES = ("C0", "C1", "C2", "C3", "WON", "LOST")
OPEN_STAGES = ("C0", "C1", "C2", "C3")
LINEAGE = "source_file string, source_line bigint, ingested_at timestamp"

_OPPORTUNITY = (
    "opty_id string, dealer_code string, created_date date, stage string, "
    "lead_classification string, opty_category string, customer_type string, product_line string, "
    "expected_closure_date date, taluka string, district string, state string, status string, "
    "customer_name string, customer_phone string, updated_at timestamp, "
    + LINEAGE
    # optional, for the win-rate tables (after the lineage: where a table written before them gains them)
    + ", rep_id string, lead_source string, closed_date date, lost_reason string, competitor string, "
    "deal_value double"
    # optional, for the account tables (docs/accounts.md)
    ", account_id string"
)

TABLES = [
    Table(
        "customer_pipeline",
        "silver",
        cols(_OPPORTUNITY),
        key=("opty_id",),
        month_of="created_date",
        description="One row per opportunity, latest version by updated_at.",
        checks=(
            in_set("stage", STAGES),
            in_set("status", ("Open", "Won", "Lost")),
            not_null("dealer_code"),
            not_null("taluka", "warn"),  # the dealer master may place the dealer instead
            not_null("customer_phone", "warn"),
            between("deal_value", 0, None, "warn"),
        ),
        history="customer_pipeline_history",
    ),
    Table(
        "customer_pipeline_history",
        "silver",
        cols(_OPPORTUNITY),
        key=("opty_id", "updated_at"),
        month_of="updated_at",
        description="Every version of every opportunity: the point-in-time state for any as-of date.",
    ),
    Table(
        "customer_journey",
        "silver",
        cols("event_id string, opty_id string, event_type string, event_at timestamp, " + LINEAGE),
        key=("event_id",),
        month_of="event_at",
        checks=(not_null("opty_id"),),
    ),
    Table(
        "call_log",
        "silver",
        cols(
            "call_id string, opty_id string, call_at timestamp, duration_s int, outcome string, "
            "next_followup_date date, " + LINEAGE + ", notes string"  # notes: optional, what the agent typed
        ),
        key=("call_id",),
        month_of="call_at",
        checks=(between("duration_s", 0), not_null("opty_id")),
    ),
    Table(
        "stock",
        "silver",
        cols(
            "snapshot_date date, dealer_code string, product_line string, total_stock int, "
            "saleable_stock int, " + LINEAGE + ", last_receipt_date date"  # optional, after the lineage
        ),
        key=("snapshot_date", "dealer_code", "product_line"),
        month_of="snapshot_date",
        checks=(between("total_stock", 0), between("saleable_stock", 0)),
    ),
    Table(
        "dealers",
        "silver",
        cols(
            "dealer_code string, dealer_name string, taluka string, district string, state string, region string, "
            "latitude double, longitude double, active boolean, " + LINEAGE
        ),
        key=("dealer_code",),
        description="The dealer master: the authoritative place of each dealer (pipeline rows are the fallback).",
        checks=(not_null("district", "warn"), not_null("taluka", "warn")),
    ),
    Table(
        "retail",
        "silver",
        cols(
            "retail_id string, dealer_code string, retail_date date, product_line string, units int, "
            "opty_id string, value double, " + LINEAGE + ", account_id string"  # account_id: optional
        ),
        key=("retail_id",),
        month_of="retail_date",
        checks=(between("units", 1), not_null("dealer_code")),
    ),
    Table(
        "accounts",
        "silver",
        cols("account_id string, account_name string, segment string, region string, dealer_code string, " + LINEAGE),
        key=("account_id",),
        description="The account master: the repeat-buying accounts' names, segment, region and home dealer "
        "(optional: without it an account is known by its id and the dealer it buys from).",
    ),
    Table(
        "targets",
        "silver",
        cols(
            "target_month date, dealer_code string, product_line string, target_units int, target_value double, "
            + LINEAGE
        ),
        key=("target_month", "dealer_code", "product_line"),
        description="Monthly sales targets per dealer and product line (optional source; docs/kpi.md).",
        checks=(between("target_units", 0), between("target_value", 0, None, "warn")),
    ),
]
