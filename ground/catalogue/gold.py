"""Gold: the declared graph. Each table says what it reads (``inputs``: silver tables, shared views, other gold
tables), where its logic lives (``sql/gold/<name>.sql`` or ``gold/<name>.py``), its key, partitioning and
checks. The runner (``gold.graph``) orders the graph from ``inputs``; nothing else lists the tables.

Every SQL table is as-of dated: its rows for the run's dates replace the previous ones. An input may also be a
table the field app writes (``ground/catalogue/app.py``: ``lead_actions``). Besides the inputs,
the logic may read the run's ``as_of_dates(as_of_date)`` and ``high_intent_classes(lead_classification)``.
"""

from __future__ import annotations

from ground.catalogue.silver import OPEN_STAGES
from ground.catalogue.table import Table, View, between, cols, in_set, not_null

HOTSPOT_STATUSES = ("NOISE", "HOTSPOT", "EMERGING", "STABLE")

_WINDOW_MEASURES = (
    "leads_cur bigint, leads_prev bigint, lead_growth double, "
    "hi_leads_cur bigint, hi_leads_prev bigint, hi_lead_growth double, "
    "retail_cur bigint, retail_prev bigint, retail_growth double, "
    "total_stock bigint, saleable_stock bigint"
)

VIEWS = [
    View(
        "opportunity_versions",
        inputs=("customer_pipeline_history",),
        description="Every version of every opportunity with the dates it was the known state: the version "
        "as known at the end of day d is the one with known_from_date <= d < known_until_date.",
    ),
]

TABLES = [
    Table(
        "dealer_geo",
        "gold",
        cols(
            "as_of_date date, dealer_code string, taluka string, district string, state string, "
            "last_activity_at timestamp, region string, location_origin string"
        ),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Each dealer's place: from the dealer master where it has one, else from the dealer's most "
        "recent C0-C3 pipeline activity (location_origin says which).",
        checks=(in_set("location_origin", ("dealer_master", "pipeline")),),
        inputs=("customer_pipeline_history", "dealers"),
    ),
    Table(
        "dealer_leads_5d",
        "gold",
        cols(
            "as_of_date date, dealer_code string, leads_cur bigint, leads_prev bigint, lead_growth double, "
            "hi_leads_cur bigint, hi_leads_prev bigint, hi_lead_growth double"
        ),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Leads and high-intent leads created in the current vs the previous window.",
        inputs=("opportunity_versions",),
    ),
    Table(
        "dealer_retail_5d",
        "gold",
        cols("as_of_date date, dealer_code string, retail_cur bigint, retail_prev bigint, retail_growth double"),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Retail units in the current vs the previous window.",
        inputs=("retail",),
    ),
    Table(
        "dealer_stock",
        "gold",
        cols("as_of_date date, dealer_code string, snapshot_date date, total_stock bigint, saleable_stock bigint"),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Total and saleable stock from each dealer's latest snapshot on or before the date.",
        inputs=("stock",),
    ),
    Table(
        "dealer_market_features_5d",
        "gold",
        cols("as_of_date date, dealer_code string, taluka string, district string, state string, " + _WINDOW_MEASURES),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="One row of demand and supply signals per dealer.",
        checks=(not_null("taluka"), between("leads_cur", 0), between("lead_growth", -1)),
        inputs=("dealer_geo", "dealer_leads_5d", "dealer_retail_5d", "dealer_stock"),
    ),
    Table(
        "taluka_daily_leads",
        "gold",
        cols("as_of_date date, state string, district string, taluka string, lead_date date, leads bigint"),
        key=("as_of_date", "state", "district", "taluka", "lead_date"),
        partition_by=("as_of_date",),
        description="Leads created per taluka and day over the hotspot detector's look-back, as known on the "
        "as-of date (days without a lead have no row).",
        checks=(between("leads", 1),),
        inputs=("opportunity_versions", "dealer_geo"),
    ),
    Table(
        "taluka_lead_surveillance",
        "gold",
        cols(
            "as_of_date date, state string, district string, taluka string, recent_leads bigint, "
            "baseline_leads bigint, baseline_share double, expected_leads double, lead_dispersion double, "
            "upper_leads double, surge_score double, surge_days int, is_surge boolean"
        ),
        key=("as_of_date", "state", "district", "taluka"),
        partition_by=("as_of_date",),
        description="The surge detector: recent leads against the upper prediction bound of what the taluka's "
        "own history and the market explain.",
        checks=(
            between("recent_leads", 0),
            between("expected_leads", 0),
            between("lead_dispersion", 1),
            between("surge_days", 0),
            not_null("is_surge"),
        ),
        inputs=("taluka_daily_leads",),
    ),
    Table(
        "macro_market_hotspot_taluka_5d",
        "gold",
        cols(
            "as_of_date date, state string, district string, taluka string, dealer_count bigint, "
            + _WINDOW_MEASURES
            + ", market_lead_growth double, lead_z double, recent_leads bigint, expected_leads double, "
            "upper_leads double, lead_dispersion double, surge_score double, is_surge boolean, "
            "has_supply_gap boolean, status string"
        ),
        key=("as_of_date", "state", "district", "taluka"),
        partition_by=("as_of_date",),
        description="Taluka signals and status NOISE / HOTSPOT / EMERGING / STABLE.",
        checks=(
            in_set("status", HOTSPOT_STATUSES),
            between("dealer_count", 1),
            between("lead_growth", -1),
            between("hi_leads_cur", 0),
            not_null("is_surge"),
        ),
        inputs=("dealer_market_features_5d", "taluka_lead_surveillance"),
    ),
    Table(
        "district_top3_talukas",
        "gold",
        cols(
            "as_of_date date, state string, district string, rank int, taluka string, status string, "
            "dealer_count bigint, leads_cur bigint, lead_growth double, hi_leads_cur bigint, "
            "hi_lead_growth double, retail_cur bigint, saleable_stock bigint, has_supply_gap boolean"
        ),
        key=("as_of_date", "state", "district", "rank"),
        partition_by=("as_of_date",),
        description="The most actionable talukas per district: status first, then lead volume.",
        checks=(between("rank", 1), in_set("status", HOTSPOT_STATUSES)),
        inputs=("macro_market_hotspot_taluka_5d",),
    ),
    Table(
        "scv_customer_score",
        "gold",
        cols(
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
        description="Priority score of every open opportunity as of the latest scored date "
        "(features in sql/gold/scv_customer_score.sql, score in gold/scv_customer_score.py).",
        checks=(
            between("total_score", 0, 100),
            between("rank_in_dealer", 1),
            in_set("stage", OPEN_STAGES),
            not_null("next_best_action"),
            not_null("customer_phone", "warn"),
        ),
        inputs=("opportunity_versions", "call_log", "stock", "lead_actions"),
        logic="python",
    ),
    Table(
        "scv_customer_score_history",
        "gold",
        cols(
            "as_of_date date, opty_id string, dealer_code string, total_score double, "
            "rank_in_dealer int, weights_version string"
        ),
        key=("as_of_date", "opty_id"),
        partition_by=("as_of_date",),
        description="Scores kept on snapshot dates only (scoring.history_every_days) for backtests.",
        inputs=("scv_customer_score",),
        logic="python",
        built_by="scv_customer_score",
    ),
]
