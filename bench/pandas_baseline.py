"""The pandas baseline: the market gold tables and the opportunity scores computed by a straightforward pandas
implementation (the stack the original design used), to time the pipeline against and check it by.

    python bench/pandas_baseline.py --lake var/lake --date 2026-11-21              # one night's gold
    python bench/pandas_baseline.py --lake var/lake --from 2026-10-08 --to 2026-11-21 --check

It reads the silver Delta tables with delta-rs into pandas (the columns it needs), computes dealer_geo,
dealer_leads_5d, dealer_retail_5d, dealer_stock, dealer_market_features_5d, taluka_daily_leads,
taluka_lead_surveillance, macro_market_hotspot_taluka_5d, district_top3_talukas, scv_customer_score and
scv_customer_score_history for the as-of dates (one date at a time, vectorised within a date; the
transforms are in bench/pandas_market.py and bench/pandas_score.py), and writes them as Delta tables with
delta-rs under --out (a temp folder by default, removed after). Settings come from the same configuration
as the pipeline's (conf/, SCV_ENV).

Why silver and not the landing files: the gold tables are a function of the silver tables, and silver is
where the pipeline's own rules live (the source mapping, typing, quarantine, latest version per key, the
version history). Reading silver, the baseline computes exactly what the pipeline's gold step computes, so
its rows can be checked against the pipeline's row for row (--check: against the lake's gold tables for the
same dates; exit 1 naming every difference), and the two are timed on the same work. A pandas re-implementation
of bronze and silver would be a second pipeline, not a baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas_market as market  # noqa: E402
from pandas_score import score_features, score_opportunities  # noqa: E402

from ground.catalogue import GOLD_TABLES  # noqa: E402
from ground.config import load_config  # noqa: E402
from ground.settings import PipelineSettings  # noqa: E402

TABLES = (
    "dealer_geo",
    "dealer_leads_5d",
    "dealer_retail_5d",
    "dealer_stock",
    "dealer_market_features_5d",
    "taluka_daily_leads",
    "taluka_lead_surveillance",
    "macro_market_hotspot_taluka_5d",
    "district_top3_talukas",
    "scv_customer_score",
    "scv_customer_score_history",
)
OPPORTUNITY_COLUMNS = [
    "opty_id", "dealer_code", "created_date", "stage", "lead_classification", "opty_category", "customer_type",
    "product_line", "expected_closure_date", "taluka", "district", "state", "status", "customer_name",
    "customer_phone", "updated_at", "account_id",
]  # fmt: skip
SILVER_COLUMNS = {
    "customer_pipeline_history": OPPORTUNITY_COLUMNS,
    "dealers": ["dealer_code", "taluka", "district", "state", "region", "active"],
    "retail": ["dealer_code", "retail_date", "units"],
    "stock": ["snapshot_date", "dealer_code", "product_line", "total_stock", "saleable_stock"],
    "call_log": ["call_id", "opty_id", "call_at", "duration_s", "outcome", "next_followup_date"],
}
VOLATILE = {"scored_at"}  # the one column a recomputation is expected to change


# -------------------------------------------------------------------------------------------------- reading
def read_delta(location: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A Delta table as pandas: dates as datetime64 midnights, timestamps as naive UTC."""
    frame = DeltaTable(location).to_pyarrow_table(columns=columns).to_pandas(date_as_object=False)
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = frame[name].astype("datetime64[us]")
    return frame


def read_silver(lake: str) -> dict[str, pd.DataFrame]:
    return {name: read_delta(f"{lake}/silver/{name}", columns) for name, columns in SILVER_COLUMNS.items()}


# ------------------------------------------------------------------------------------------------ computing
def version_lookback_days(params: dict[str, Any]) -> int:
    """How far back opportunity_versions reaches: its longest reader's look-back (as gold.graph.sql_params)."""
    return max(2 * params["window_days"] - 1, params["max_open_age_days"], params["hotspot_lookback_days"] - 1)


