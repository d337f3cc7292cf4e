"""bench/paired.py, the before/after timer the benchmark docs give: A and B in turn, the ratio pair by pair."""

from __future__ import annotations

import subprocess
import sys

from ground.config import PROJECT_ROOT

PAIRED = str(PROJECT_ROOT / "bench" / "paired.py")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, PAIRED, *args], capture_output=True, text=True, timeout=60)


def test_pairs_are_timed_in_turn_and_the_ratio_shows_which_is_slower() -> None:
    slow = f"{sys.executable} -c 'import time; time.sleep(0.3)'"
    done = _run("-n", "2", "--vs", f"{sys.executable} -c pass", "--", "sh", "-c", slow)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("pair ") == 2
    ratios = {line.split()[1]: [float(x) for x in line.split()[2:]] for line in done.stdout.splitlines()
              if line.startswith("A/B")}  # fmt: skip
    assert ratios["wall"][1] > 1.5  # A sleeps 0.3 s more than B does anything


def test_a_failing_run_ends_the_timing_and_names_its_side() -> None:
    done = _run("-n", "2", "--vs", f"{sys.executable} -c 'import sys; sys.exit(3)'", "--", sys.executable, "-c", "pass")
    assert done.returncode == 1
    assert "B exited 3" in done.stderr
    assert "pair " not in done.stdout
