"""Which stored gold dates a night's late rows reach, and which of them it restates (jobs/restate.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from frames import frame
from ground.catalogue import OPS_TABLES, SILVER_TABLES
from ground.run import RunContext
from ground.spark_io import append, merge_upsert
from jobs.restate import mark_done, note_late_rows, plan, restate
from jobs.silver.build import earliest_change
from testkit import base_config

OCT = [date(2026, 10, d) for d in range(1, 32)]


def days(first: int, last: int) -> list[date]:
    return [date(2026, 10, d) for d in range(first, last + 1)]


def test_the_stored_dates_from_the_earliest_late_row_on_are_restated() -> None:
    stored = set(days(1, 30))
    chosen, too_old = plan(stored, {"retail": date(2026, 10, 28), "call_log": date(2026, 10, 29)}, [OCT[30]], 7)
    assert (chosen, too_old) == (days(28, 30), [])


def test_dates_more_than_restate_days_back_are_left_for_a_person() -> None:
    chosen, too_old = plan(set(days(1, 30)), {"call_log": date(2026, 10, 2)}, [OCT[30]], 7)
    assert chosen == days(24, 30)  # 2026-10-31 - 7 days = 2026-10-24
    assert too_old == days(2, 23)


def test_only_dates_built_before_and_not_the_nights_own() -> None:
    stored = {date(2026, 10, 20), date(2026, 10, 25), date(2026, 10, 31), date(2026, 11, 2)}
    # a rerun of 2026-10-31 while 2026-11-02 is built: the later date is reached too
    chosen, too_old = plan(stored, {"stock": date(2026, 10, 22)}, [OCT[30]], 30)
    assert (chosen, too_old) == ([date(2026, 10, 25), date(2026, 11, 2)], [])


def test_no_new_dated_rows_restate_nothing() -> None:
    assert plan(set(days(1, 30)), {}, [OCT[30]], 7) == ([], [])
    assert plan(set(), {"retail": OCT[0]}, [OCT[30]], 7) == ([], [])


def test_restate_days_zero_restates_nothing_and_names_every_date() -> None:
    chosen, too_old = plan(set(days(25, 30)), {"retail": OCT[26]}, [OCT[30]], 0)
    assert (chosen, too_old) == ([], days(27, 30))


RETAIL = SILVER_TABLES["retail"]
BEFORE = datetime(2026, 10, 30, 2, 0, tzinfo=UTC)  # the bronze ingest time silver had been built through
TONIGHT = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)


def sale(retail_id: str, day: date, units: int = 1, at: datetime = BEFORE) -> dict[str, object]:
    return {"retail_id": retail_id, "dealer_code": "DLR1", "retail_date": day, "product_line": "Pickup",
            "units": units, "source_file": f"retail_{at:%Y%m%d}.csv", "source_line": 1, "ingested_at": at}  # fmt: skip


def test_a_resent_row_changes_nothing_and_a_changed_or_new_one_does(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = base_config().with_overrides(paths={"lake_root": str(tmp_path)})
    ctx = RunContext.create(spark, config)
    stored = [sale("R1", date(2026, 9, 20)), sale("R2", date(2026, 10, 28)), sale("R3", date(2026, 10, 29))]
    merge_upsert(spark, frame(spark, "retail", stored), RETAIL, ctx.lake_root)
    night = date(2026, 10, 31)

    def earliest(rows: list[dict[str, object]], since: datetime | None = BEFORE) -> date | None:
        return earliest_change(ctx, RETAIL, frame(spark, "retail", rows), night, since)

    # R2 and R3 delivered again as they were (another file, a later ingest): no gold date changes
    resent = [sale("R2", date(2026, 10, 28), at=TONIGHT), sale("R3", date(2026, 10, 29), at=TONIGHT)]
    assert earliest(resent) is None
    assert earliest([*resent, sale("R9", night, at=TONIGHT)]) == night  # only the night's own date
    # R3 with other units, and a new sale R4 dated before the night
    assert earliest([*resent, sale("R3", date(2026, 10, 29), 2, TONIGHT)][1:]) == date(2026, 10, 29)
    assert earliest([*resent, sale("R4", date(2026, 10, 27), at=TONIGHT)]) == date(2026, 10, 27)
    # a run that crashed after merging the batch: its rows are not what the lake held before the batch
    merge_upsert(spark, frame(spark, "retail", [sale("R2", date(2026, 10, 28), at=TONIGHT)]), RETAIL, ctx.lake_root)
    assert earliest([sale("R2", date(2026, 10, 28), at=TONIGHT)]) == date(2026, 10, 28)
    assert earliest([sale("R2", date(2026, 10, 28), at=TONIGHT)], since=None) is None


def test_the_restate_step_names_what_it_restates_and_what_it_leaves(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = base_config().with_overrides(paths={"lake_root": str(tmp_path)})
    built = days(1, 30)
    nights = OPS_TABLES["nights"]
    rows = [(d, "R0", "complete", "", "", "", datetime(2026, 10, 31, tzinfo=UTC)) for d in built]
    append(spark.createDataFrame(rows, nights.ddl), nights, str(tmp_path))
    night = [OCT[30]]

    # a night whose retail rows reach 2026-10-20 and whose calls reach 2026-10-28: 7 days back are restated
    first = RunContext.create(spark, config)
    first.as_of_dates = night
    for source, day in (("retail", date(2026, 10, 20)), ("call_log", date(2026, 10, 28))):
        first.silver_earliest[source] = day
        note_late_rows(first, source, day)
    restated, settles, step = restate(first, night)
    assert restated == settles == days(24, 30)
    assert step.status == "warn"
    assert step.message == (
        "new rows dated from 2026-10-20 in retail, 2026-10-28 in call_log; gold of 2026-10-24..2026-10-30 "
        "(7 dates) to be rebuilt with this night's; gold of 2026-10-20..2026-10-23 (4 dates) NOT restated (more "
        "than pipeline.restate_days, 7, before 2026-10-31): run `scv nightly --from 2026-10-20 --to 2026-10-23`"
    )
    # its gold failed: the next run, with nothing late of its own, rebuilds them and settles them
    second = RunContext.create(spark, config)
    restated, settles, step = restate(second, night)
    assert restated == days(24, 30) and step.status == "ok"
    assert step.message == f"gold of 2026-10-24..2026-10-30 (7 dates) to be rebuilt, left pending by run {first.run_id}"
    mark_done(second, settles)
    assert restate(RunContext.create(spark, config), night)[2].message == "nothing to restate"
