"""The score with adopted (fitted) weights: the weights and version in use, the probability of winning within
the horizon, and reasons and next best actions that come only from components carrying weight."""

from __future__ import annotations

import math
from datetime import date

import pytest
from pyspark.sql import functions as F

from gold.scv_customer_score import score_opportunities
from ground.config import ConfigError
from testkit import base_config

FEATURES_DDL = (
    "opty_id string, as_of_date date, dealer_code string, taluka string, district string, state string, "
    "customer_name string, customer_phone string, product_line string, stage string, "
    "lead_classification string, opty_category string, customer_type string, created_date date, "
    "expected_closure_date date, last_contact_date date, next_followup_date date, calls bigint, "
    "connected_calls bigint, avg_connected_duration_s double, saleable_stock bigint"
)
AS_OF = date(2024, 1, 10)
ADOPTED = {
    "weights_version": "fit-2024-01-01-abcdef",
    "horizon_days": 30,
    "probability_intercept": -2.0,
    "probability_slope": 3.0,
    "weights": {
        "lead_age": 0.5,
        "expected_closure": 0.0,
        "opty_category": 0.0,
        "lead_classification": 0.5,
        "customer_type": 0.0,
        "followup": 0.0,
        "engagement": 0.0,
        "stock": 0.0,
    },
}


def _row(opty_id: str, stage: str, cls: str, created: date, **extra: object) -> tuple[object, ...]:
    values: dict[str, object] = {
        "last_contact_date": None,
        "next_followup_date": None,
        "calls": 0,
        "connected_calls": 0,
        "avg_connected_duration_s": None,
        "saleable_stock": None,
    }
    values.update(extra)
    return (
        opty_id, AS_OF, "D1", "T", "Pune", "MH", "Asha", "9000000001", "Pickup", stage, cls, "Walk-in", "Fleet",
        created, None, values["last_contact_date"], values["next_followup_date"], values["calls"],
        values["connected_calls"], values["avg_connected_duration_s"], values["saleable_stock"],
    )  # fmt: skip


ROWS = [
    _row("A", "C1", "Hot", date(2024, 1, 9)),
    # a booking without stock whose promised follow-up is two days overdue
    _row(
        "C", "C3", "Warm", date(2023, 12, 21), last_contact_date=date(2024, 1, 2), next_followup_date=date(2024, 1, 8)
    ),
    _row("N", "C0", "Cold", date(2023, 12, 1)),  # never contacted
]


def _scored(spark, scoring):  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(ROWS, FEATURES_DDL).withColumn("account_id", F.lit(None).cast("string"))
    return {r.opty_id: r for r in score_opportunities(df, scoring).collect()}


def test_designed_weights_give_no_probability_and_every_action(spark) -> None:  # type: ignore[no-untyped-def]
    scored = _scored(spark, base_config().pipeline.scoring)
    assert {r.win_probability for r in scored.values()} == {None}
    assert {r.win_horizon_days for r in scored.values()} == {None}
    assert scored["C"].next_best_action == "Call today: the promised follow-up is overdue"
    assert scored["N"].next_best_action == "First call today: qualify the enquiry"
    assert scored["A"].weights_version == "w1-2026-11"


def test_adopted_weights_score_explain_and_give_a_probability(spark) -> None:  # type: ignore[no-untyped-def]
    scoring = base_config().with_overrides(scoring={"adopted": ADOPTED}).pipeline.scoring
    scored = _scored(spark, scoring)
    a, c, n = scored["A"], scored["C"], scored["N"]
    # A: lead age 100 (1 day old), Hot 85: 0.5 x 100 + 0.5 x 85
    assert a.total_score == 92.5 and a.weights_version == "fit-2024-01-01-abcdef"
    assert a.win_probability == round(1 / (1 + math.exp(-(-2.0 + 3.0 * 0.925))), 4) == 0.6846
    assert a.win_horizon_days == ADOPTED["horizon_days"]
    # only the two components with weight are reasons
    assert a.reason_codes == ["LEAD_AGE", "LEAD_CLASSIFICATION"]
    assert a.reasons == ["Enquiry 1 day old", "Hot lead"]
    # follow-up and stock carry no weight: the booking's action comes from its stage
    assert c.next_best_action == "Confirm the delivery date and complete the retail"
    # neither engagement nor follow-up drives the score: a never-contacted enquiry gets the stage's action
    assert n.next_best_action == "Invite the customer for a test drive"
    # N: 40 days old, lead age 100 x 20 / 57; Cold 15
    expected = round(0.5 * 100 * 20 / 57 + 0.5 * 15, 2)
    assert n.total_score == expected == 25.04
    assert n.win_probability == pytest.approx(1 / (1 + math.exp(-(-2.0 + 3.0 * expected / 100))), abs=5e-5)


def test_adopted_weights_must_be_valid() -> None:
    bad = {**ADOPTED, "weights": {**ADOPTED["weights"], "stock": 0.5}}  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="scoring.adopted.weights: weights must sum to 1, they sum to 1.5"):
        base_config().with_overrides(scoring={"adopted": bad})
    with pytest.raises(ConfigError, match="scoring.adopted.probability_slope"):
        base_config().with_overrides(scoring={"adopted": {**ADOPTED, "probability_slope": -1.0}})
    with pytest.raises(ConfigError, match="calibration.min_positive: unknown key"):
        base_config().with_overrides(calibration={"min_positive": 3})


def test_the_lead_card_reads_the_probability_and_an_older_lake_reads_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    from app.cards import lead_card
    from app.leads import load_leads
    from app.scope import Scope
    from ground.catalogue import GOLD_TABLES
    from testkit import write_gold
    from testkit.rows import lead_row

    fitted = lead_row("OPP-F", "DLR0001", 81.0, win_probability=0.3849, win_horizon_days=30)
    designed = lead_row("OPP-D", "DLR0001", 64.0)
    card = lead_card(fitted, Scope("leader"))
    assert "38% likely to be won within 30 days" in card
    assert "likely" not in lead_card(designed, Scope("leader"))

    location = write_gold(tmp_path / "new", "scv_customer_score", [fitted])
    loaded = load_leads(DeltaTable(location)).table.to_pylist()
    assert [(r["win_probability"], r["win_horizon_days"]) for r in loaded] == [(0.3849, 30)]

    # a lake scored before the columns existed: the app reads them as nulls, the card says nothing
    schema = GOLD_TABLES["scv_customer_score"].arrow_schema
    older = pa.schema([f for f in schema if f.name not in ("win_probability", "win_horizon_days")])
    old_location = str(tmp_path / "old")
    write_deltalake(old_location, pa.Table.from_pylist([designed], schema=older))
    loaded = load_leads(DeltaTable(old_location)).table.to_pylist()
    assert [(r["opty_id"], r["win_probability"], r["win_horizon_days"]) for r in loaded] == [("OPP-D", None, None)]
