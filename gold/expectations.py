"""Data-quality expectations of the silver and gold tables, each with a level: ``fail`` stops the night
(non-zero exit), ``warn`` is reported in ``scv status`` and the run summary.

Every table key is checked not null and unique; real invariants (code sets, ranges, orderings) too.
Expressed as plain tuples (kind, kwargs, level) so the suites read like the jaffle-shop YAML they follow;
``jobs.quality`` turns them into Great Expectations suites.
"""

from __future__ import annotations

from typing import Any

from gold.catalogue import ALL_TABLES

Expectation = tuple[str, dict[str, Any], str]

STAGES = ["C0", "C1", "C2", "C3", "WON", "LOST"]
STATUSES = ["NOISE", "HOTSPOT", "EMERGING", "STABLE"]


def key_expectations(table_name: str) -> list[Expectation]:
    key = list(ALL_TABLES[table_name].key)
    checks: list[Expectation] = [("not_null", {"column": k}, "fail") for k in key]
    if len(key) == 1:
        checks.append(("unique", {"column": key[0]}, "fail"))
    else:
        checks.append(("compound_unique", {"column_list": key}, "fail"))
    return checks


def _between(column: str, low: float | None, high: float | None, level: str = "fail") -> Expectation:
    return ("between", {"column": column, "min_value": low, "max_value": high}, level)


INVARIANTS: dict[str, list[Expectation]] = {
    "customer_pipeline": [
        ("in_set", {"column": "stage", "value_set": STAGES}, "fail"),
        ("in_set", {"column": "status", "value_set": ["Open", "Won", "Lost"]}, "fail"),
        ("not_null", {"column": "dealer_code"}, "fail"),
        ("not_null", {"column": "taluka"}, "fail"),
        ("not_null", {"column": "customer_phone"}, "warn"),
    ],
    "call_log": [_between("duration_s", 0, None), ("not_null", {"column": "opty_id"}, "fail")],
    "stock": [_between("total_stock", 0, None), _between("saleable_stock", 0, None)],
    "retail": [_between("units", 1, None), ("not_null", {"column": "dealer_code"}, "fail")],
    "customer_journey": [("not_null", {"column": "opty_id"}, "fail")],
    "dealer_market_features_5d": [
        ("not_null", {"column": "taluka"}, "fail"),
        _between("leads_cur", 0, None),
        _between("lead_growth", -1, None),
    ],
    "macro_market_hotspot_taluka_5d": [
        ("in_set", {"column": "status", "value_set": STATUSES}, "fail"),
        _between("dealer_count", 1, None),
        _between("lead_growth", -1, None),
        _between("hi_leads_cur", 0, None),
    ],
    "district_top3_talukas": [
        _between("rank", 1, None),
        ("in_set", {"column": "status", "value_set": STATUSES}, "fail"),
    ],
    "scv_customer_score": [
        _between("total_score", 0, 100),
        _between("rank_in_dealer", 1, None),
        ("in_set", {"column": "stage", "value_set": ["C0", "C1", "C2", "C3"]}, "fail"),
        ("not_null", {"column": "next_best_action"}, "fail"),
        ("not_null", {"column": "customer_phone"}, "warn"),
    ],
}

SILVER_SUITES = ["customer_pipeline", "customer_journey", "call_log", "stock", "retail"]
GOLD_SUITES = [
    "dealer_market_features_5d",
    "macro_market_hotspot_taluka_5d",
    "district_top3_talukas",
    "scv_customer_score",
]


def suite_for(table_name: str) -> list[Expectation]:
    return key_expectations(table_name) + INVARIANTS.get(table_name, [])
