"""Which dates `scv run-night` runs: yesterday, a given date, or every date since the last recorded night."""

from __future__ import annotations

import argparse
from datetime import date

import pytest

from operations.run_night import add_arguments, night_dates
from testkit import write_night

TODAY = date(2026, 11, 27)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_yesterday_or_the_given_date(config) -> None:  # type: ignore[no-untyped-def]
    assert night_dates(_args(), config, TODAY) == ([date(2026, 11, 26)], "")
    assert night_dates(_args("--date", "2026-11-20"), config, TODAY) == ([date(2026, 11, 20)], "")
    with pytest.raises(ValueError, match="in the future"):
        night_dates(_args("--date", "2026-11-28"), config, TODAY)


def test_catch_up_runs_the_missed_dates_and_says_so(config) -> None:  # type: ignore[no-untyped-def]
    assert night_dates(_args("--catch-up"), config, TODAY) == ([date(2026, 11, 26)], "")  # nothing recorded yet
    write_night(config.paths.lake_root, date(2026, 11, 22))
    dates, gap = night_dates(_args("--catch-up"), config, TODAY)
    assert dates == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]
    assert gap.startswith("Catch-up after a gap: no report went out for 2026-11-23 to 2026-11-25")
    write_night(config.paths.lake_root, date(2026, 11, 26))
    assert night_dates(_args("--catch-up"), config, TODAY) == ([date(2026, 11, 26)], "")  # a rerun of the night


def test_a_gap_longer_than_the_limit_is_refused(config) -> None:  # type: ignore[no-untyped-def]
    write_night(config.paths.lake_root, date(2026, 9, 1))
    with pytest.raises(ValueError, match=r"86 dates since the last recorded night \(2026-09-01\)"):
        night_dates(_args("--catch-up"), config, TODAY)
