"""How fast does `scv app` answer? Starts the real command in a subprocess several times and prints, per run,
the seconds from the start of the process to the first HTTP 200 (the sign-in page), and to the app itself
being served to a signed-in user (Gradio imported and mounted, data loading in the background).

    python bench/app_start_bench.py                              # a small sample lake, 5 runs
    python bench/app_start_bench.py --lake var/lake              # the demo lake (`make demo`)
    python bench/app_start_bench.py --lake var/lake --runs 3 --json

The users file is a temp one holding one leader made for the run, so no real user is needed or touched.
Beside the wall seconds it records the CPU seconds the app had used at its first 200: on a machine busy with
other work the wall time grows, the CPU time hardly. The target: the first HTTP 200 within 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 5.0
PASSWORD = "bench-password"


def _wait(predicate, deadline: float) -> float:  # type: ignore[no-untyped-def]
    while time.monotonic() < deadline:
        try:
            if predicate():
                return time.monotonic()
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        time.sleep(0.02)
    raise SystemExit("the app did not answer in time")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a running process has used (Linux /proc; None elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(lake: str, users: str) -> tuple[float, float, float | None]:
    """Seconds to the first 200 on GET /login, seconds to the app served to a signed-in user, and the CPU
    seconds the app had used at its first 200."""
    import httpx

    from testkit import free_port

    port = free_port()
    env = {**os.environ, "SCV_LAKE_ROOT": lake, "SCV_APP_USERS_FILE": users, "GRADIO_ANALYTICS_ENABLED": "False"}
    env.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "scv.cli", "app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=5) as client:
            first = _wait(lambda: client.get(f"{base}/login").status_code == 200, started + 120)
            cpu = cpu_seconds(process.pid)
            signed = client.post(f"{base}/login", data={"username": "bench", "password": PASSWORD})
            if signed.status_code != 200:
                raise SystemExit(f"sign-in failed: {signed.status_code}")
            html = {"accept": "text/html"}
            ready = _wait(lambda: "Starting up" not in client.get(f"{base}/", headers=html).text, started + 180)
    finally:
        process.terminate()
        process.wait(timeout=20)
    return first - started, ready - started, cpu


def measure(lake: str | None, runs: int, echo: bool = False) -> dict[str, Any]:
    """Times `runs` starts of `scv app` on `lake` (None: a small sample lake in a temporary folder)."""
    from app.scope import Scope
    from testkit.rows import make_user, write_sample_lake

    with tempfile.TemporaryDirectory(prefix="scv-app-start-") as tmp:
        if lake is None:
            lake = str(Path(tmp) / "lake")
            write_sample_lake(lake)
        users = str(Path(tmp) / "users.yaml")
        make_user(users, "bench", PASSWORD, Scope("leader"))
        first: list[float] = []
        ready: list[float] = []
        cpu: list[float] = []
        for n in range(1, runs + 1):
            a, b, c = one_run(lake, users)
            first.append(round(a, 2))
            ready.append(round(b, 2))
            if c is not None:
                cpu.append(round(c, 2))
            if echo:
                print(f"run {n}: first HTTP 200 (sign-in page) {a:5.2f} s; app served {b:5.2f} s", flush=True)
    return {
        "first_http_200_s": first,
        "median_s": statistics.median(first),
        "app_served_s": ready,
        "cpu_s_at_first_200": cpu,
        "median_cpu_s": statistics.median(cpu) if cpu else None,
        "target_s": TARGET_S,
        "load_average": round(os.getloadavg()[0], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", help="an existing lake (default: a small sample lake in a temporary folder)")
    parser.add_argument("--runs", "--repeat", dest="runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = measure(args.lake, args.runs, echo=not args.json)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"first HTTP 200: median {result['median_s']:.2f} s, max {max(result['first_http_200_s']):.2f} s "
            f"({result['median_cpu_s']} CPU s); app served: median {statistics.median(result['app_served_s']):.2f} s, "
            f"max {max(result['app_served_s']):.2f} s  ({args.runs} runs, load average {result['load_average']})"
        )
    return 0 if max(result["first_http_200_s"]) <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
