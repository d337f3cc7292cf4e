"""`scv nightly` as a user runs it: exit codes, the failing step named, arguments checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import scv_environment
from jobs.nightly import add_arguments, as_of_dates

pytestmark = pytest.mark.e2e


def _scv(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = scv_environment(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "scv.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_a_failing_step_exits_non_zero_and_is_named(tmp_path: Path) -> None:
    calls = tmp_path / "landing" / "dialer_calls"
    calls.mkdir(parents=True)
    (calls / "calls_20261120.csv").write_text("CallRef,OptyId\nK1,O1\n")
    done = _scv(["nightly", "--date", "2026-11-20", "--skip-quality"], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED step bronze:call_log" in done.stderr
    assert "dialer_calls/calls_20261120.csv" in done.stderr and "CallStartTime" in done.stderr
    # the other steps still ran and were recorded
    assert "gold:macro_market_hotspot_taluka_5d" in done.stdout
    assert (tmp_path / "lake" / "ops" / "runs" / "_delta_log").is_dir()


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    done = _scv(["nightly", "--from", "2026-11-20", "--to", "2026-11-01"], tmp_path)
    assert done.returncode == 2
    assert "--from 2026-11-20 is after --to 2026-11-01" in done.stderr


def test_as_of_dates() -> None:
    import argparse
    from datetime import date

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    today = date(2026, 11, 22)
    assert as_of_dates(parser.parse_args([]), today) == ([date(2026, 11, 21)], "")
    assert as_of_dates(parser.parse_args(["--from", "2026-11-19", "--to", "2026-11-21"]), today) == (
        [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)],
        "",
    )
    with pytest.raises(ValueError, match="either --date or --from"):
        as_of_dates(parser.parse_args(["--date", "2026-11-19", "--to", "2026-11-21"]), today)


def test_from_without_to_runs_to_yesterday_and_says_so() -> None:
    import argparse
    from datetime import date

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    dates, note = as_of_dates(parser.parse_args(["--from", "2026-11-19"]), date(2026, 11, 22))
    assert dates == [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
    assert note == "--from without --to: running 2026-11-19 to yesterday, 2026-11-21"


def test_a_future_date_is_refused(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    done = _scv(["nightly", "--date", tomorrow.isoformat()], tmp_path)
    assert done.returncode == 2
    assert f"{tomorrow} is in the future" in done.stderr
    assert not (tmp_path / "lake" / "gold").exists()


def test_a_missing_landing_folder_fails_the_night(tmp_path: Path) -> None:
    done = _scv(["nightly", "--date", "2026-11-20", "--skip-quality"], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"the landing folder {tmp_path / 'landing'} does not exist" in done.stderr


def test_each_step_line_arrives_as_the_step_ends(tmp_path: Path) -> None:
    """Under cron the output goes to a file: the first step's line must be there while the night runs on."""
    from hostile_corpus import write_corpus

    from testkit import HOSTILE_INPUT

    write_corpus(tmp_path / "landing")
    night = subprocess.Popen(
        [sys.executable, "-m", "scv.cli", "nightly", "--date", "2024-01-05"],
        env=scv_environment(tmp_path, {"pipeline.yaml": HOSTILE_INPUT}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert night.stdout is not None
    lines = [night.stdout.readline() for _ in range(3)]  # the title, the header, the first step
    still_running = night.poll() is None
    out, _ = night.communicate(timeout=300)
    assert lines[1].startswith("step ") and lines[2].startswith("check:customer_pipeline ")
    assert still_running
    assert "quality:customer_pipeline" in out and "checks met" in out
    assert "INFO" not in "".join(lines) + out  # no library log line inside the step table


def test_a_closed_pipe_ends_quietly_and_version_answers(tmp_path: Path) -> None:
    status = subprocess.Popen(
        [sys.executable, "-m", "scv.cli", "files", "--ingested"],
        env=scv_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert status.stdout is not None and status.stderr is not None
    status.stdout.close()  # the reader went away (`scv files | head`)
    err = status.stderr.read().decode()
    status.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert status.returncode in (0, 141)
    version = _scv(["--version"], tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("scv ")
