"""Timing a command from outside, for the benchmarks: wall seconds and the child's own peak RSS, plus what
a report needs to say where it was measured (git commit, cores, memory, load)."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float  # the child's own peak resident set (its threads, the embedded engine included)
    cpu_s: float  # user + system seconds of the child and its threads (a busy machine inflates wall, not this)
    returncode: int
    stdout: str
    stderr: str


def run_timed(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> Timed:
    """Run ``command`` to its end; wall seconds from start to exit, and the peak RSS and CPU seconds the kernel
    accounted to it (``wait4``: this child alone, not the largest of all children so far)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Timed(
            seconds,
            usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime,
            child.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def git_commit() -> dict[str, object]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def machine() -> dict[str, object]:
    memory_gib = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024**2, 1)
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: a load far above the core count makes every figure slower."""
    return [round(x, 2) for x in os.getloadavg()]
