"""Was the night behind an as-of date complete? ``ops/nights`` holds each run's verdict on every date it
covered; the latest one counts. An alert from a failed or incomplete night is held unless a person allows it,
and then says so on its face."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ground.catalogue import OPS_TABLES
from ground.lake import read_table


class NightNotComplete(RuntimeError):
    """The night behind the date failed, is incomplete, or was never run: nothing is sent."""


@dataclass(frozen=True)
class NightVerdict:
    as_of_date: date
    status: str  # complete | incomplete | failed | missing (no night recorded)
    message: str
    run_id: str = ""

    @property
    def is_complete(self) -> bool:
        return self.status == "complete"

    def warning(self) -> str:
        """The banner an email from this night carries ('' when complete)."""
        day = self.as_of_date.isoformat()
        if self.status == "incomplete":
            return f"Data incomplete for {day}: {self.message}. The figures below may be too low."
        if self.status == "failed":
            return f"The nightly run for {day} failed ({self.message}). The figures below may be wrong."
        if self.status == "missing":
            return f"No nightly run is recorded for {day}. The figures below may be stale."
        return ""

    def require_sendable(self, is_dry_run: bool, allow_partial: bool) -> None:
        """Raise NightNotComplete unless the night was complete, this is a dry run, or a person allowed it."""
        if self.is_complete or is_dry_run or allow_partial:
            return
        raise NightNotComplete(
            f"refusing to send for {self.as_of_date}: {self.warning().split('. The figures')[0]}. Rerun `scv "
            f"nightly --date {self.as_of_date}` once the data has arrived, or pass --allow-partial to send with a "
            "'data incomplete' banner"
        )


def night_verdict(lake_root: str, as_of: date) -> NightVerdict:
    location = OPS_TABLES["nights"].location(lake_root)
    rows = read_table(location, where=f"as_of_date = DATE '{as_of.isoformat()}'")
    if rows is None or rows.num_rows == 0:
        return NightVerdict(as_of, "missing", "no nightly run recorded")
    latest = max(rows.to_pylist(), key=lambda r: r["finished_at"])
    return NightVerdict(as_of, latest["status"], latest["message"], latest["run_id"])
