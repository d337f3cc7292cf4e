"""``scv alert`` as a user runs it: the real command in a subprocess, delivering to a real in-process SMTP
server (aiosmtpd), then a rerun that the ledger turns into no-ops, then ``--force`` against a server that is
gone, which must exit 1, name the cause and keep the ``.eml`` in the outbox.

The subprocess gets a copy of the committed configuration (``SCV_CONF_DIR``) with a ``test`` environment
(``SCV_ENV=test``) that names the recipients and keeps SMTP retries and backoff short."""

from __future__ import annotations

import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from alert_helpers import RecordingHandler, write_realistic_gold

from alert_agent.ledger import read_ledger
from conftest import scv_environment
from ground.config import PROJECT_ROOT
from testkit import free_port

pytestmark = pytest.mark.e2e

DATE = "2026-11-21"
SUBJECT = f"Macro Market Hotspot Alert | Top 3 Talukas | {DATE} | First: Haveli (HOTSPOT)"
RECIPIENTS = ["ceo@example.com", "cro@example.com"]
ALERT_OVERRIDE = {
    "alert": {
        "recipients": {"leadership": RECIPIENTS, "district_managers": []},
        "smtp": {"timeout_s": 5, "retries": 1, "backoff_s": 0.1, "backoff_factor": 1.0},
        "llm": {"enabled": False},
    }
}


def scv_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Every path under tmp_path, with the alert override as the ``test`` configuration environment."""
    return scv_environment(tmp_path, {"alert.yaml": ALERT_OVERRIDE}, **extra)


def scv(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scv.cli", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_alert_command_sends_once_skips_on_rerun_and_keeps_the_eml_when_the_server_is_gone(tmp_path: Path) -> None:
    write_realistic_gold(str(tmp_path / "lake"))
    handler, port = RecordingHandler(), free_port()  # aiosmtpd 1.4.6 cannot bind port=0 itself
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = scv_env(
            tmp_path,
            SCV_SMTP_HOST="127.0.0.1",
            SCV_SMTP_PORT=str(port),
            SCV_SMTP_SECURITY="none",
            SCV_SMTP_FROM="SCV Alerts <alerts@example.com>",
        )

        first = scv(env, "alert", "--date", DATE)
        assert first.returncode == 0, first.stdout + first.stderr
        assert f"scv alert: as of {DATE}" in first.stdout
        assert "Summary: 2 sent, 0 skipped, 0 failed" in first.stdout
        assert [(e.mail_from, e.rcpt_tos) for e in handler.envelopes] == [
            ("alerts@example.com", [r]) for r in RECIPIENTS
        ]
        for envelope, recipient in zip(handler.envelopes, RECIPIENTS, strict=True):
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert message["Subject"] == SUBJECT
            assert message["To"] == recipient
            assert message["From"] == "SCV Alerts <alerts@example.com>"
        day = tmp_path / "outbox" / DATE
        assert list(day.glob("*.eml")) == []  # everything sent moved to sent/
        assert sorted(p.name for p in (day / "sent").glob("*.eml")) == [
            "hotspot_top--ceo_at_example.com.eml",
            "hotspot_top--cro_at_example.com.eml",
        ]

        rerun = scv(env, "alert", "--date", DATE)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "Summary: 0 sent, 2 skipped, 0 failed" in rerun.stdout
        assert "already in the ledger" in rerun.stdout
        assert len(handler.envelopes) == 2 and handler.data_calls == 2  # nothing new reached the server
    finally:
        controller.stop()

    forced = scv(env, "alert", "--date", DATE, "--force")
    output = forced.stdout + forced.stderr
    assert forced.returncode == 1, output
    assert "Summary: 0 sent, 0 skipped, 2 failed" in forced.stdout
    for recipient in RECIPIENTS:
        assert f"failed     hotspot_top      {recipient} after 2 attempts" in forced.stdout
        assert f"scv alert: failed for {recipient}: gave up after 2 attempts" in forced.stderr
    assert f"ConnectionRefusedError talking to 127.0.0.1:{port} (none)" in forced.stderr
    for name in ("hotspot_top--ceo_at_example.com.eml", "hotspot_top--cro_at_example.com.eml"):
        kept = tmp_path / "outbox" / DATE / name
        assert kept.exists() and f"-> {kept}" in forced.stdout, output
        assert message_from_bytes(kept.read_bytes(), policy=policy.default)["Subject"] == SUBJECT
    # the failed resends are not recorded: each recipient is in the ledger once, sent once
    rows = read_ledger(str(tmp_path / "lake" / "ops" / "alert_ledger"))
    assert sorted((r["recipient"], r["send_count"]) for r in rows) == [(r, 1) for r in RECIPIENTS]
