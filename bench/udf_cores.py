"""How many cores `groupBy().applyInPandas` uses on the configured engine (docs/kpi.md, cost of a night).

    python bench/udf_cores.py

Runs a CPU-bound pure-Python function and 40 statsforecast AutoETS fits per group over 8 groups, once through
`applyInPandas` and once group by group in this process, and prints this process's CPU seconds over wall seconds
for the engine's run. On the embedded Sail engine the Python functions run in this process's interpreter, so a
ratio near 1 means one core at a time whatever the partitions; a Spark cluster runs them in worker processes.
"""

from __future__ import annotations

import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def busy(part: pd.DataFrame) -> pd.DataFrame:
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return pd.DataFrame({"g": [int(part["g"].iat[0])], "s": [total]})


def fits(part: pd.DataFrame) -> pd.DataFrame:
    from statsforecast.models import AutoETS

    y = part["y"].to_numpy(float)
    for _ in range(40):
        AutoETS(season_length=7, model="ANA").fit(y=y)
    return pd.DataFrame({"g": [int(part["g"].iat[0])], "s": [0]})


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ground.config import load_config
    from ground.engine import engine_session

    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"g": np.repeat(np.arange(8), 112), "y": rng.poisson(50, 8 * 112).astype(float)})
    with engine_session(load_config().engine) as engine:
        df = engine.spark.createDataFrame(frame)
        for name, fn in (("pure Python", busy), ("statsforecast fits", fits)):
            df.groupBy("g").applyInPandas(fn, "g long, s long").collect()  # warm up
            cpu, wall = cpu_seconds(), time.perf_counter()
            df.groupBy("g").applyInPandas(fn, "g long, s long").collect()
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            alone = time.perf_counter()
            for _, part in frame.groupby("g"):
                fn(part)
            alone = time.perf_counter() - alone
            print(
                f"{name}: engine {wall:.2f} s wall, {cpu:.2f} s CPU (CPU/wall {cpu / wall:.2f}); "
                f"group by group in this process {alone:.2f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
