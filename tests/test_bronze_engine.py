"""Bronze parsing on the engine: the same rows and bad lines as the parser run here, each file exactly once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ground.run import RunContext
from jobs.bronze.engine import EngineReadError, ParseTask, engine_path_key, parse_on_engine
from jobs.bronze.ingest import run_bronze
from jobs.bronze.landing import parse_file
from testkit import base_config

CALLS = (
    b"CallRef,OptyId,CallStartTime,DurationSecs,Disposition,NextFollowUpDate\n"
    b"K1,O1,2024-01-05 12:00:00,120,ANSWERED,2024-01-07\n"  # 2 good
    b"K2,O1,2024-01-05 13:00:00,30\n"  # 3 too few fields
    b'K3,O1,2024-01-05 13:00:00,30,"BUSY\nline two",\n'  # 4-5 one record, a quoted field across lines
    b"K4,O1,2024-01-05 14:00:00,\xff,BUSY,\n"  # 6 invalid utf-8
    b'K5,"O2,2024-01-05 15:00:00,45,NO_ANSWER,\n'  # 7 a quote that never closes
    b"CallRef,OptyId,CallStartTime,DurationSecs,Disposition,NextFollowUpDate\n"  # 8 the header again
)


def test_the_engine_parses_as_the_local_parser_and_each_file_once(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = base_config().sources["call_log"]
    path = tmp_path / "dialer_calls" / "calls_20240105.csv"
    path.parent.mkdir()
    path.write_bytes(CALLS)
    local = parse_file(path, tmp_path, spec)
    task = ParseTask(spec, {engine_path_key(str(path)): "dialer_calls/calls_20240105.csv"}, frozenset(), frozenset())

    outcome = parse_on_engine(spark, task, [str(path), str(path)]).collect()  # named twice: read once

    (file_row,) = [r for r in outcome if r.kind == "file"]
    assert (file_row.source_file, file_row.status, file_row.content_sha256) == (
        "dialer_calls/calls_20240105.csv",
        "parsed",
        local.sha256,
    )
    assert (file_row.rows, file_row.bad_lines, list(file_row.columns)) == (2, 4, local.columns)
    rows = sorted((r.source_line, list(r.fields)) for r in outcome if r.kind == "row")
    assert rows == local.rows
    bad = sorted((r.source_line, r.reason, r.raw) for r in outcome if r.kind == "bad")
    assert bad == [(b.line, b.reason, b.raw) for b in local.bad_lines]
    assert [line for line, _, _ in bad] == [3, 6, 7, 8]


def test_an_engine_outcome_naming_a_file_twice_takes_nothing(spark, hostile_config, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import jobs.bronze.ingest as ingest

    folder = Path(hostile_config.paths.landing_dir) / "dialer_calls"
    folder.mkdir(parents=True)
    (folder / "calls_20240105.csv").write_bytes(CALLS)
    real_parse = ingest.parse_on_engine
    monkeypatch.setattr(ingest, "parse_on_engine", lambda *a: real_parse(*a).unionByName(real_parse(*a)))
    ctx = RunContext.create(spark, hostile_config, run_date=date(2024, 1, 6))

    with pytest.raises(EngineReadError, match="dialer_calls/calls_20240105.csv"):
        list(run_bronze(ctx))
