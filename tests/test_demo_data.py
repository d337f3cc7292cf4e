"""scv demo-data: deterministic output, export formats that match the source mapping, and a planted truth
that agrees with what was written. Small scale only; no Spark."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from jobs.demo_data import cli
from jobs.demo_data.generator import generate
from jobs.demo_data.geography import TALUKAS_CSV
from scv.config import load_config

END = dt.date(2024, 11, 30)
SOURCE_FOLDERS = {
    "customer_pipeline": "crm_opportunities",
    "customer_journey": "journey",
    "call_log": "dialer_calls",
    "stock": "dms_stock",
    "retail": "dms_retail",
}
PY_FORMATS = {
    "dd-MM-yyyy": "%d-%m-%Y",
    "yyyy-MM-dd": "%Y-%m-%d",
    "yyyy-MM-dd HH:mm:ss": "%Y-%m-%d %H:%M:%S",
    "yyyy-MM-dd'T'HH:mm:ss": "%Y-%m-%dT%H:%M:%S",
}
HIGH_INTENT = {"HOT", "WARM", "LIVE DEAL"}


@pytest.fixture(scope="module")
def mapping() -> dict[str, Any]:
    config = load_config()
    return {"sources": config.section("sources"), "codes": config.section("codes")}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo")
    summary = generate(root / "out", root / "truth", scale="small", seed=7, end_date=END)
    return {"out": root / "out", "truth": root / "truth", "summary": summary}


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _truth_csv(landing: dict[str, Any], name: str) -> list[dict[str, str]]:
    with (landing["truth"] / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _bad_lines(landing: dict[str, Any]) -> dict[tuple[str, int], dict[str, str]]:
    return {(r["file"], int(r["line"])): r for r in _truth_csv(landing, "bad_records.csv")}


def _good_rows(landing: dict[str, Any], source: str) -> list[tuple[str, dict[str, str]]]:
    """(file, record) for every line not listed in bad_records, resent files skipped."""
    bad = _bad_lines(landing)
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


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path: Path, landing: dict[str, Any]) -> None:
    generate(tmp_path / "a", tmp_path / "at", scale="small", seed=7, end_date=END)
    assert _tree(tmp_path / "a") == _tree(landing["out"])
    assert _tree(tmp_path / "at") == _tree(landing["truth"])
    generate(tmp_path / "b", tmp_path / "bt", scale="small", seed=8, end_date=END)
    assert _tree(tmp_path / "b") != _tree(landing["out"])


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


def test_every_bad_record_is_bad_at_its_file_and_line(landing: dict[str, Any], mapping: dict) -> None:
    out: Path = landing["out"]
    records = _truth_csv(landing, "bad_records.csv")
    kinds = {r["kind"] for r in records}
    assert kinds == {
        "wrong_field_count", "bad_encoding", "broken_quoting", "bad_json", "bad_date", "negative_duration",
        "unknown_code", "future_date", "duplicate_record", "redelivered_file", "late_file",
    }  # fmt: skip
    earlier_lines: dict[str, set[bytes]] = defaultdict(set)
    for path in sorted(out.rglob("*")):
        if path.is_file():
            earlier_lines[str(path.relative_to(out))] = set(path.read_bytes().split(b"\n"))
    for record in records:
        path = out / record["file"]
        source = record["source"]
        spec = mapping["sources"][source]
        lines = path.read_bytes().split(b"\n")
        kind, number = record["kind"], int(record["line"])
        if kind == "redelivered_file":
            original = path.with_name(path.name.replace("_resend", ""))
            assert number == 0 and path.read_bytes() == original.read_bytes()
            continue
        if kind == "late_file":
            file_day = dt.datetime.strptime(path.stem.split("_")[-2], "%Y%m%d").date()
            assert (
                number == 0
                and _row_days(path, spec)
                and all(2 <= (file_day - day).days <= 4 for day in _row_days(path, spec))
            )
            continue
        assert 1 <= number < len(lines), record
        assert _is_bad(kind, number, lines, spec, mapping, record, earlier_lines), record


def _parse_date(value: str, column: dict) -> dt.date:
    """A date or timestamp column's value as the mapping reads it (no format: ISO 8601)."""
    if "format" not in column:
        return dt.datetime.fromisoformat(value).date()
    return dt.datetime.strptime(value, PY_FORMATS[column["format"]]).date()


