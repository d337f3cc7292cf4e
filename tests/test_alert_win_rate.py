"""The weekly "Win Rate Drivers | Week of <date>" email (scv alert --kind win-rate): what it shows, escaping,
the night gating, delivery with the ledger (a rerun sends nothing), and the narrative's aggregates-only facts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from alert_helpers import FakeOpenAI, RecordingHandler, clear_delivery_env, ledger_rows, make_config, run_cli

from alert_agent.win_rate_run import run_win_rate_alert
from ground.config import Config
from testkit import free_port, write_gold, write_night
from testkit.rows import HOSTILE

AS_OF = date(2026, 11, 22)  # a Sunday: the week of Monday 16 November


def alert_row(day: date, alert_id: str, sentence: str, start: date, impact: float, **values: Any) -> dict[str, Any]:
    kind, dimension, segment = alert_id.split("|")[:3]
    return {"as_of_date": day, "alert_id": alert_id, "kind": kind, "dimension": dimension, "segment": segment,
            "sentence": sentence, "rate": 0.1, "baseline_rate": 0.3, "closed": 120, "impact_deals": impact,
            "rank": 1, "episode_start": start, "is_new": day == start, "days_active": (day - start).days + 1,
            **values}  # fmt: skip


DROP = "drop|district|Pune, MH|"
SOURCE = "below_parent|lead_source|Website|"
REP = "erratic|rep|SC00042|"


def write_win_rate_gold(lake_root: str) -> None:
    two_days_ago = AS_OF - timedelta(days=2)
    write_gold(
        lake_root,
        "win_rate_driver_alerts",
        [
            alert_row(two_days_ago, DROP, "Win rate fell 24 points for district Pune, MH.", two_days_ago, 23.5),
            alert_row(AS_OF, DROP, "Win rate fell 26 points for district Pune, MH: 33% to 7%.", two_days_ago, 25.2),
            alert_row(AS_OF, f"below_parent|lead_source|{HOSTILE}|", f"Lead source {HOSTILE} converts 4%.", AS_OF,
                      40.0),
            alert_row(AS_OF, REP, "Consultant SC00042 (dealer DLR0007) is erratic.", AS_OF - timedelta(days=28), 9.0),
            alert_row(AS_OF - timedelta(days=8), SOURCE, "Lead source Website converts 9%.",
                      AS_OF - timedelta(days=9), 5.0),
        ],
    )  # fmt: skip
    overall = {"as_of_date": AS_OF, "dimension": "overall", "segment": "All", "is_comparable": True}
    write_gold(
        lake_root,
        "win_rate_by_segment",
        [
            {**overall, "window_days": 7, "prior_days": 28, "closed": 1200, "won": 312, "win_rate": 0.26,
             "prior_win_rate": 0.3},
            {**overall, "window_days": 30, "prior_days": 30, "closed": 5100, "won": 1428, "win_rate": 0.28,
             "prior_win_rate": 0.31},
        ],
    )  # fmt: skip
    write_gold(
        lake_root,
        "win_rate_change_decomposition",
        [{"as_of_date": AS_OF, "window_days": 30, "dimension": "lead_source", "segment": "Website",
          "total_change": -0.03, "total_mix": -0.025, "total_rate": -0.005, "is_comparable": True}],
    )  # fmt: skip
    write_gold(
        lake_root,
        "win_rate_coverage",
        [{"as_of_date": AS_OF, "column_name": "deal_value", "status": "missing", "note": "No deal has deal_value."},
         {"as_of_date": AS_OF, "column_name": "rep_id", "status": "ok", "note": "all"}],
    )  # fmt: skip


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    clear_delivery_env(monkeypatch)
    cfg = make_config(tmp_path, monkeypatch, recipients={"leadership": ["ceo@example.com"]})
    write_win_rate_gold(cfg.paths.lake_root)
    return cfg


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingHandler]:
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "SECURITY": "none"}.items():
        monkeypatch.setenv(f"SCV_SMTP_{name}", value)
    monkeypatch.setenv("SCV_SMTP_FROM", "alerts@example.com")
    yield handler
    controller.stop()


def test_the_week_new_drivers_by_impact_then_the_ones_still_active(config) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF)
    run = run_win_rate_alert(config, AS_OF, is_dry_run=True)
    email = run.email
    assert email.subject == "Win Rate Drivers | Week of 2026-11-16"
    assert [d.alert_id for d in email.new] == [f"below_parent|lead_source|{HOSTILE}|", DROP]  # by impact
    assert email.new[1].sentence == "Win rate fell 26 points for district Pune, MH: 33% to 7%."  # latest figures
    # the consultant has been erratic for as long as the table looks back; Website ended before the week
    assert [(d.alert_id, d.since) for d in email.ongoing] == [(REP, "2026-10-25 or earlier")]
    assert email.new[1].since == "2026-11-20"
    assert email.headline == (
        "Last 7 days: win rate 26% on 1,200 closed deals, 30% the 28 days before.",
        "Last 30 days: win rate 28% on 5,100 closed deals, 31% the 30 days before.",
    )
    assert email.split.startswith("Over the last 30 days the win rate moved -3.0 points: -2.5 from the lead source mix")
    assert email.coverage == ("No deal has deal_value.",)
    (outcome,) = run.outcomes
    assert (outcome.status, outcome.alert_type) == ("dry-run", "win_rate_weekly")
    html = outcome.files.html.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Nagar" in html
    text = message_from_bytes(outcome.files.eml.read_bytes(), policy=policy.default)  # type: ignore[union-attr]
    assert text["Subject"] == "Win Rate Drivers | Week of 2026-11-16"
    body = text.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "NEW THIS WEEK" in body and "STILL ACTIVE FROM EARLIER WEEKS" in body and "about 25 deals lost" in body
    assert "Open Performance" not in html and "Open Performance" not in body  # app.public_url is not set


def test_the_app_link_when_the_public_url_is_set(config) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF)
    linked = config.with_overrides(app={"public_url": "https://scv.example.com/"})
    (outcome,) = run_win_rate_alert(linked, AS_OF, is_dry_run=True).outcomes
    html = outcome.files.html.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert 'href="https://scv.example.com/"' in html and "Open Performance in the SCV app" in html


def test_an_incomplete_night_is_held_unless_allowed_and_then_says_so(config, smtp, capsys) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF, "incomplete", missing="call_log")
    assert run_cli(config, "--kind", "win-rate", "--date", AS_OF.isoformat()) == 1
    assert "refusing to send for 2026-11-22" in capsys.readouterr().err and smtp.envelopes == []
    assert run_cli(config, "--kind", "win-rate", "--date", AS_OF.isoformat(), "--allow-partial") == 0
    (envelope,) = smtp.envelopes
    sent = message_from_bytes(envelope.content, policy=policy.default)
    assert sent["Subject"] == "Win Rate Drivers | Week of 2026-11-16 | DATA INCOMPLETE"


def test_sent_once_per_recipient_and_week_beside_the_hotspot_ledger(config, smtp, capsys) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF)
    assert run_cli(config, "--kind", "win-rate", "--date", AS_OF.isoformat()) == 0
    assert run_cli(config, "--kind", "win-rate", "--date", AS_OF.isoformat()) == 0  # the rerun sends nothing
    assert len(smtp.envelopes) == 1 and smtp.envelopes[0].rcpt_tos == ["ceo@example.com"]
    assert [(r["alert_type"], r["recipient"], r["send_count"]) for r in ledger_rows(config)] == [
        ("win_rate_weekly", "ceo@example.com", 1)
    ]
    out = capsys.readouterr().out
    assert "skipped    win_rate_weekly  ceo@example.com (already in the ledger)" in out


def test_the_model_sees_aggregates_without_names_and_invented_figures_fall_back(config, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF)
    with FakeOpenAI("Lead source Website converts 4% and Pune fell 99 points this week, act there first.") as fake:
        monkeypatch.setenv("SCV_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("SCV_LLM_MODEL", "m1")
        run = run_win_rate_alert(config, AS_OF, is_dry_run=True)
    sent = json.loads(fake.requests[0]["json"]["messages"][1]["content"])
    text = json.dumps(sent)
    assert "SC00042" not in text and "DLR0007" not in text and "a consultant" in text
    assert (run.narrative.status, run.email.interpretation_note) == ("rejected", "")
    assert "99" in run.narrative.detail
    assert run.email.interpretation.startswith("2 new drivers of the win rate this week; the largest: Lead source")
