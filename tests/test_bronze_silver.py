"""Bronze and silver on a tiny landing zone: re-delivery, every kind of bad record, latest version wins."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ground.catalogue import OPS_TABLES, location
from ground.run import RunContext
from ground.spark_io import append
from jobs.bronze.ingest import run_bronze
from jobs.silver.build import run_silver

LEADS_HEADER = (
    "Opty ID,Dealer Code,Created Date,Sales Stage,Lead Type,Enquiry Type,Customer Segment,PPL,Expected Closure,"
    "Taluka,District,State,Opty Status,Customer Name,Mobile,Last Updated,"
    "Sales Consultant,Lead Source,Closed Date,Lost Reason,Competitor,Deal Value,Account ID\n"
)
GOOD = (
    "D1,05-01-2024,{stage},HOT,WALK-IN,Individual,Pickup,20-01-2024,Haveli,Pune,MH,OPEN,Asha,9000000001,{at},"
    "SC1,WEBSITE,,,,850000,"
)
CALLS_HEADER = "CallRef,OptyId,CallStartTime,DurationSecs,Disposition,NextFollowUpDate\n"


def _write(folder: Path, relative: str, text: str | bytes) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)


@pytest.fixture
def config(hostile_config):  # type: ignore[no-untyped-def]
    return hostile_config


@pytest.fixture
def landing(config) -> Path:  # type: ignore[no-untyped-def]
    folder = Path(config.paths.landing_dir)
    leads = (
        LEADS_HEADER
        + "\n".join(
            [
                "O1," + GOOD.format(stage="C0", at="2024-01-05 10:00:00"),  # 2: superseded by line 3
                "O1," + GOOD.format(stage="C1", at="2024-01-05 15:00:00"),  # 3: latest version of O1
                "O2," + GOOD.format(stage="C9", at="2024-01-05 11:00:00"),  # 4: unknown stage code
                "O3,"
                + GOOD.format(stage="C0", at="2024-01-05 11:00:00").replace("05-01-2024", "31-02-2024"),  # 5: bad date
                "O4,D1,05-01-2024,C0",  # 6: wrong field count
                "O5," + GOOD.format(stage="C0", at="2099-01-05 11:00:00"),  # 7: future date
                "O6," + GOOD.format(stage="C2", at="2024-01-05 12:00:00"),  # 8
                "O6," + GOOD.format(stage="C2", at="2024-01-05 12:00:00"),  # 9: exact duplicate of line 8
            ]
        )
        + "\n"
    )
    _write(folder, "crm_opportunities/crm_opportunities_20240105.csv", leads)
    calls = CALLS_HEADER.encode() + (
        b"K1,O1,2024-01-05 12:00:00,120,ANSWERED,2024-01-07\n"  # 2
        b"K2,O1,2024-01-05 13:00:00,-5,ANSWERED,\n"  # 3: negative duration
        b"K3,OX,2024-01-05 13:00:00,5,BUSY,\n"  # 4: orphan opportunity
        b"K4,O1,2024-01-05 14:00:00,\xff,BUSY,\n"  # 5: bad encoding
    )
    _write(folder, "dialer_calls/calls_20240105.csv", calls)
    return folder


def _run(spark, config):  # type: ignore[no-untyped-def]
    ctx = RunContext.create(spark, config, run_date=date(2024, 1, 6))
    return {r.step: r for r in [*run_bronze(ctx), *run_silver(ctx)]}


def _read(spark, config, *parts: str):  # type: ignore[no-untyped-def]
    return spark.read.format("delta").load(location(config.paths.lake_root, *parts))


def test_every_bad_record_is_quarantined_and_nothing_is_lost(spark, config, landing) -> None:  # type: ignore[no-untyped-def]
    steps = _run(spark, config)
    bronze_q = {
        (r.source, r.source_line, r.reason.split(":")[0])
        for r in _read(spark, config, "quarantine", "bronze").collect()
    }
    assert bronze_q == {("customer_pipeline", 6, "wrong_field_count"), ("call_log", 5, "bad_encoding")}
    silver_q = {
        (r.source, r.source_line, r.rule, r.column_name) for r in _read(spark, config, "quarantine", "silver").collect()
    }
    assert silver_q == {
        ("customer_pipeline", 4, "unknown_code", "stage"),
        ("customer_pipeline", 5, "bad_date", "created_date"),
        ("customer_pipeline", 7, "future_date", "updated_at"),
        ("customer_pipeline", 8, "duplicate_key", "opty_id"),
        ("call_log", 3, "below_min", "duration_s"),
        ("call_log", 4, "orphan_key", "opty_id"),
    }
    silver = {
        r.opty_id: (r.stage, r.source_line) for r in _read(spark, config, "silver", "customer_pipeline").collect()
    }
    assert silver == {"O1": ("C1", 3), "O6": ("C2", 9)}
    history = sorted(
        (r.opty_id, r.stage) for r in _read(spark, config, "silver", "customer_pipeline_history").collect()
    )
    assert history == [("O1", "C0"), ("O1", "C1"), ("O6", "C2")]
    assert [r.call_id for r in _read(spark, config, "silver", "call_log").collect()] == ["K1"]
    # every data line is in bronze or its quarantine: 8 lead lines, 4 call lines
    assert steps["bronze:customer_pipeline"].rows_out + steps["bronze:customer_pipeline"].rows_quarantined == 8
    assert steps["bronze:call_log"].rows_out + steps["bronze:call_log"].rows_quarantined == 4


def test_redelivered_file_and_rerun_add_nothing(spark, config, landing) -> None:  # type: ignore[no-untyped-def]
    _run(spark, config)
    before = {
        name: _read(spark, config, *name.split("/")).count()
        for name in (
            "bronze/customer_pipeline",
            "silver/customer_pipeline",
            "quarantine/silver",
            "quarantine/bronze",
        )
    }
    shutil.copy(landing / "dialer_calls/calls_20240105.csv", landing / "dialer_calls/calls_20240105_resend.csv")
    steps = _run(spark, config)
    assert steps["bronze:call_log"].rows_out == 0
    assert steps["bronze:call_log"].message == "0 new file(s), 2 already ingested"
    after = {name: _read(spark, config, *name.split("/")).count() for name in before}
    assert after == before


def test_a_file_taken_before_and_untouched_is_not_read_again(spark, config, landing, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import jobs.bronze.ingest as ingest

    _run(spark, config)
    hashed: list[str] = []  # the files handed to the engine, which reads and hashes them
    real_parse = ingest.parse_on_engine

    def recording_parse(spark, task, paths):  # type: ignore[no-untyped-def]
        hashed.extend(path.rsplit("/", 1)[-1] for path in paths)
        return real_parse(spark, task, paths)

    monkeypatch.setattr(ingest, "parse_on_engine", recording_parse)
    assert _run(spark, config)["bronze:call_log"].message == "0 new file(s), 1 already ingested"
    assert hashed == []  # name, size and modification time matched: no file was read
    calls = landing / "dialer_calls" / "calls_20240105.csv"
    calls.touch()  # the same bytes delivered again: a new modification time
    _run(spark, config)
    assert hashed == ["calls_20240105.csv"]  # read once to see it is the same content ...
    _run(spark, config)
    assert hashed == ["calls_20240105.csv"]  # ... and known by its new time from then on
    resend = landing / "dialer_calls" / "calls_20240105_resend.csv"
    resend.write_bytes(calls.read_bytes())  # the same content under another name
    assert _run(spark, config)["bronze:call_log"].message == "0 new file(s), 2 already ingested"
    _run(spark, config)
    assert hashed == ["calls_20240105.csv", "calls_20240105_resend.csv"]  # hashed once, then known by its stat
    ingested = {r.file_name for r in _read(spark, config, "ops", "ingested_files").collect()}
    assert "dialer_calls/calls_20240105.csv" in ingested and not any("resend" in name for name in ingested)


def test_missing_required_column_fails_the_source_naming_file_and_column(spark, config, landing) -> None:  # type: ignore[no-untyped-def]
    _write(
        landing,
        "dialer_calls/calls_20240106.csv",
        "CallRef,OptyId,CallStartTime\nK9,O1,2024-01-06 10:00:00\n",
    )
    steps = _run(spark, config)
    failed = steps["bronze:call_log"]
    assert failed.status == "failed"
    assert "dialer_calls/calls_20240106.csv" in failed.message and "DurationSecs" in failed.message
    # the good file of the same source still landed
    assert failed.rows_out == 3
    assert steps["bronze:customer_pipeline"].status == "ok"


def test_an_orphan_is_retried_and_lands_once_its_parent_arrives(spark, config, landing) -> None:  # type: ignore[no-untyped-def]
    steps = _run(spark, config)  # K3 references OX, which no lead file has yet
    assert (steps["silver:call_log"].rows_quarantined, steps["silver:call_log"].message) == (2, "")
    leads = LEADS_HEADER + "OX," + GOOD.format(stage="C0", at="2024-01-05 16:00:00") + "\n"
    _write(landing, "crm_opportunities/crm_opportunities_20240106.csv", leads)

    steps = _run(spark, config)
    assert steps["silver:call_log"].message == "1 quarantined orphan(s) retried, 1 resolved"
    assert steps["silver:call_log"].rows_quarantined == 0
    calls = {r.call_id: r.opty_id for r in _read(spark, config, "silver", "call_log").collect()}
    assert calls == {"K1": "O1", "K3": "OX"}
    quarantine = {
        (r.source_line, r.rule): r.resolved_run_id
        for r in _read(spark, config, "quarantine", "silver").where("source = 'call_log'").collect()
    }
    assert quarantine[(3, "below_min")] is None  # still open: a negative duration stays wrong
    assert quarantine[(4, "orphan_key")] is not None  # resolved, kept for the audit trail

    steps = _run(spark, config)  # nothing left to retry
    assert steps["silver:call_log"].message == "nothing new in bronze"


def test_an_export_without_the_optional_win_rate_columns_lands_with_a_warning(spark, config, landing) -> None:  # type: ignore[no-untyped-def]
    old_header = LEADS_HEADER.split(",Sales Consultant")[0] + "\n"
    old_row = "O9," + GOOD.format(stage="C1", at="2024-01-06 10:00:00").rsplit(",", 7)[0]
    _write(landing, "crm_opportunities/crm_opportunities_20240106.csv", old_header + old_row + "\n")
    steps = _run(spark, config)
    bronze = steps["bronze:customer_pipeline"]
    assert bronze.status == "warn" and "Sales Consultant" in bronze.message and "Competitor" in bronze.message
    assert steps["silver:customer_pipeline"].status == "ok"
    row = _read(spark, config, "silver", "customer_pipeline").where("opty_id = 'O9'").first()
    assert row is not None and row.stage == "C1"
    assert (row.rep_id, row.lead_source, row.deal_value) == (None, None, None)  # win_rate_coverage says why


def test_late_rows_are_compared_with_what_silver_held_only_where_gold_was_built(
    spark, config, landing, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The rows of 2024-01-05 are late for a night of 2024-01-10. With no gold built (a first night) they can
    restate nothing, and silver does not spend queries asking which of them change what it held; once a date
    they reach has gold, it does."""
    import jobs.silver.build as build

    asked: list[str] = []
    compare = build.earliest_change
    monkeypatch.setattr(
        build, "earliest_change", lambda ctx, dated, *a: asked.append(dated.name) or compare(ctx, dated, *a)
    )

    def night() -> None:
        ctx = RunContext.create(spark, config, run_date=date(2024, 1, 11))
        ctx.as_of_dates = [date(2024, 1, 10)]
        list(run_bronze(ctx))
        list(run_silver(ctx))

    night()
    assert asked == []
    nights = OPS_TABLES["nights"]
    built = [(date(2024, 1, 7), "R0", "complete", "", "", "", datetime(2024, 1, 8, tzinfo=UTC))]
    append(spark.createDataFrame(built, nights.ddl), nights, config.paths.lake_root)
    _write(landing, "dialer_calls/calls_20240106.csv", CALLS_HEADER + "K5,O1,2024-01-06 09:00:00,60,ANSWERED,\n")
    night()
    assert asked == ["call_log"]  # a call of 2024-01-06 reaches the gold of 2024-01-07
    pending = _read(spark, config, "ops", "restatements").where("done_run_id is null").collect()
    assert [r.as_of_date for r in pending] == [date(2024, 1, 7)]