def _row_days(path: Path, spec: dict) -> set[dt.date]:
    date_column = next(c for c in spec["columns"].values() if c["type"] in ("date", "timestamp"))
    text = path.read_text(encoding="utf-8")
    records = (
        [json.loads(t) for t in text.splitlines()]
        if spec["format"] == "jsonl"
        else list(csv.DictReader(text.splitlines()))
    )
    return {_parse_date(r[date_column["from"]], date_column) for r in records}


def _is_bad(
    kind: str,
    number: int,
    lines: list[bytes],
    spec: dict,
    mapping: dict,
    record: dict[str, str],
    seen: dict[str, set[bytes]],
) -> bool:
    """Whether line ``number`` (1-based) really shows the problem ``kind``."""
    line = lines[number - 1]
    if kind == "bad_encoding":
        with pytest.raises(UnicodeDecodeError):
            line.decode("utf-8")
        return True
    text = line.decode("utf-8")
    if kind == "bad_json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        return True
    if kind == "broken_quoting":
        return text.count('"') % 2 == 1 and number == len(lines) - 1  # the file's last line
    columns = spec["columns"]
    if spec["format"] == "jsonl":
        values = json.loads(text)
    else:
        header = next(csv.reader([lines[0].decode()]))
        fields = next(csv.reader([text]))
        if kind == "wrong_field_count":
            return len(fields) != len(header)
        values = dict(zip(header, fields, strict=True))
    if kind == "duplicate_record":
        folder = SOURCE_FOLDERS[record["source"]]
        earlier = [f for f in seen if f.startswith(folder + "/") and f < record["file"]]
        return any(line in seen[f] for f in earlier)
    problems = _problems(values, columns, mapping["codes"])
    return kind in problems


def _problems(values: dict[str, str], columns: dict, codes: dict) -> set[str]:
    """The silver-level problems of one parsed record."""
    problems = set()
    for column in columns.values():
        value = values[column["from"]]
        if value == "":
            if column.get("required"):
                problems.add("missing")
            continue
        if column["type"] in ("date", "timestamp"):
            try:
                parsed = _parse_date(value, column)
            except ValueError:
                problems.add("bad_date")
                continue
            if column.get("not_future") and parsed > END:
                problems.add("future_date")
        if column["type"] == "int" and int(value) < column.get("min", -(10**9)):
            problems.add("negative_duration")
        if "codes" in column:
            allowed = {k.strip().lower() for k in codes[column["codes"]]}
            if value.strip().lower() not in allowed:
                problems.add("unknown_code")
    return problems


def test_lines_not_listed_as_bad_are_clean(landing: dict[str, Any], mapping: dict) -> None:
    opportunities = set()
    for source in SOURCE_FOLDERS:
        columns = mapping["sources"][source]["columns"]
        rows = _good_rows(landing, source)
        assert rows, source
        for file, values in rows:
            assert _problems(values, columns, mapping["codes"]) == set(), (file, values)
            if source == "customer_pipeline":
                opportunities.add(values["Opty ID"])
    for file, call in _good_rows(landing, "call_log"):
        assert call["OptyId"] in opportunities, (file, call)
    for file, event in _good_rows(landing, "customer_journey"):
        assert event["opportunity"] in opportunities, (file, event)


