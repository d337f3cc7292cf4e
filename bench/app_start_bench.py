"""How long `scv app` takes to answer: from starting the command to its first HTTP 200.

    python bench/app_start_bench.py --lake var/lake              # after scv nightly on that lake
    python bench/app_start_bench.py --lake var/lake --repeat 5 --json

Starts `scv app` on a free loopback port as a user would (a subprocess, the lake's gold tables loaded in the
background), polls `GET /login` (the sign-in page, what a visitor without a session is shown) every 50 ms and
records the seconds until a 200, then stops the app. The users file is a temp one holding demo users
(`scv app --demo-users`), so no real user is needed or touched. The target (issue 16) is 5 s. Beside the
wall seconds it records the CPU seconds the app had used when it answered: on a machine busy with other
work the wall time grows, the CPU time hardly.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(lake: str, users_file: Path) -> dict[str, str]:
    env = dict(os.environ, SCV_LAKE_ROOT=lake, SCV_APP_USERS_FILE=str(users_file), GRADIO_ANALYTICS_ENABLED="False")
    env.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    return env


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a running process has used (Linux /proc; None elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_200(env: dict[str, str], timeout_s: float) -> tuple[float, float | None]:
    """Seconds from starting `scv app` to the first 200 on GET /login, and the CPU seconds the app had used by
    then (a figure a busy machine does not inflate); raises if no 200 comes within the timeout."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/login"
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, "-m", "scv.cli", "app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while time.perf_counter() - started < timeout_s:
            if app.poll() is not None:
                raise RuntimeError(f"scv app exited with {app.returncode}: {app.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(url, timeout=timeout_s) as response:
                    if response.status == 200:
                        return time.perf_counter() - started, cpu_seconds(app.pid)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"scv app gave no 200 on {url} within {timeout_s} s")
    finally:
        app.terminate()
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(timeout=10)


def measure(lake: str, repeat: int, timeout_s: float = 60.0) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="scv-app-bench-") as folder:
        env = app_env(lake, Path(folder) / "users.yaml")
        made = subprocess.run(
            [sys.executable, "-m", "scv.cli", "app", "--demo-users"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        if made.returncode != 0:
            raise RuntimeError(f"scv app --demo-users failed: {made.stderr[-2000:]}")
        starts = [first_200(env, timeout_s) for _ in range(repeat)]
    seconds = [round(wall, 2) for wall, _ in starts]
    cpu = [round(c, 2) for _, c in starts if c is not None]
    return {
        "first_http_200_s": seconds,
        "median_s": statistics.median(seconds),
        "cpu_s_at_first_200": cpu,
        "median_cpu_s": statistics.median(cpu) if cpu else None,
        "target_s": 5.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="a lake with gold tables (after scv nightly)")
    parser.add_argument("--repeat", type=int, default=3, help="starts to time (default 3); the median is reported")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds (default 60)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = measure(args.lake, args.repeat, args.timeout)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        runs = ", ".join(f"{s:.2f}" for s in result["first_http_200_s"])  # type: ignore[attr-defined]
        print(
            f"scv app first HTTP 200: median {result['median_s']:.2f} s ({runs}; "
            f"{result['median_cpu_s']} CPU s); target 5 s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
