"""``scv alert`` as a command: dry run output and files, errors and exit codes, SMTP settings from the
environment. (Delivery through a real SMTP server is in test_alert_delivery.py.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alert_helpers import clear_delivery_env, ledger_rows, make_config, run_cli, write_realistic_gold

from alert_agent import outbox
from alert_agent.gold import GoldInputError
from alert_agent.run import run_alert
from alert_agent.settings import smtp_settings
from ground.config import Config, ConfigError
from testkit.rows import HOSTILE, hotspot_row

ALERT = {
    "recipients": {
        "leadership": ["ceo@example.com", "cro@example.com"],
        "district_managers": [{"email": "pune.manager@example.com", "districts": ["Pune"]}],
    }
}


@pytest.fixture(autouse=True)
def _no_smtp_or_llm_from_the_developer(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_delivery_env(monkeypatch)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    cfg = make_config(tmp_path, monkeypatch, **ALERT)
    write_realistic_gold(cfg.paths.lake_root)
    return cfg


def test_dry_run_writes_eml_and_html_prints_the_run_and_sends_nothing(config, capsys) -> None:
    assert run_cli(config, "--dry-run") == 0  # no SCV_SMTP_* needed
    out = capsys.readouterr().out
    assert "scv alert: as of 2026-11-21 (dry run: nothing sent)" in out
    assert "   1. Haveli (Pune, Maharashtra)  HOTSPOT  priority 78 (101.0 points)  [supply gap]" in out
    assert f"   2. {HOSTILE} (Satara, Maharashtra)  HOTSPOT  priority 61 (79.5 points)" in out
    assert "Narrative: disabled" in out
    assert "Summary: 0 sent, 0 skipped, 0 failed, 3 dry-run" in out
    day = Path(config.paths.outbox_dir) / "2026-11-21"
    names = sorted(p.name for p in day.iterdir() if p.is_file())
    assert names == [
        "hotspot_district--pune.manager_at_example.com.eml",
        "hotspot_district--pune.manager_at_example.com.html",
        "hotspot_top--ceo_at_example.com.eml",
        "hotspot_top--ceo_at_example.com.html",
        "hotspot_top--cro_at_example.com.eml",
        "hotspot_top--cro_at_example.com.html",
    ]
    assert f"-> {day / 'hotspot_top--ceo_at_example.com.eml'}" in out
    assert ledger_rows(config) == []


def test_missing_gold_table_exits_2_naming_the_path(tmp_path, monkeypatch, capsys) -> None:
    cfg = make_config(tmp_path, monkeypatch)
    assert run_cli(cfg, "--dry-run") == 2
    err = capsys.readouterr().err
    assert f"macro_market_hotspot_taluka_5d not found at {tmp_path / 'lake'}/gold/macro_market_hotspot_taluka_5d" in err


def test_default_date_is_the_latest_and_a_date_without_rows_is_an_error(config) -> None:
    later = [hotspot_row("Later", "Pune", "HOTSPOT") | {"as_of_date": date(2026, 11, 22)}]
    write_realistic_gold(config.paths.lake_root, later)
    run = run_alert(config, is_dry_run=True)
    assert run.as_of == date(2026, 11, 22) and [t.signal.taluka for t in run.ranked] == ["Later"]
    with pytest.raises(GoldInputError, match=r"no rows for 2026-11-01 \(latest as_of_date: 2026-11-22\)"):
        run_alert(config, as_of=date(2026, 11, 1), is_dry_run=True)


def test_usage_errors_exit_2_and_a_held_lock_exits_3(config, monkeypatch, capsys) -> None:
    assert run_cli(config, "--to", "not an address") == 2
    assert "not a plain e-mail address" in capsys.readouterr().err
    monkeypatch.delenv("SCV_SMTP_HOST", raising=False)
    assert run_cli(config) == 2
    assert "SMTP is not configured: set SCV_SMTP_HOST" in capsys.readouterr().err
    with outbox.run_lock(config.paths.outbox_dir):
        assert run_cli(config, "--dry-run") == 3
    assert "another scv alert run holds" in capsys.readouterr().err


def test_smtp_settings_from_the_environment() -> None:
    base = {"SCV_SMTP_HOST": "mail.example.com", "SCV_SMTP_FROM": "Alerts <Alerts@Example.com>"}
    settings = smtp_settings(env=base)
    assert (settings.port, settings.security, settings.sender, settings.sender_address) == (
        587, "starttls", "Alerts <alerts@example.com>", "alerts@example.com")  # fmt: skip
    assert smtp_settings(env=base | {"SCV_SMTP_SECURITY": "SSL"}).port == 465
    assert "s3cret" not in repr(smtp_settings(env=base | {"SCV_SMTP_USER": "u", "SCV_SMTP_PASSWORD": "s3cret"}))
    for extra, message in [
        ({"SCV_SMTP_SECURITY": "tls"}, "SCV_SMTP_SECURITY must be one of"),
        ({"SCV_SMTP_PORT": "abc"}, "SCV_SMTP_PORT must be a port number"),
        ({"SCV_SMTP_USER": "u"}, "SCV_SMTP_PASSWORD is not"),
        ({"SCV_SMTP_USER": "u", "SCV_SMTP_PASSWORD": "p", "SCV_SMTP_SECURITY": "none"}, "without TLS"),
        ({"SCV_SMTP_FROM": ""}, "SCV_SMTP_FROM"),
    ]:
        with pytest.raises(ConfigError, match=message):
            smtp_settings(env=base | extra)