def test_planted_hotspots_surge_in_their_stretch(landing: dict[str, Any]) -> None:
    spots = _truth_csv(landing, "hotspots.csv")
    recent = [
        s
        for s in spots
        if int(s["dealer_count"]) >= 2
        and dt.date.fromisoformat(s["start_date"]) >= END - dt.timedelta(days=29)
        and (dt.date.fromisoformat(s["end_date"]) - dt.date.fromisoformat(s["start_date"])).days >= 7
    ]
    assert len(recent) >= 2
    assert {s["has_supply_gap"] for s in spots} == {"true", "false"}
    created: dict[str, tuple[dt.date, str, str]] = {}
    for _, row in _good_rows(landing, "customer_pipeline"):
        day = dt.datetime.strptime(row["Created Date"], "%d-%m-%Y").date()
        created[row["Opty ID"]] = (day, row["Dealer Code"], row["Lead Type"])
    retail = [(dt.date.fromisoformat(r["Invoice Date"]), r["Dealer"]) for _, r in _good_rows(landing, "retail")]
    stock = [
        (dt.date.fromisoformat(r["Snapshot Date"]), r["Dealer"], int(r["Saleable Stock"]))
        for _, r in _good_rows(landing, "stock")
    ]
    for spot in spots:
        dealers = set(spot["dealer_codes"].split())
        start, end = dt.date.fromisoformat(spot["start_date"]), dt.date.fromisoformat(spot["end_date"])
        before = [c for c in created.values() if c[1] in dealers and start - dt.timedelta(days=14) <= c[0] < start]
        during = [c for c in created.values() if c[1] in dealers and start <= c[0] <= end]
        days = (end - start).days + 1
        assert len(during) / days > 1.5 * len(before) / 14, spot
        intent_before = sum(c[2] in HIGH_INTENT for c in before) / len(before)
        assert sum(c[2] in HIGH_INTENT for c in during) / len(during) > intent_before + 0.1, spot
        sold = [d for d, dealer in retail if dealer in dealers and start <= d <= end]
        if spot["has_supply_gap"] == "true":
            assert sold == []
            assert all(s == 0 for d, dealer, s in stock if dealer in dealers and start <= d <= end)
        else:
            sold_before = [d for d, dealer in retail if dealer in dealers and start - dt.timedelta(14) <= d < start]
            assert len(sold) / days > len(sold_before) / 14, spot


def test_conversions_show_in_stages_and_retail(landing: dict[str, Any]) -> None:
    versions: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for _, row in _good_rows(landing, "customer_pipeline"):
        versions[row["Opty ID"]].append((row["Last Updated"], row["Sales Stage"], row["Opty Status"]))
    invoices = {r["Opty Ref"]: r["Invoice Date"] for _, r in _good_rows(landing, "retail") if r["Opty Ref"]}
    order = {"C0": 0, "C1": 1, "C2": 2, "C3": 3, "Closed Won": 4, "Closed Lost": 4}
    status = {"C0": "OPEN", "C1": "OPEN", "C2": "OPEN", "C3": "OPEN", "Closed Won": "WON", "Closed Lost": "LOST"}
    opportunities = _truth_csv(landing, "opportunities.csv")
    assert len(opportunities) == len(versions)
    observed = 0
    for opp in opportunities:
        history = sorted(set(versions[opp["opty_id"]]))
        stages = [stage for _, stage, _ in history]
        assert [order[s] for s in stages] == sorted(order[s] for s in stages), history
        assert all(status[stage] == st for _, stage, st in history)
        won = [updated[:10] for updated, stage, _ in history if stage == "Closed Won"]
        if opp["converts"] == "true" and opp["conversion_date"] <= END.isoformat():
            observed += 1
            assert won == [opp["conversion_date"]]
            assert invoices[opp["opty_id"]] == opp["conversion_date"]
        else:
            assert won == [] and opp["opty_id"] not in invoices
        assert 0.0 < float(opp["propensity"]) < 1.0
    assert observed > 100


def test_manifest_lists_every_file_with_its_hash(landing: dict[str, Any]) -> None:
    manifest = json.loads((landing["truth"] / "manifest.json").read_text())
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    on_disk = _tree(landing["out"])
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
    config = load_config()
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
