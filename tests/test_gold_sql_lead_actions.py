"""What reps did in the app reaches the next night's score: a lead marked done leaves the list (until the CRM has
news of it), and a logged call counts as contact (follow-up) and as a connected call (engagement). Exact values,
by hand: sla 3 days, lapsed 21, 10 points per overdue day; engagement full at 240 s and 3 connected calls."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from frames import ddl_frame, frame
from gold.graph import run_sql
from gold.scv_customer_score import score_opportunities
from gold_sql_inputs import AS_OF, PARAMS, dates, lead_row, pipeline_history  # noqa: F401  (dates is a fixture)
from testkit import base_config


def action(action_id: str, opty: str, kind: str, at: datetime, outcome: str | None = None) -> dict:  # type: ignore[type-arg]
    return {
        "action_id": action_id,
        "opty_id": opty,
        "dealer_code": "D1",
        "action": kind,
        "outcome": outcome,
        "user_name": "rep1",
        "acted_at": at,
        "acted_date": at.date(),
    }


def features(spark, actions: list[dict]):  # type: ignore[no-untyped-def,type-arg]
    ddl_frame(spark, "as_of_date date", [(AS_OF,)]).createOrReplaceTempView("score_dates")
    pipeline_history(
        spark,
        [
            lead_row("O1", "D1", date(2024, 1, 5), "Hot", datetime(2024, 1, 5, 9), "C1"),
            lead_row("O2", "D1", date(2024, 1, 4), "Warm", datetime(2024, 1, 4, 9)),
            lead_row("O3", "D1", date(2024, 1, 3), "Cold", datetime(2024, 1, 3, 9)),
            # the CRM moved O3 on after the rep marked it done: it comes back
            lead_row("O3", "D1", date(2024, 1, 3), "Cold", datetime(2024, 1, 9, 9), "C1"),
            lead_row("O4", "D1", date(2024, 1, 6), "Warm", datetime(2024, 1, 6, 9)),
        ],
    )
    dialer = {"call_id": "K1", "opty_id": "O1", "call_at": datetime(2024, 1, 6, 10), "duration_s": 120,
              "outcome": "Connected", "next_followup_date": date(2024, 1, 8)}  # fmt: skip
    frame(spark, "call_log", [dialer]).createOrReplaceTempView("call_log")
    frame(spark, "stock", []).createOrReplaceTempView("stock")
    frame(spark, "lead_actions", actions).createOrReplaceTempView("lead_actions")
    return run_sql(spark, "scv_customer_score", PARAMS)


ACTIONS = [
    action("A1", "O1", "called", datetime(2024, 1, 9, 15), "Connected"),
    action("A2", "O2", "done", datetime(2024, 1, 8, 12)),
    action("A3", "O3", "done", datetime(2024, 1, 7, 12)),
    action("A4", "O4", "called", datetime(2024, 1, 11, 9), "Connected"),  # after the scoring date: not yet
    action("A5", "O4", "done", datetime(2024, 1, 11, 9)),
    action("A6", "O1", "note", datetime(2024, 1, 9, 16)),  # a note is no contact
]


@pytest.mark.usefixtures("dates")
def test_done_leaves_the_list_and_a_logged_call_is_contact(spark) -> None:  # type: ignore[no-untyped-def]
    rows = {r.opty_id: r for r in features(spark, ACTIONS).collect()}
    assert sorted(rows) == ["O1", "O3", "O4"]  # O2 done; O3 back (newer CRM version); O4 done only later
    o1, o4 = rows["O1"], rows["O4"]
    assert (o1.calls, o1.connected_calls, o1.avg_connected_duration_s) == (2, 2, 120.0)
    # the app call is the latest: contact on 9 Jan, and it carries no promised follow-up
    assert (o1.last_contact_date, o1.next_followup_date) == (date(2024, 1, 9), None)
    assert (o4.calls, o4.last_contact_date) == (0, None)


@pytest.mark.usefixtures("dates")
def test_a_logged_call_moves_the_follow_up_and_engagement_scores(spark) -> None:  # type: ignore[no-untyped-def]
    scoring = base_config().pipeline.scoring
    without = score_opportunities(features(spark, []), scoring).where("opty_id = 'O1'").collect()[0]
    with_app = score_opportunities(features(spark, ACTIONS), scoring).where("opty_id = 'O1'").collect()[0]
    # without: last contact 6 Jan (4 days): 100 * (21 - 4) / 18 = 94.44, follow-up of 8 Jan 2 days overdue: -20
    assert round(without.score_followup, 2) == 74.44
    # 120 s of 240 (25 points) + 1 connected call of 3 (16.67 points)
    assert round(without.score_engagement, 2) == 41.67
    # with the app call: contact 1 day ago, no overdue promise; 2 connected calls of 3 (33.33 points)
    assert (round(with_app.score_followup, 2), round(with_app.score_engagement, 2)) == (100.0, 58.33)
    assert with_app.total_score > without.total_score
