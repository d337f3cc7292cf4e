"""The Performance view (win-rate intelligence) as plain handler calls: a manager sees their district only, a
leader everything, a rep nothing; values are escaped; an empty lake says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import handlers as h
from app.handlers import AppContext
from app.scope import Scope
from testkit import base_config, write_gold
from testkit.rows import AS_OF, HOSTILE, make_user


def segment(dimension: str, name: str, district: str | None, rate: float, **values: Any) -> dict[str, Any]:
    return {"as_of_date": AS_OF, "window_days": 30, "prior_days": 30, "dimension": dimension, "segment": name,
            "district": district, "state": "MH" if district else None, "closed": 80, "won": round(80 * rate),
            "win_rate": rate, "win_rate_low": rate - 0.08, "win_rate_high": rate + 0.08, "win_rate_shrunk": rate,
            "prior_win_rate": rate + 0.05, "change_points": -5.0, "is_comparable": True, **values}  # fmt: skip


def alert(segment_name: str, district: str | None, sentence: str, rank: int) -> dict[str, Any]:
    return {"as_of_date": AS_OF, "alert_id": f"drop|district|{segment_name}|", "kind": "drop",
            "dimension": "district", "segment": segment_name, "district": district,
            "state": "MH" if district else None, "sentence": sentence, "impact_deals": 10.0 / rank, "rank": rank,
            "episode_start": AS_OF, "is_new": True}  # fmt: skip


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    lake = tmp_path / "lake"
    write_gold(
        lake,
        "win_rate_by_segment",
        [
            segment("overall", "All", None, 0.3),
            segment("district", "Pune, MH", "Pune", 0.25),
            segment("district", "Nashik, MH", "Nashik", 0.35),
            segment("dealer", "DLR0001", "Pune", 0.2),
            segment("dealer", "DLR0002", "Nashik", 0.4),
            segment("lead_source", HOSTILE, None, 0.1),
        ],
    )
    write_gold(
        lake,
        "win_rate_driver_alerts",
        [
            alert("Pune, MH", "Pune", "Win rate fell 20 points for district Pune, MH.", 1),
            alert("Nashik, MH", "Nashik", "Win rate fell 15 points for district Nashik, MH.", 2),
            {**alert("x", None, f"Lead source {HOSTILE} converts 4% against 30% overall.", 3),
             "kind": "below_parent", "alert_id": "below_parent|lead_source|x|"},
        ],
    )  # fmt: skip
    write_gold(
        lake,
        "rep_consistency",
        [
            {"as_of_date": AS_OF, "rep_id": "SC00001", "dealer_code": "DLR0001", "district": "Pune", "state": "MH",
             "closed": 60, "consistency_index": 21.0, "weekly_rate_min": 0.0, "weekly_rate_max": 0.7,
             "is_erratic": True},
            {"as_of_date": AS_OF, "rep_id": "SC00009", "dealer_code": "DLR0002", "district": "Nashik", "state": "MH",
             "closed": 60, "consistency_index": 95.0, "is_erratic": False},
        ],
    )  # fmt: skip
    write_gold(
        lake,
        "win_rate_change_decomposition",
        [{"as_of_date": AS_OF, "window_days": 30, "dimension": "lead_source", "segment": "Website", "share": 0.3,
          "prior_share": 0.1, "win_rate": 0.1, "prior_win_rate": 0.1, "mix_effect": -0.04, "total_change": -0.05,
          "total_mix": -0.04, "total_rate": -0.01, "is_comparable": True}],
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


def test_a_manager_sees_their_district_only(ctx: AppContext) -> None:
    html = h.performance_view(ctx, "mgr")
    assert "Win rate fell 20 points for district Pune, MH." in html and "DLR0001" in html and "SC00001" in html
    for other in ("Nashik", "DLR0002", "SC00009", "Website", "lead source"):
        assert other not in html


def test_a_leader_sees_the_network_with_every_value_escaped(ctx: AppContext) -> None:
    html = h.performance_view(ctx, "boss")
    assert "Pune, MH" in html and "Nashik, MH" in html
    assert "Win rate by lead source" in html and "-4.0 from the lead-source mix" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Nagar" in html
    assert html.index("Pune, MH.") < html.index("Nashik, MH.")  # drivers by rank


def test_a_rep_gets_no_performance_view_and_an_empty_lake_says_so(ctx: AppContext, tmp_path: Path) -> None:
    assert "Performance is for managers and leadership." in h.performance_view(ctx, "rep1")
    users = tmp_path / "users.yaml"
    config = base_config().with_overrides(paths={"lake_root": str(tmp_path / "none")}, app={"users_file": str(users)})
    assert "No win-rate figures yet" in h.performance_view(AppContext.from_config(config), "boss")
