"""scv evaluate's account metrics on tiny frames: churn AUC and lift on the planted churners (the long lost left
out), the planted pairs among their antecedent's top three rules."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from operations.evaluate import affinity_metrics, churn_metrics

AS_OF = date(2026, 10, 31)


def test_churn_metrics_rank_the_planted_churners_and_leave_out_the_long_lost() -> None:
    risk = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D", "E"],
            "churn_probability": [0.9, 0.2, 0.6, 0.1, 0.95],
            "model": ["trained"] * 5,
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D", "E"],
            # A stopped in the year, C stops after the date (not yet churned), E stopped two years ago
            "churn_date": ["2026-06-01", "", "2026-12-01", "", "2024-10-01"],
        }
    )
    found = churn_metrics(risk, accounts, AS_OF)
    assert found["churn_auc"] == 1.0  # A above B, C and D
    assert found["churn_top_decile_lift"] == pytest.approx(4.0)  # the top 1 of 4 is A: 1 / (1/4)
    assert (found["churn_accounts"], found["churn_planted"], found["churn_long_lost_left_out"]) == (4, 1, 1)
    assert found["churn_auc_all"] == 1.0  # A and E above the rest


def test_a_planted_pair_is_found_among_the_top_three_rules_of_its_antecedent() -> None:
    rules = pd.DataFrame(
        {
            "antecedent": ["Pickup", "Pickup", "Van"],
            "consequent": ["Cargo EV", "Van", "Truck"],
            "rank": [1, 2, 4],
        }
    )
    pairs = pd.DataFrame({"antecedent": ["Pickup", "Van"], "consequent": ["Cargo EV", "Truck"]})
    found = affinity_metrics(rules, pairs)
    assert found["affinity_pairs_found"] == 0.5
    assert found["affinity_pair_ranks"] == {"Pickup -> Cargo EV": 1, "Van -> Truck": 4}
