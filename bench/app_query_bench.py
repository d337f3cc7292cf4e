"""Benchmark of the field app's data queries over a synthetic ``scv_customer_score`` (default 1,000,000 rows).

Writes the table (and small taluka / district tables) with deltalake under a temporary folder, then times:
snapshot load (once per table version), the rep view for random dealers (cold: first query of a dealer on a
fresh snapshot; cached: the same query again), the same rep query straight from Delta without the snapshot,
the manager and leader views, and picking up a new version. Prints median and p95 in milliseconds.

    .venv/bin/python bench/app_query_bench.py --rows 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from app.data import DataAccess
from app.handlers import AppContext, leads_view
from app.markets import hotspot_cards, product_line_chart, score_chart, top3_html
from app.scope import Scope
from ground.catalogue import GOLD_TABLES
from ground.config import load_config
from ground.lake import query
from testkit import write_gold
from testkit.rows import AS_OF, SCORED_AT, hotspot_row, make_user, top3_row

REASONS = np.array(["Hot lead", "Expected to close within 7 days", "Test drive done", "Stock available", "Fleet buyer"])


def synthetic_scores(rows: int, dealers: int, seed: int) -> pa.Table:
    """Score rows with realistic cardinalities: dealers in districts, a few product lines and classes."""
    rng = np.random.default_rng(seed)
    dealer = rng.integers(0, dealers, rows)
    district = dealer // 20  # 20 dealers per district
    idx = np.arange(rows)
    score = np.round(rng.beta(2, 3, rows) * 100, 1)
    offsets = np.arange(0, rows * 3 + 1, 3, dtype=np.int32)
    values = pa.array(REASONS.tolist()).take(pa.array(rng.integers(0, len(REASONS), rows * 3)))
    reasons = pa.ListArray.from_arrays(pa.array(offsets), values)
    days = rng.integers(0, 30, rows)
    columns = {
        "opty_id": pa.array(np.char.add("OPP", idx.astype(str))),
        "as_of_date": pa.array(np.full(rows, np.datetime64(AS_OF, "D"))),
        "dealer_code": pa.array(np.char.add("DLR", np.char.zfill(dealer.astype(str), 5))),
        "taluka": pa.array(np.char.add("Taluka ", (dealer // 4).astype(str))),
        "district": pa.array(np.char.add("District ", district.astype(str))),
        "state": pa.array(np.char.add("State ", (district // 10).astype(str))),
        "customer_name": pa.array(np.char.add("Customer ", idx.astype(str))),
        "customer_phone": pa.array(np.char.add("+9198", np.char.zfill((idx % 10**8).astype(str), 8))),
        "product_line": pa.array(np.array(["Pickup", "Mini truck", "Small van", "Bus", "Cargo 3W"])[idx % 5]),
        "stage": pa.array(np.array(["C0", "C1", "C2", "C3"])[rng.integers(0, 4, rows)]),
        "lead_classification": pa.array(np.array(["Hot", "Warm", "Cold", "Live Deal"])[rng.integers(0, 4, rows)]),
        "opty_category": pa.array(np.array(["Walk-in", "Digital", "Referral", "Event"])[rng.integers(0, 4, rows)]),
        "customer_type": pa.array(np.array(["Retail", "Fleet", "Institutional"])[rng.integers(0, 3, rows)]),
        "days_since_last_contact": pa.array(days.astype(np.int32)),
        "total_score": pa.array(score),
        "reasons": reasons,
        "next_best_action": pa.array(np.array(["Call today", "Offer a test drive", "Send a quote"])[idx % 3]),
        "scored_at": pa.array(np.full(rows, np.datetime64(SCORED_AT.replace(tzinfo=None), "us"))),
    }
    schema = GOLD_TABLES["scv_customer_score"].arrow_schema
    arrays = [columns[f.name] if f.name in columns else pa.nulls(rows, f.type) for f in schema]
    return pa.Table.from_arrays([a.cast(f.type) for a, f in zip(arrays, schema, strict=True)], schema=schema)


def timed(fn: Callable[[], object], repeat: int = 1) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"  {label:<52} n={len(times):<4} median {statistics.median(times):8.2f} ms   p95 {p95:8.2f} ms")


def write_tables(lake: Path, rows: int, dealers: int, seed: int) -> None:
    spec = GOLD_TABLES["scv_customer_score"]
    started = time.perf_counter()
    write_deltalake(spec.location(str(lake)), synthetic_scores(rows, dealers, seed), mode="overwrite")
    districts = dealers // 20
    statuses = ["HOTSPOT", "EMERGING", "STABLE", "NOISE"]
    talukas = [
        hotspot_row(f"Taluka {t}", f"District {t // 5}", statuses[t % 4], leads_cur=10 + t % 50)
        for t in range(districts * 5)
    ]
    write_gold(lake, "macro_market_hotspot_taluka_5d", talukas)
    top3 = [
        top3_row(f"District {d}", r, f"Taluka {d * 5 + r}", "EMERGING", 40 - r)
        for d in range(districts)
        for r in (1, 2, 3)
    ]
    write_gold(lake, "district_top3_talukas", top3)
    print(f"wrote {rows:,} score rows for {dealers:,} dealers in {time.perf_counter() - started:.1f} s")


def bench_rep(access: DataAccess, lake: Path, picked: list[str]) -> None:
    print("rep view, one dealer (data query from the snapshot):")
    report("cold (first query of each dealer)", [timed(lambda d=d: access.leads(Scope("rep", d)))[0] for d in picked])
    report("cached (same query again)", [timed(lambda d=d: access.leads(Scope("rep", d)))[0] for d in picked])
    report(
        "filtered (enquiry type + classification), cold",
        [timed(lambda d=d: access.leads(Scope("rep", d), "Walk-in", "Hot"))[0] for d in picked],
    )
    table = DeltaTable(GOLD_TABLES["scv_customer_score"].location(str(lake)))
    sql = "select * from t where dealer_code = '{}' order by total_score desc limit 20"
    report(
        "without the snapshot: DataFusion over Delta",
        [timed(lambda d=d: query({"t": table}, sql.format(d)))[0] for d in picked[:20]],
    )


def bench_handler(lake: Path, picked: list[str]) -> None:
    """The whole rep view as the UI calls it: user lookup, scoped query, HTML cards."""
    users_file = lake.parent / "users.yaml"
    for dealer in sorted(set(picked)):
        make_user(users_file, f"rep-{dealer}", "not-used-here", Scope("rep", dealer))
    config = load_config().with_overrides(paths={"lake_root": str(lake)}, app={"users_file": str(users_file)})
    ctx = AppContext.from_config(config)
    ctx.data.cache.warm(background=False)
    print("rep view handler (user lookup + scoped query + HTML cards):")
    report("cold (first view of each dealer)", [timed(lambda d=d: leads_view(ctx, f"rep-{d}"))[0] for d in picked])
    report("cached (same view again)", [timed(lambda d=d: leads_view(ctx, f"rep-{d}"))[0] for d in picked])


def bench_area_views(access: DataAccess) -> None:
    print("manager (one district) and leader (everything) views:")
    for label, scope in (("manager", Scope("manager", district="District 7")), ("leader", Scope("leader"))):
        report(f"{label} top leads, cold", timed(lambda s=scope: access.leads(s)))
        report(f"{label} top leads, cached", timed(lambda s=scope: access.leads(s), repeat=20))
        charts = lambda s=scope: (  # noqa: E731
            product_line_chart(access.leads_by_product_line(s)),
            score_chart(access.score_distribution(s)),
        )
        report(f"{label} leads by product line + score chart, cold", timed(charts))
        markets = lambda s=scope: (hotspot_cards(access.hotspots(s)), top3_html(access.top_talukas(s)))  # noqa: E731
        report(f"{label} hotspots + top 3 per district (HTML), cold", timed(markets))
        report(f"{label} hotspots + top 3 per district (HTML), again", timed(markets, repeat=20))


def bench_new_version(access: DataAccess, lake: Path, dealers: int, seed: int) -> None:
    print("new table version (the nightly run appends rows):")
    location = GOLD_TABLES["scv_customer_score"].location(str(lake))
    write_deltalake(location, synthetic_scores(1000, dealers, seed + 1), mode="append")
    watch = access.cache.watch("scv_customer_score")
    watch._refresh_seconds = 0.0
    report("detect version + reload + re-index", timed(lambda: access.cache.get("scv_customer_score")))
    report("check, version unchanged (update_incremental)", timed(lambda: access.cache.get("scv_customer_score"), 20))


def bench(lake: Path, dealers: int, queries: int, seed: int) -> None:
    rng = random.Random(seed)
    picked = [f"DLR{rng.randrange(dealers):05d}" for _ in range(queries)]
    access = DataAccess.for_lake(str(lake), refresh_seconds=3600)
    print("snapshot (once per table version):")
    report("load scv_customer_score into memory + dealer index", timed(lambda: access.cache.get("scv_customer_score")))
    areas = ("macro_market_hotspot_taluka_5d", "district_top3_talukas")
    report("load the taluka and district tables", timed(lambda: [access.cache.get(name) for name in areas]))
    bench_rep(access, lake, picked)
    bench_handler(lake, picked)
    bench_area_views(access)
    bench_new_version(access, lake, dealers, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dealers", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=200, help="random dealers to query")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lake", help="write the tables here instead of a temporary folder")
    args = parser.parse_args()
    print(f"app query benchmark: {args.rows:,} rows, {args.dealers:,} dealers, as of {dt.date.isoformat(AS_OF)}")
    with tempfile.TemporaryDirectory(prefix="scv-app-bench-") as tmp:
        lake = Path(args.lake) if args.lake else Path(tmp) / "lake"
        write_tables(lake, args.rows, args.dealers, args.seed)
        bench(lake, args.dealers, args.queries, args.seed)


if __name__ == "__main__":
    main()
