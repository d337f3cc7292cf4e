"""The hostile corpus (tests/hostile_corpus.py) through two nights: every file gets the outcome it must get,
nothing is lost (every record is in bronze or quarantined, every bronze row in silver or quarantined), a
rejected file fails its source once and is outstanding after, and a corrected delivery closes what it replaced."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hostile_corpus import CASES, CORRECTED, REDELIVERED_SAME, Case, records_in, write_corpus

from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES, SILVER_TABLES, bronze_location
from ground.lake import read_table
from ground.run import RunContext, StepResult
from jobs.bronze.ingest import run_bronze
from jobs.silver.build import run_silver
from operations.files import skip

RUN_DATE = date(2024, 1, 6)


def _night(spark, config) -> dict[str, StepResult]:  # type: ignore[no-untyped-def]
    ctx = RunContext.create(spark, config, run_date=RUN_DATE)
    return {r.step: r for r in [*run_bronze(ctx), *run_silver(ctx)]}


def _rows(config, table) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    arrow = read_table(table.location(config.paths.lake_root))
    return [] if arrow is None else arrow.to_pylist()


def _bronze(config, source: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    arrow = read_table(bronze_location(config.paths.lake_root, source))
    return [] if arrow is None else arrow.to_pylist()


def _source(case: Case) -> str:
    folder = case.path.split("/")[0]
    return {
        "crm_opportunities": "customer_pipeline",
        "dialer_calls": "call_log",
        "dms_retail": "retail",
        "dms_stock": "stock",
        "journey": "customer_journey",
    }[folder]


def _config(root: Path):  # type: ignore[no-untyped-def]
    from testkit import HOSTILE_INPUT, base_config

    paths = {name: str(root / name.split("_")[0]) for name in ("lake_root", "landing_dir", "outbox_dir", "truth_dir")}
    return base_config().with_overrides(paths=paths, **HOSTILE_INPUT)


@pytest.fixture(scope="module")
def corpus(spark, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One lake over the corpus, shared by the read-only tests of the first night."""
    config = _config(tmp_path_factory.mktemp("hostile"))
    write_corpus(Path(config.paths.landing_dir))
    return config, _night(spark, config)


@pytest.fixture
def config(corpus):  # type: ignore[no-untyped-def]
    return corpus[0]


@pytest.fixture
def first_night(corpus):  # type: ignore[no-untyped-def]
    return corpus[1]


@pytest.mark.parametrize("case", CASES, ids=[c.path.split("/")[1] for c in CASES])
def test_each_file_gets_its_outcome(first_night, config, case: Case) -> None:  # type: ignore[no-untyped-def]
    source = _source(case)
    step = first_night[f"bronze:{source}"]
    bronze = [r for r in _bronze(config, source) if r["_source_file"] == case.path]
    rejected = [r for r in _rows(config, OPS_TABLES["rejected_files"]) if r["file_name"] == case.path]
    if case.rejected:
        assert step.status == "failed" and case.rejected in step.message, step.message
        assert [r["status"] for r in rejected] == ["outstanding"] and case.rejected in rejected[0]["reason"]
        assert bronze == []
        return
    assert rejected == []
    assert len(bronze) == case.rows
    bad = sorted(
        (r["source_line"], r["reason"].split(":")[0])
        for r in _rows(config, QUARANTINE_TABLES["bronze"])
        if r["source_file"] == case.path
    )
    assert bad == sorted(case.lines)
    failed_rules = sorted(
        (r["source_line"], r["rule"])
        for r in _rows(config, QUARANTINE_TABLES["silver"])
        if r["source_file"] == case.path
    )
    assert failed_rules == sorted(case.rules)
    if case.warning:
        assert f"{case.path}: {case.warning}" in step.message


def test_no_phantom_row_and_no_oversized_value_reaches_silver(first_night, config) -> None:  # type: ignore[no-untyped-def]
    retail = {r["retail_id"]: r for r in _rows(config, SILVER_TABLES["retail"])}
    assert "second line" not in retail
    assert retail["R90"]["product_line"] == "Pickup\nsecond line"
    assert "R160" not in retail and max(len(r["product_line"]) for r in retail.values()) < 1000


def test_every_record_is_accounted_for(first_night, config, spark) -> None:  # type: ignore[no-untyped-def]
    """Every record of every taken file is a bronze row or a quarantined line; every bronze row's key is in
    silver or the row is quarantined in silver."""
    quarantined_lines = Counter(r["source_file"] for r in _rows(config, QUARANTINE_TABLES["bronze"]))
    silver_failures = {(r["source_file"], r["source_line"]) for r in _rows(config, QUARANTINE_TABLES["silver"])}
    for case in CASES:
        if case.rejected:
            continue
        source = _source(case)
        bronze = [r for r in _bronze(config, source) if r["_source_file"] == case.path]
        assert len(bronze) + quarantined_lines[case.path] == records_in(case), case.path
        spec = config.sources[source]
        silver_keys = {
            tuple(str(r[k]) for k in spec.key) for r in _rows(config, SILVER_TABLES[source])
        }  # a key whose latest version is in silver accounts for its older versions
        for row in bronze:
            raw_key = tuple(
                str(row[spec.column(k).bronze_name]).strip() if row[spec.column(k).bronze_name] else "None"
                for k in spec.key
            )
            if (row["_source_file"], row["_source_line"]) in silver_failures:
                continue
            assert raw_key in silver_keys, (case.path, row["_source_line"], raw_key)


def test_the_next_nights(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = _config(tmp_path)
    landing = Path(config.paths.landing_dir)
    write_corpus(landing)
    _night(spark, config)
    # night 2: the rejected files are still there, one file comes again unchanged, one corrected
    write_corpus(landing, [CORRECTED])
    (landing / REDELIVERED_SAME).touch()
    second = _night(spark, config)
    pipeline = second["bronze:customer_pipeline"]
    assert pipeline.status == "warn" and "2 rejected file(s) outstanding" in pipeline.message
    assert "scv files skip" in pipeline.message
    calls = second["bronze:call_log"]
    assert "1 new file(s)" in calls.message and calls.rows_out == 3
    silver = {r["call_id"]: r for r in _rows(config, SILVER_TABLES["call_log"])}
    assert silver["K130"]["duration_s"] == 5 and silver["K131"]["outcome"] == "Connected"
    # the first delivery's quarantine rows are closed, the corrected delivery has none
    closed = [r for r in _rows(config, QUARANTINE_TABLES["silver"]) if r["source_file"] == CORRECTED.path]
    assert sorted(r["rule"] for r in closed) == ["below_min", "orphan_key", "unknown_code"]
    assert all(r["superseded_run_id"] for r in closed)

    # night 3: a person acknowledges the empty file; the binary one stays outstanding
    assert skip(config, "crm_opportunities/leads_02_empty.csv", "no activity that day: the vendor's habit") == 1
    third = _night(spark, config)
    assert "1 rejected file(s) outstanding" in third["bronze:customer_pipeline"].message
    rejected = {r["file_name"]: r for r in _rows(config, OPS_TABLES["rejected_files"])}
    assert rejected["crm_opportunities/leads_02_empty.csv"]["status"] == "skipped"
    assert "no activity that day" in rejected["crm_opportunities/leads_02_empty.csv"]["note"]
    retail = third["bronze:retail"]
    assert retail.status == "warn" and "1 rejected file(s) outstanding" in retail.message
