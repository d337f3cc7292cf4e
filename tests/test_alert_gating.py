"""The alert never speaks for a night that failed or is incomplete: it refuses to send (exit 1, naming what is
missing) unless --allow-partial, and then the email says so on its face."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from alert_helpers import RecordingHandler, clear_delivery_env, ledger_rows, make_config, realistic_rows, run_cli

from ground.config import Config
from testkit import free_port, write_gold, write_night
from testkit.rows import AS_OF, district_rows


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingHandler]:
    clear_delivery_env(monkeypatch)
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "SECURITY": "none"}.items():
        monkeypatch.setenv(f"SCV_SMTP_{name}", value)
    monkeypatch.setenv("SCV_SMTP_FROM", "alerts@example.com")
    yield handler
    controller.stop()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    cfg = make_config(tmp_path, monkeypatch, recipients={"leadership": ["ceo@example.com"]})
    rows = realistic_rows()
    write_gold(cfg.paths.lake_root, "macro_market_hotspot_taluka_5d", rows)
    write_gold(cfg.paths.lake_root, "district_top3_talukas", district_rows(rows))
    return cfg


def test_an_incomplete_night_is_not_sent(config, smtp, capsys) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF, "incomplete", missing="retail, call_log")
    assert run_cli(config, "--date", "2026-11-21") == 1
    err = capsys.readouterr().err
    assert "refusing to send for 2026-11-21: Data incomplete for 2026-11-21: no data from retail, call_log" in err
    assert "--allow-partial" in err
    assert smtp.envelopes == [] and ledger_rows(config) == []


def test_a_date_without_a_recorded_night_is_not_sent(config, smtp, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(config, "--date", "2026-11-21") == 1
    assert "No nightly run is recorded for 2026-11-21" in capsys.readouterr().err
    assert smtp.envelopes == []


def test_a_later_complete_run_of_the_date_releases_the_alert(config, smtp) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF, "incomplete", missing="retail")
    write_night(config.paths.lake_root, AS_OF, "complete")  # the rerun once the data arrived
    assert run_cli(config, "--date", "2026-11-21") == 0
    message = message_from_bytes(smtp.envelopes[0].content, policy=policy.default)
    assert "DATA INCOMPLETE" not in message["Subject"]
    assert "Data incomplete" not in message.get_body(("html",)).get_content()


def test_allow_partial_sends_with_a_banner(config, smtp) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF, "incomplete", missing="retail")
    assert run_cli(config, "--date", "2026-11-21", "--allow-partial") == 0
    message = message_from_bytes(smtp.envelopes[0].content, policy=policy.default)
    assert message["Subject"].endswith("| DATA INCOMPLETE")
    banner = "Data incomplete for 2026-11-21: no data from retail. The figures below may be too low."
    assert banner in message.get_body(("html",)).get_content()
    assert banner in " ".join(message.get_body(("plain",)).get_content().split())


def test_a_dry_run_of_an_incomplete_night_shows_the_banner(config, capsys) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, AS_OF, "failed")
    assert run_cli(config, "--date", "2026-11-21", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Warning: The nightly run for 2026-11-21 failed" in out
    html = next((Path(config.paths.outbox_dir) / "2026-11-21").glob("*.html")).read_text(encoding="utf-8")
    assert "The nightly run for 2026-11-21 failed" in html
