"""The data ``scv calibrate`` learns from: the score history's snapshot rows, each labelled with what followed
(won within the horizon), split by time, and checked for leakage. Pure pandas.

- **Outcomes** come from the versions of each opportunity (silver ``customer_pipeline_history``): the first
  version with status Won dates the win, the first Won or Lost version the close.
- **Labels**: a snapshot row on date d is a win when the opportunity was won in (d, d + horizon]. A row whose
  opportunity had already closed by d (a close that arrived late, dated back) is left out and counted.
- **Time split**: only snapshots whose horizon has ended by the data's last date (no censored label); the most
  recent ``test_snapshots`` of them are the test period, and the older ones whose horizon ends by the first test
  date train (so no training label is observed inside the test period).
- **Leakage**: a component fed by an opportunity field that is empty on every open version and set at closing
  (a stage, a status, a close date mapped into it) is left out of the fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from ground.settings import Weights

COMPONENTS = tuple(Weights.model_fields)  # the score's components, in the catalogue's order
SCORE_COLUMNS = [f"score_{c}" for c in COMPONENTS]
HISTORY_COLUMNS = ["as_of_date", "opty_id", "dealer_code", "total_score", "weights_version", *SCORE_COLUMNS]
# the opportunity fields each component reads (the call log and stock are dated by their own timestamps)
COMPONENT_FIELDS = {
    "lead_age": "created_date",
    "expected_closure": "expected_closure_date",
    "opty_category": "opty_category",
    "lead_classification": "lead_classification",
    "customer_type": "customer_type",
    "stock": "product_line",
}
VERSION_COLUMNS = ["opty_id", "status", "updated_at", *sorted(set(COMPONENT_FIELDS.values()))]


def outcomes(versions: pd.DataFrame) -> pd.DataFrame:
    """opty_id, won_date, closed_date (dates of the first Won, and the first Won or Lost, version)."""
    day = pd.to_datetime(versions["updated_at"], utc=True).dt.tz_localize(None).dt.normalize()
    dated = versions.assign(day=day)
    won = dated[dated["status"] == "Won"].groupby("opty_id")["day"].min().rename("won_date")
    closed = dated[dated["status"].isin(["Won", "Lost"])].groupby("opty_id")["day"].min().rename("closed_date")
    ends = pd.concat([won, closed], axis=1).rename_axis("opty_id").reset_index()
    for column in ("won_date", "closed_date"):
        ends[column] = ends[column].dt.date
    return ends


def labelled(history: pd.DataFrame, ends: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, int]:
    """The history rows with ``label`` (won within the horizon) and ``is_closed`` (won or lost within it),
    without the rows whose opportunity had closed by the snapshot date; returns how many were left out."""
    rows = history.merge(ends, on="opty_id", how="left")
    as_of = pd.to_datetime(rows["as_of_date"])
    won = (pd.to_datetime(rows["won_date"]) - as_of).dt.days
    closed = (pd.to_datetime(rows["closed_date"]) - as_of).dt.days
    closed_before = (closed <= 0).fillna(False).to_numpy(dtype=bool)
    rows = rows.assign(
        label=((won > 0) & (won <= horizon)).fillna(False).astype(int),
        is_closed=((closed > 0) & (closed <= horizon)).fillna(False).astype(bool),
    )
    return rows[~closed_before].reset_index(drop=True), int(closed_before.sum())


@dataclass
class Split:
    train_dates: list[date]
    test_dates: list[date]
    censored_dates: list[date]  # their horizon has not ended by the data's last date
    purged_dates: list[date]  # older than the test period, but their horizon reaches into it


def time_split(dates: list[date], data_end: date, horizon: int, test_snapshots: int) -> Split:
    usable = [d for d in sorted(set(dates)) if d + timedelta(days=horizon) <= data_end]
    censored = [d for d in sorted(set(dates)) if d not in usable]
    test = usable[-test_snapshots:] if len(usable) > test_snapshots else []
    if not test:
        return Split([], [], censored, [])
    older = usable[: -len(test)]
    train = [d for d in older if d + timedelta(days=horizon) <= test[0]]
    return Split(train, test, censored, [d for d in older if d not in train])


@dataclass
class PeriodCounts:
    name: str
    snapshots: int
    rows: int
    closed_deals: int
    positives: int

    def shortfall(self, min_closed: int, min_positives: int) -> list[str]:
        problems = []
        if self.closed_deals < min_closed:
            problems.append(f"{self.name}: {self.closed_deals} closed deals, fewer than {min_closed}")
        if self.positives < min_positives:
            problems.append(f"{self.name}: {self.positives} won deals, fewer than {min_positives}")
        return problems


def period_counts(name: str, rows: pd.DataFrame) -> PeriodCounts:
    """Deals counted once however many snapshots they appear in."""
    return PeriodCounts(
        name=name,
        snapshots=int(rows["as_of_date"].nunique()),
        rows=len(rows),
        closed_deals=int(rows.loc[rows["is_closed"], "opty_id"].nunique()),
        positives=int(rows.loc[rows["label"] == 1, "opty_id"].nunique()),
    )


@dataclass
class Leak:
    component: str
    why: str


@dataclass
class LeakReport:
    leaks: list[Leak] = field(default_factory=list)
    set_at_close: dict[str, float] = field(default_factory=dict)  # field -> share of closed deals

    @property
    def components(self) -> set[str]:
        return {leak.component for leak in self.leaks}


def set_at_close_shares(versions: pd.DataFrame) -> dict[str, float]:
    """For each field a component reads: the share of the closed opportunities that had an open version
    whose field is empty on every open version and filled on the closing one."""
    status = versions["status"]
    open_versions = versions[status == "Open"]
    closing = versions[status.isin(["Won", "Lost"])].sort_values(["opty_id", "updated_at"]).groupby("opty_id").head(1)
    closing = closing[closing["opty_id"].isin(open_versions["opty_id"])]
    columns = sorted(set(COMPONENT_FIELDS.values()))
    if closing.empty:
        return dict.fromkeys(columns, 0.0)
    ever_filled = open_versions[columns].notna().groupby(open_versions["opty_id"]).any()
    filled_while_open = ever_filled.reindex(closing["opty_id"]).fillna(False).astype(bool).to_numpy()
    set_at_close = ~filled_while_open & closing[columns].notna().to_numpy()
    return {column: float(share) for column, share in zip(columns, set_at_close.mean(axis=0), strict=True)}


def leak_report(versions: pd.DataFrame, train: pd.DataFrame, threshold_share: float, max_auc: float) -> LeakReport:
    """Components left out of the fit: fed by a field set at closing, or alone too good to be true (an AUC on
    the training period above ``max_auc``: an outcome copied into a field)."""
    from operations.calibration.model import auc

    report = LeakReport(set_at_close=set_at_close_shares(versions))
    for component, column in COMPONENT_FIELDS.items():
        share = report.set_at_close[column]
        if share >= threshold_share:
            report.leaks.append(
                Leak(component, f"{column} is empty while open and set at closing in {share:.0%} of closed deals")
            )
    for component in COMPONENTS:
        alone = auc(train[f"score_{component}"], train["label"])
        if alone is not None and alone > max_auc and component not in report.components:
            report.leaks.append(Leak(component, f"alone it ranks the winners with AUC {alone:.3f} (> {max_auc})"))
    return report
