"""scv demo-data: deterministic output, export formats that match the source mapping, the CLI and the
reference talukas. Small scale only; no Spark. The truth-versus-files checks are in test_demo_data_truth.py,
which imports the shared helpers below."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from demo_data import cli
from demo_data.generator import generate
from demo_data.geography import TALUKAS_CSV, normalise_name
from testkit import base_config

END = dt.date(2024, 11, 30)
SOURCE_FOLDERS = {
    "customer_pipeline": "crm_opportunities",
    "customer_journey": "journey",
    "call_log": "dialer_calls",
    "stock": "dms_stock",
    "retail": "dms_retail",
}


def source_mapping() -> dict[str, Any]:
    config = base_config()
    return {"sources": config.section("sources"), "codes": config.section("codes")}


def small_landing(root: Path) -> dict[str, Any]:
    """Small scale, seed 7, ending on END, under ``root``: the landing both test modules check."""
    summary = generate(root / "out", root / "truth", scale="small", seed=7, end_date=END)
    return {"out": root / "out", "truth": root / "truth", "summary": summary}


@pytest.fixture(scope="module")
def mapping() -> dict[str, Any]:
    return source_mapping()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return small_landing(tmp_path_factory.mktemp("demo"))


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def truth_csv(landing: dict[str, Any], name: str) -> list[dict[str, str]]:
    with (landing["truth"] / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def bad_lines(landing: dict[str, Any]) -> dict[tuple[str, int], dict[str, str]]:
    return {(r["file"], int(r["line"])): r for r in truth_csv(landing, "bad_records.csv")}


def good_rows(landing: dict[str, Any], source: str) -> list[tuple[str, dict[str, str]]]:
    """(file, record) for every line not listed in bad_records, resent files skipped."""
    bad = bad_lines(landing)
    out: Path = landing["out"]
    rows = []
    for path in sorted((out / SOURCE_FOLDERS[source]).iterdir()):
        rel = str(path.relative_to(out))
        if "_resend" in rel:
            continue
        lines = path.read_bytes().split(b"\n")[:-1]
        good = [(i, raw.decode("utf-8")) for i, raw in enumerate(lines, 1) if (rel, i) not in bad]
        if rel.endswith(".jsonl"):
            rows += [(rel, json.loads(text)) for _, text in good]
        else:
            header = next(csv.reader([good[0][1]]))
            for _, text in good[1:]:
                rows.append((rel, dict(zip(header, next(csv.reader([text])), strict=True))))
    return rows


def created_leads(landing: dict[str, Any]) -> dict[str, tuple[dt.date, str, str]]:
    """Per opportunity: created day, dealer code and lead type."""
    created: dict[str, tuple[dt.date, str, str]] = {}
    for _, row in good_rows(landing, "customer_pipeline"):
        day = dt.datetime.strptime(row["Created Date"], "%d-%m-%Y").date()
        created[row["Opty ID"]] = (day, row["Dealer Code"], row["Lead Type"])
    return created


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path: Path, landing: dict[str, Any]) -> None:
    generate(tmp_path / "a", tmp_path / "at", scale="small", seed=7, end_date=END)
    assert tree(tmp_path / "a") == tree(landing["out"])
    assert tree(tmp_path / "at") == tree(landing["truth"])
    generate(tmp_path / "b", tmp_path / "bt", scale="small", seed=8, end_date=END)
    assert tree(tmp_path / "b") != tree(landing["out"])


def test_headers_and_file_names_match_the_source_mapping(landing: dict[str, Any], mapping: dict) -> None:
    out: Path = landing["out"]
    for source, folder in SOURCE_FOLDERS.items():
        spec = mapping["sources"][source]
        expected = [column["from"] for column in spec["columns"].values()]
        files = sorted((out / folder).iterdir())
        daily = [p for p in files if p.stem[-8:].isdigit()]
        assert len(daily) == 60, source  # one file per day
        for path in files:
            assert fnmatch.fnmatch(str(path.relative_to(out)), spec["path"]), path
            first = path.read_bytes().split(b"\n", 1)[0]
            if not first:
                continue  # an empty JSON lines file
            if spec["format"] == "csv":
                assert next(csv.reader([first.decode()])) == expected, path
            else:
                assert list(json.loads(first)) == expected, path


def test_manifest_lists_every_file_with_its_hash(landing: dict[str, Any]) -> None:
    manifest = json.loads((landing["truth"] / "manifest.json").read_text())
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    on_disk = tree(landing["out"])
    assert set(listed) == set(on_disk)
    assert all(hashlib.sha256(on_disk[p]).hexdigest() == h for p, h in listed.items())
    assert manifest["arguments"]["seed"] == 7 and manifest["counts"] == landing["summary"]["counts"]


def test_no_messy_data_at_rate_zero(tmp_path: Path) -> None:
    generate(tmp_path / "o", tmp_path / "t", scale="small", days=20, end_date=END, messy_rate=0.0)
    assert (tmp_path / "t" / "bad_records.csv").read_text().count("\n") == 1
    assert not [p for p in (tmp_path / "o").rglob("*") if "_resend" in p.name or "_late" in p.name]


def test_cli_refuses_a_landing_folder_with_exports_unless_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    argv = ["--out", str(tmp_path / "o"), "--truth-out", str(tmp_path / "t"), "--days", "10", "--end-date"]
    config = base_config()
    assert cli.run(parser.parse_args([*argv, "2024-11-30"]), config) == 0
    assert "call_log" in capsys.readouterr().out
    assert cli.run(parser.parse_args([*argv, "2024-11-29"]), config) == 1
    assert "--clean" in capsys.readouterr().err
    assert cli.run(parser.parse_args([*argv, "2024-11-29", "--clean"]), config) == 0
    assert not list((tmp_path / "o").rglob("*20241130*"))


def test_reference_talukas_are_small_and_attributed() -> None:
    assert TALUKAS_CSV.stat().st_size < 200_000
    attribution = (TALUKAS_CSV.parent / "ATTRIBUTION.md").read_text()
    assert "Source: Local Government Directory, Ministry of Panchayati Raj, Government of India, GODL-India" in (
        attribution
    )


def test_reference_names_are_not_all_caps() -> None:
    with TALUKAS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 1000
    for row in rows:
        for name in (row["state"], row["district"], row["taluka"]):
            letters = [c for c in name if c.isalpha()]
            assert not (len(letters) > 3 and all(c.isupper() for c in letters)), row
    assert {"Kolhar", "Talikoti", "Rajkot East", "Pune City", "Aundha (Nagnath)"} <= {r["taluka"] for r in rows}


def test_normalise_name_title_cases_only_names_in_capitals() -> None:
    assert normalise_name("KOLHAR") == "Kolhar"
    assert normalise_name(" DEVARA  HIPPARAGI ") == "Devara Hipparagi"
    assert normalise_name("MORWA (HADAF)") == "Morwa (Hadaf)"
    assert normalise_name("DETROJ-RAMPURA") == "Detroj-Rampura"
    assert normalise_name("MADHYA PRADESH") == "Madhya Pradesh"
    for kept in ("Pune City", "Aundha (Nagnath)", "Burhanpur nagar", "Murwara or Katni", "Aalo HQ"):
        assert normalise_name(kept) == kept
