"""bench/step_memory.py: the resident memory a command held, credited to the progress line it printed last."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ground.config import PROJECT_ROOT

SCRIPT = str(PROJECT_ROOT / "bench" / "step_memory.py")


def test_memory_is_credited_to_the_step_that_held_it(tmp_path: Path) -> None:
    # a step's line is printed as it starts: 200 MiB are taken only in the step after the line "big" (taken
    # before that line was printed, they would belong to the step after "small", which is the script's rule)
    child = (
        "import time; print('small', flush=True); time.sleep(0.5); "
        "print('big', flush=True); b = b'x' * (200 * 1024 * 1024); time.sleep(0.5)"
    )
    done = subprocess.run(
        [sys.executable, SCRIPT, "--log", str(tmp_path / "log"), "--", sys.executable, "-c", child],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    held = {line.split("after: ")[1]: int(line.split()[0].replace(",", "")) for line in done.stdout.splitlines()
            if "after: " in line}  # fmt: skip
    assert held["big"] >= 200 > held["small"]
    assert "largest:" in done.stdout.splitlines()[-1]
