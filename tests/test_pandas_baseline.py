"""The pandas baseline (bench/pandas_baseline.py) gives the pipeline's gold rows on a small demo lake, and its
comparison finds a difference when there is one; bench/pipeline_gold.py rewrites the same rows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO_ROOT
from ground.catalogue import GOLD_VIEWS

sys.path.insert(0, str(REPO_ROOT / "bench"))

import pandas_baseline  # noqa: E402
from pandas_score import round_half_away  # noqa: E402

# three as-of dates before the demo's end (the data after them must not count), 2026-11-15 a score snapshot
END = date(2026, 11, 21)
DATES = [date(2026, 11, 15) + timedelta(days=i) for i in range(3)]


def _config(root: Path, lake: str, **overrides):  # type: ignore[no-untyped-def]
    from testkit import base_config

    paths = {
        "lake_root": str(root / lake),
        "landing_dir": str(root / "landing"),
        "outbox_dir": str(root / "outbox"),
        "truth_dir": str(root / "truth"),
    }
    return base_config().with_overrides(paths=paths, **overrides)


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A small demo lake after one pipeline run over DATES (no data-quality step)."""
    from demo_data.generator import generate
    from ground.run import RunContext
    from jobs.nightly import run_pipeline

    root = tmp_path_factory.mktemp("baseline")
    generate(root / "landing", root / "truth", scale="small", seed=7, end_date=END)
    config = _config(root, "lake")
    outcome = run_pipeline(RunContext.create(spark, config), DATES, quality=False, echo=lambda line: None)
    assert not outcome.failed, [r.line() for r in outcome.failed]
    return root, config


@pytest.mark.e2e
def test_the_baseline_gives_the_pipelines_rows(lake) -> None:  # type: ignore[no-untyped-def]
    _, config = lake
    silver = pandas_baseline.read_silver(config.paths.lake_root)
    tables = pandas_baseline.compute(silver, DATES, config.pipeline)
    assert set(tables) == set(pandas_baseline.TABLES)
    assert all(len(frame) > 0 for frame in tables.values()), {n: len(f) for n, f in tables.items()}
    assert set(tables["scv_customer_score"]["as_of_date"]) == {pd.Timestamp(DATES[-1])}
    assert set(tables["scv_customer_score_history"]["as_of_date"]) == {pd.Timestamp(DATES[0])}
    assert pandas_baseline.check_against_lake(config.paths.lake_root, tables, DATES) == []


@pytest.mark.e2e
def test_two_of_three_persistence_gives_the_pipelines_rows(spark, lake) -> None:  # type: ignore[no-untyped-def]
    """The surge detector's check days before the as-of date (persistence 2 of 3), on a copy of the lake."""
    from gold.graph import run_gold
    from ground.run import RunContext

    root, _ = lake
    shutil.copytree(root / "lake", root / "lake-persist", dirs_exist_ok=True)
    config = _config(root, "lake-persist", hotspot={"persist_days": 2, "persist_window_days": 3})
    failed = [r.line() for r in run_gold(RunContext.create(spark, config), DATES[-1:]) if r.status == "failed"]
    assert failed == []
    tables = pandas_baseline.compute(pandas_baseline.read_silver(config.paths.lake_root), DATES[-1:], config.pipeline)
    assert tables["taluka_lead_surveillance"]["surge_days"].max() >= 1  # the earlier check days were counted
    market = {n: f for n, f in tables.items() if not n.startswith("scv_customer_score")}
    assert pandas_baseline.check_against_lake(config.paths.lake_root, market, DATES[-1:]) == []


@pytest.mark.e2e
def test_pipeline_gold_rewrites_the_same_rows(lake) -> None:  # type: ignore[no-untyped-def]
    """bench/pipeline_gold.py (the pipeline's side of the timing) as a subprocess: it runs every table the
    baseline computes, and the lake still matches the baseline after it."""
    root, config = lake
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "pipeline_gold.py"), "--lake", config.paths.lake_root,
         "--from", str(DATES[0]), "--to", str(DATES[-1])],
        env=_subprocess_env(root), cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("gold:")}
    staged_views = {f"gold:{name}" for name, view in GOLD_VIEWS.items() if view.staged}  # steps of their own
    assert steps - staged_views == {
        f"gold:{name}" for name in pandas_baseline.TABLES if name != "scv_customer_score_history"
    }
    tables = pandas_baseline.compute(pandas_baseline.read_silver(config.paths.lake_root), DATES, config.pipeline)
    assert pandas_baseline.check_against_lake(config.paths.lake_root, tables, DATES) == []


def _subprocess_env(root: Path) -> dict[str, str]:
    from conftest import scv_environment

    return scv_environment(root / "env")  # its own copy of conf/base; the lake comes with --lake


def _hotspot_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of_date": pd.to_datetime(["2026-11-21", "2026-11-21"]),
            "state": ["S", "S"],
            "district": ["D", "D"],
            "taluka": ["A", "B"],
            "lead_growth": [0.5, np.nan],
            "status": ["HOTSPOT", "STABLE"],
        }
    ).reindex(columns=["as_of_date", "state", "district", "taluka", "lead_growth", "status"])


def test_differences_names_what_differs_and_allows_float_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    from ground.catalogue import GOLD_TABLES
    from ground.catalogue.table import Table, cols

    table = Table(
        "tiny",
        "gold",
        cols("as_of_date date, state string, district string, taluka string, lead_growth double, status string"),
        key=("as_of_date", "state", "district", "taluka"),
    )
    monkeypatch.setitem(GOLD_TABLES, "tiny", table)
    pipeline = _hotspot_rows()
    assert pandas_baseline.differences("tiny", pipeline, pipeline.iloc[::-1].copy()) == []  # row order is free
    noisy = pipeline.assign(lead_growth=pipeline["lead_growth"] * (1 + 1e-12))
    assert pandas_baseline.differences("tiny", pipeline, noisy) == []
    changed = pipeline.assign(lead_growth=[0.51, np.nan], status=["HOTSPOT", "EMERGING"])
    found = pandas_baseline.differences("tiny", pipeline, changed)
    assert [line.split(":")[0] for line in found] == ["tiny.lead_growth", "tiny.status"]
    assert "'B'" in found[1] and "'STABLE'" in found[1] and "'EMERGING'" in found[1]
    assert pandas_baseline.differences("tiny", pipeline, pipeline.iloc[:1]) == [
        "tiny: 2 rows in the pipeline's table, 1 in the baseline's"
    ]


def test_round_half_away_rounds_as_the_engine_does(spark) -> None:
    from pyspark.sql import functions as F

    values = [2.675, 77.975, 0.125, 1.005, 76.125, 98.745, 12.0, 0.0, 55.555]
    engine = spark.createDataFrame([(v,) for v in values], "x double").select(F.round("x", 2).alias("r"))
    assert [row.r for row in engine.collect()] == list(round_half_away(np.array(values), 2))