def score_dates(dates: list[date], every_days: int) -> tuple[list[date], date]:
    """The snapshot dates kept in the score history, and the latest date (as gold/scv_customer_score.py)."""
    snapshots = [d for d in sorted(set(dates)) if every_days > 0 and d.toordinal() % every_days == 0]
    return snapshots, max(dates)


def compute(silver: dict[str, pd.DataFrame], dates: list[date], settings: PipelineSettings) -> dict[str, pd.DataFrame]:
    """Every baseline table for ``dates``, as the pipeline's gold step writes them for a fresh lake."""
    params = settings.sql_params()
    classes = list(settings.hotspot.high_intent_classes)
    stamps = [pd.Timestamp(d) for d in sorted(set(dates))]
    window, lookback = params["window_days"], params["stock_lookback_days"]
    versions = market.opportunity_versions(silver["customer_pipeline_history"], stamps, version_lookback_days(params))
    activity = market.pipeline_activity(silver["customer_pipeline_history"], max(stamps))
    master = market.dealer_master(silver["dealers"])
    snapshots = market.stock_snapshots(silver["stock"], stamps, lookback)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for as_of in stamps:
        geo = market.dealer_geo(activity, master, as_of)
        leads = market.dealer_leads(versions, as_of, window, classes)
        sales = market.dealer_retail(silver["retail"], as_of, window)
        stock = market.dealer_stock(snapshots, as_of, lookback)
        features = market.dealer_market_features(geo, leads, sales, stock)
        daily = market.taluka_daily_leads(versions, geo, as_of, params["hotspot_lookback_days"])
        surveillance = market.taluka_lead_surveillance(daily, as_of, params)
        hotspots = market.macro_market_hotspot(features, surveillance, params)
        top = market.district_top_talukas(hotspots, params["top_n"])
        frames = (geo, leads, sales, stock, features, daily, surveillance, hotspots, top)
        for name, frame in zip(TABLES[:9], frames, strict=True):
            parts[name].append(frame)

    snapshot_dates, latest = score_dates(dates, settings.scoring.history_every_days)
    wanted = sorted(set(snapshot_dates) | {latest})
    first_created = pd.Timestamp(min(wanted)) - market.days(params["max_open_age_days"])
    scored_at = pd.Timestamp(datetime.now(UTC)).tz_localize(None)
    for day in wanted:
        features = score_features(
            versions, silver["call_log"], silver["stock"], pd.Timestamp(day), first_created,
            params["max_open_age_days"], lookback,
        )  # fmt: skip
        scores = score_opportunities(features, settings.scoring, scored_at)
        if day == latest:
            parts["scv_customer_score"].append(scores)
        if day in snapshot_dates:
            parts["scv_customer_score_history"].append(scores)
    return {name: _conform(name, frames) for name, frames in parts.items()}


