"""`scv mapping check` before anything is loaded, as a user runs it: a wrong date format, a missing required
column and a source without files are blockers (exit 1) with what the gold layer will lack; a clean mapping
exits 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import scv_environment

pytestmark = pytest.mark.e2e

HEADER = "Invoice No,Dealer,Invoice Date,Product Line,Qty,Opty Ref,Account ID,Invoice Value\n"


def _check(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scv.cli", "mapping", "check", *args],
        env=scv_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing" / "dms_retail"
    folder.mkdir(parents=True)
    return folder


def test_a_wrong_date_format_is_a_blocker_before_a_row_is_loaded(landing, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"R{i},D1,0{i}-01-2024,Van,1,,,\n" for i in range(1, 5))
    (landing / "retail_20240105.csv").write_text(HEADER + rows)
    done = _check(tmp_path, "--source", "retail")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "retail: BLOCKED" in done.stdout
    assert "BLOCKER retail_date: 4 of 4 sampled rows fail (100%), e.g. bad_date: '01-01-2024'" in done.stdout
    assert not (tmp_path / "lake" / "bronze").exists()  # nothing was loaded


def test_a_missing_required_column_and_a_source_without_files(landing, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (landing / "retail_20240105.csv").write_text("Invoice No,Dealer,Invoice Date,Product Line\nR1,D1,2024-01-05,Van\n")
    done = _check(tmp_path)
    assert done.returncode == 1
    assert "required column(s) ['Qty'] missing" in done.stdout
    assert "customer_pipeline: BLOCKED" in done.stdout and "no file under" in done.stdout
    assert "gold will lack: no opportunities: every gold table is empty" in done.stdout


def test_a_clean_mapping_exits_0_and_speaks_json(landing, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (landing / "retail_20240105.csv").write_text(HEADER + "R1,D1,2024-01-05,Van,1,,,\nR2,D1,2024-01-05,Van,2,O1,,\n")
    done = _check(tmp_path, "--source", "retail", "--json")
    assert done.returncode == 0, done.stderr
    (report,) = json.loads(done.stdout)
    assert report["status"] == "ok" and report["files"] == ["dms_retail/retail_20240105.csv"]
    dates = next(c for c in report["columns"] if c["name"] == "retail_date")
    assert (dates["checked"], dates["failed"], dates["found_in"]) == (2, 0, 1)
