"""The unattended night as a scheduler runs it: the cron line's command over demo data with a real SMTP
server (the alert sent once, a rerun sends nothing), a night with a missing source (exit 3, the operator's
report to the data team, no leadership email), a catch-up over three missed dates, and the systemd units."""

from __future__ import annotations

import getpass
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from alert_helpers import RecordingHandler

from conftest import REPO_ROOT, scv_environment

pytestmark = pytest.mark.e2e

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


@pytest.fixture
def smtp(smtp_sink):  # type: ignore[no-untyped-def]
    return smtp_sink


def _demo(folder: Path, end: date = YESTERDAY) -> dict[str, str]:
    env = scv_environment(folder)
    subprocess.run(
        [sys.executable, "-m", "scv.cli", "demo-data", "--scale", "small", "--days", "15", "--end-date", str(end)],
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def _run_night(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scv.cli", "run-night", *args], env=env, capture_output=True, text=True, timeout=600
    )


def _sent(handler: RecordingHandler) -> list[tuple[str, str]]:
    messages = [message_from_bytes(e.content, policy=policy.default) for e in handler.envelopes]
    return [(str(m["To"]), str(m["Subject"])) for m in messages]


def _cron_command() -> str:
    lines = (REPO_ROOT / "deploy" / "cron" / "scv-night").read_text(encoding="utf-8").splitlines()
    job = next(line for line in lines if line and not line.startswith("#") and "=" not in line.split()[0])
    fields = job.split()
    minute, hour, day, month, weekday, user = fields[:6]
    assert (minute, hour, day, month, weekday, user) == ("15", "2", "*", "*", "*", "scv")
    return " ".join(fields[6:])


def test_the_cron_line_runs_the_night_and_a_rerun_sends_nothing(smtp, tmp_path: Path) -> None:
    handler, smtp_env = smtp
    env = _demo(tmp_path)
    env_file = tmp_path / "scv.env"
    env_file.write_text(
        "".join(f"{k}={shlex.quote(v)}\n" for k, v in {**env, **smtp_env}.items() if k.startswith("SCV_"))
    )
    command = _cron_command().replace("/opt/scv", str(REPO_ROOT)).replace("/var/log/scv", str(tmp_path / "log"))
    assert command.endswith("deploy/scv-night.sh --catch-up")
    shell_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SCV_ENV_FILE": str(env_file)}
    first = subprocess.run(["bash", "-c", command], env=shell_env, capture_output=True, text=True, timeout=600)
    log = (tmp_path / "log" / "night.log").read_text()
    assert first.returncode == 0, log
    assert f"run-night {YESTERDAY}: night complete; alert 1 sent" in log
    assert _sent(handler) == [("leadership@example.com", _sent(handler)[0][1])]
    assert _sent(handler)[0][1].startswith("Macro Market Hotspot Alert") and str(YESTERDAY) in _sent(handler)[0][1]

    again = subprocess.run(["bash", "-c", command], env=shell_env, capture_output=True, text=True, timeout=600)
    log = (tmp_path / "log" / "night.log").read_text()
    assert again.returncode == 0, log
    assert "alert 1 skipped" in log.split("=== ")[-1]
    assert len(handler.envelopes) == 1  # nothing sent twice


def test_a_night_with_a_missing_source_holds_the_alert_and_tells_the_data_team(smtp, tmp_path: Path) -> None:
    handler, smtp_env = smtp
    env = _demo(tmp_path)
    for path in (tmp_path / "landing" / "dms_retail").glob(f"*{YESTERDAY:%Y%m%d}*"):
        path.unlink()  # the retail export of the last day never came
    done = _run_night({**env, **smtp_env}, "--date", str(YESTERDAY))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "night INCOMPLETE; alerts held; operator report to 1" in done.stdout
    ((to, subject),) = _sent(handler)
    assert to == "data-team@example.com" and subject == f"SCV night INCOMPLETE | {YESTERDAY} | alerts held"
    body = message_from_bytes(handler.envelopes[0].content, policy=policy.default).get_body(("plain",)).get_content()
    assert f"{YESTERDAY}: no data from retail" in body and f"scv run-night --date {YESTERDAY}" in body
    again = _run_night({**env, **smtp_env}, "--date", str(YESTERDAY))
    assert again.returncode == 3 and len(handler.envelopes) == 1  # the report is not sent twice


def test_catch_up_after_three_missed_dates_sends_one_email_with_a_note(smtp, tmp_path: Path) -> None:
    handler, smtp_env = smtp
    env = {**_demo(tmp_path), **smtp_env}
    before = YESTERDAY - timedelta(days=3)
    assert _run_night(env, "--date", str(before)).returncode == 0
    done = _run_night(env, "--catch-up")
    assert done.returncode == 0, done.stdout + done.stderr
    missed = f"{before + timedelta(days=1)}..{YESTERDAY}"
    assert f"scv nightly {missed} (3 dates)" in done.stdout
    subjects = [subject for _, subject in _sent(handler)]
    assert len(subjects) == 2 and str(before) in subjects[0] and str(YESTERDAY) in subjects[1]
    body = message_from_bytes(handler.envelopes[1].content, policy=policy.default).get_body(("plain",)).get_content()
    note = f"no report went out for {before + timedelta(days=1)} to {YESTERDAY - timedelta(days=1)}"
    assert note in " ".join(body.split())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    user = getpass.getuser()
    for name in ("scv-night.service", "scv-night.timer"):
        text = (REPO_ROOT / "deploy" / "systemd" / name).read_text(encoding="utf-8")
        text = text.replace("/opt/scv", str(REPO_ROOT)).replace("User=scv", f"User={user}")
        (tmp_path / name).write_text(text.replace("Group=scv", f"Group={user}"))
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "scv-night.service"), str(tmp_path / "scv-night.timer")],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "scv-night" not in verify.stderr  # no complaint about either unit
