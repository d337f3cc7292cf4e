"""The Accounts view and the account line of a rep's lead card, as plain handler calls: a manager sees their
district's accounts only, a leader every account and the product pairs, a rep no view but the segment and a
cross-sell suggestion on the card of a lead from an existing account; values are escaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import handlers as h
from app.handlers import AppContext
from app.scope import Scope
from testkit import base_config, write_gold
from testkit.rows import AS_OF, HOSTILE, lead_row, make_user


def health(account: str, name: str, district: str, score: float, cls: str, **values: Any) -> dict[str, Any]:
    return {"as_of_date": AS_OF, "account_id": account, "account_name": name, "segment": "Fleet",
            "dealer_code": "DLR0001" if district == "Pune" else "DLR0002", "district": district, "state": "MH",
            "rfm_segment": "At Risk", "health_score": score, "health_class": cls,
            "factors": "No order for 200 days (it usually orders every 60 days); Recent calls are negative: delay",
            "intervention": "Visit the account this week: its next order is 140 days overdue",
            "is_new_critical": cls == "Critical", **values}  # fmt: skip


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    lake = tmp_path / "lake"
    write_gold(
        lake,
        "account_health",
        [
            health("ACC1", "Patil Transport", "Pune", 31.0, "Critical"),
            health("ACC2", HOSTILE, "Pune", 60.0, "Poor"),
            health("ACC3", "Nashik Carriers", "Nashik", 40.0, "Critical"),
            health("ACC4", "Happy Fleet", "Pune", 92.0, "Excellent", factors="", is_new_critical=False),
        ],
    )
    write_gold(
        lake,
        "account_churn_risk",
        [{"as_of_date": AS_OF, "account_id": a, "churn_probability": p, "horizon_days": 180, "model": "trained"}
         for a, p in (("ACC1", 0.9), ("ACC2", 0.4), ("ACC3", 0.8), ("ACC4", 0.05))],
    )  # fmt: skip
    write_gold(
        lake,
        "account_clv",
        [{"as_of_date": AS_OF, "account_id": a, "clv": v, "model": "bgnbd_gg"}
         for a, v in (("ACC1", 2.5e6), ("ACC2", 9e6), ("ACC3", 1e6), ("ACC4", 4e6))],
    )  # fmt: skip
    write_gold(
        lake,
        "account_cross_sell",
        [{"as_of_date": AS_OF, "account_id": "ACC1", "rank": 1, "product_line": "Cargo EV", "because_of": "Pickup",
          "confidence": 0.62, "lift": 3.1, "pair_accounts": 40}],
    )  # fmt: skip
    write_gold(
        lake,
        "account_rfm",
        [{"as_of_date": AS_OF, "account_id": "ACC1", "segment": "Fleet", "rfm_segment": "Cannot Lose",
          "orders": 9, "r_score": 1, "f_score": 5, "m_score": 5}],
    )  # fmt: skip
    write_gold(
        lake,
        "product_affinity",
        [{"as_of_date": AS_OF, "antecedent": "Pickup", "consequent": "Cargo EV", "lift_shrunk": 3.1,
          "confidence_shrunk": 0.62, "pair_accounts": 40, "is_reportable": True, "rank": 1}],
    )  # fmt: skip
    write_gold(
        lake,
        "scv_customer_score",
        [lead_row("O1", "DLR0001", 80.0, account_id="ACC1", customer_name="Patil Transport"),
         lead_row("O2", "DLR0001", 70.0)],
    )  # fmt: skip
    users = tmp_path / "users.yaml"
    for name, scope in {
        "rep1": Scope("rep", dealer_code="DLR0001"),
        "mgr": Scope("manager", district="Pune"),
        "boss": Scope("leader"),
    }.items():
        make_user(users, name, "unused", scope)
    config = base_config().with_overrides(paths={"lake_root": str(lake)}, app={"users_file": str(users)})
    return AppContext.from_config(config)


def test_a_manager_sees_their_accounts_at_risk_why_and_what_to_do(ctx: AppContext) -> None:
    html = h.accounts_view(ctx, "mgr")
    assert "Patil Transport" in html and "No order for 200 days" in html and "140 days overdue" in html
    assert "No purchase in 180 days: 90%" in html and "Could also buy:</b> Cargo EV" in html
    assert "3 accounts" in html and "1 Critical (1 new today), 1 Poor" in html
    assert "Nashik" not in html and "Happy Fleet" not in html  # another district; not at risk
    assert "Bought together" not in html  # network-wide: leaders only
    # most value at risk first: ACC2's 90 lakh x 0.4 before ACC1's 25 lakh x 0.9
    assert html.index("&lt;script&gt;") < html.index("Patil Transport") and HOSTILE not in html


def test_a_leader_sees_every_account_and_the_pairs_and_a_rep_no_view(ctx: AppContext) -> None:
    html = h.accounts_view(ctx, "boss")
    assert "Nashik Carriers" in html and "Patil Transport" in html and "Pickup -&gt; Cargo EV" in html
    assert "Accounts are for managers and leadership." in h.accounts_view(ctx, "rep1")


def test_a_lead_from_an_existing_account_shows_its_segment_and_a_cross_sell(ctx: AppContext) -> None:
    html = h.leads_view(ctx, "rep1")
    assert "<b>Account:</b> Fleet · Cannot Lose" in html
    assert "<b>Cross-sell:</b> Cargo EV (62% of the accounts that buy Pickup buy it too)" in html
    assert html.count("Account:</b>") == 1  # the other lead is no account's