def _conform(name: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames of one table as its catalogue columns, in order."""
    columns = GOLD_TABLES[name].column_names
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat([f[columns] for f in frames], ignore_index=True)


# -------------------------------------------------------------------------------------------------- writing
def to_arrow(name: str, frame: pd.DataFrame) -> pa.Table:
    """A computed frame in its catalogue schema (the types the pipeline writes)."""
    schema = GOLD_TABLES[name].arrow_schema
    arrays = []
    for field in schema:
        column = frame[field.name]
        if pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
            column = column.astype("float64") if column.isna().any() else column
        array = pa.array(column, from_pandas=True)
        arrays.append(array if array.type == field.type else array.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> None:
    for name, frame in tables.items():
        table = GOLD_TABLES[name]
        if frame.empty and name == "scv_customer_score_history":
            continue  # no snapshot date in the run: the pipeline writes nothing either
        write_deltalake(
            str(out / name), to_arrow(name, frame), mode="overwrite", partition_by=list(table.partition_by) or None
        )


# ------------------------------------------------------------------------------------------------ comparing
def _comparable(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    table = GOLD_TABLES[name]
    columns = [c for c in table.column_names if c not in VOLATILE]
    frame = frame[columns].sort_values(list(table.key)).reset_index(drop=True)
    for column in columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v)
    return frame


def differences(name: str, expected: pd.DataFrame, actual: pd.DataFrame, rtol: float = 1e-9) -> list[str]:
    """What differs between two frames of table ``name`` (rows by key; floats within ``rtol``, 1e-9 absolute)."""
    expected, actual = _comparable(expected, name), _comparable(actual, name)
    if len(expected) != len(actual):
        return [f"{name}: {len(expected)} rows in the pipeline's table, {len(actual)} in the baseline's"]
    found = []
    for column in expected.columns:
        left, right = expected[column], actual[column]
        if pd.api.types.is_float_dtype(left) or pd.api.types.is_float_dtype(right):
            a, b = left.astype("float64").to_numpy(), right.astype("float64").to_numpy()
            same = np.isclose(a, b, rtol=rtol, atol=1e-9, equal_nan=True)
        else:
            same = ((left == right) | (left.isna() & right.isna())).to_numpy(dtype=bool)
        if not same.all():
            row = int(np.argmin(same))
            key = {k: expected.loc[row, k] for k in GOLD_TABLES[name].key}
            found.append(
                f"{name}.{column}: {int((~same).sum())} row(s) differ, first {key}: "
                f"pipeline {left.iloc[row]!r}, baseline {right.iloc[row]!r}"
            )
    return found


def check_against_lake(lake: str, tables: dict[str, pd.DataFrame], dates: list[date]) -> list[str]:
    """Differences between the computed tables and the lake's gold tables on the same dates."""
    stamps = [pd.Timestamp(d) for d in dates]
    found = []
    for name, frame in tables.items():
        location = GOLD_TABLES[name].location(lake)
        # no score history before the first snapshot date: the pipeline wrote no table
        stored = read_delta(location) if DeltaTable.is_deltatable(location) else frame.iloc[:0]
        if name != "scv_customer_score":
            stored = stored[stored["as_of_date"].isin(stamps)]
        found += differences(name, stored, frame)
    return found


# ------------------------------------------------------------------------------------------------------ CLI
def as_of_dates(args: argparse.Namespace) -> list[date]:
    if args.date:
        return [args.date]
    if not (args.from_date and args.to_date) or args.from_date > args.to_date:
        raise SystemExit("give --date D, or --from D1 --to D2 with D1 <= D2")
    return [args.from_date + timedelta(days=i) for i in range((args.to_date - args.from_date).days + 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", help="lake root holding silver/ (default: the configured lake_root)")
    parser.add_argument("--date", type=date.fromisoformat, help="one as-of date")
    parser.add_argument("--from", dest="from_date", type=date.fromisoformat, help="first as-of date of a range")
    parser.add_argument("--to", dest="to_date", type=date.fromisoformat, help="last as-of date of a range")
    parser.add_argument("--out", type=Path, help="write the tables here (default: a temp folder, removed after)")
    parser.add_argument(
        "--check", action="store_true", help="compare with the lake's gold tables; exit 1 on a difference"
    )
    args = parser.parse_args(argv)
    dates = as_of_dates(args)
    config = load_config()
    lake = args.lake or config.paths.lake_root
    started = time.perf_counter()
    silver = read_silver(lake)
    read_at = time.perf_counter()
    tables = compute(silver, dates, config.pipeline)
    computed_at = time.perf_counter()
    out = args.out or Path(tempfile.mkdtemp(prefix="scv-pandas-"))
    write_tables(tables, out)
    written_at = time.perf_counter()
    if args.out is None:
        shutil.rmtree(out)
    rows = sum(len(f) for f in tables.values())
    print(
        f"pandas baseline, {len(dates)} date(s): read {read_at - started:.1f} s, "
        f"compute {computed_at - read_at:.1f} s, write {written_at - computed_at:.1f} s; "
        f"{len(tables)} tables, {rows:,} rows"
    )
    if not args.check:
        return 0
    found = check_against_lake(lake, tables, dates)
    for line in found:
        print(f"DIFFERS {line}", file=sys.stderr)
    print(f"check against {lake}/gold: {'same rows' if not found else f'{len(found)} difference(s)'}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
