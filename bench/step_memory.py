"""Where a night's memory goes: run a command, sample the resident memory of its largest process every 0.1 s,
and print the most each step held (a step is known by the last progress line the command printed).

    python bench/step_memory.py --log /tmp/night.log -- scv nightly --date 2026-10-30

The command's output goes to --log (the night's progress lines are flushed as they happen); the last line
printed is the largest RSS seen. A sample is credited to the line printed last before it: the step after that
line is the one running.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux ``/proc``); a process gone meanwhile is left out."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            for child in children:
                found.extend(process_tree(int(child)))
    except OSError:
        pass
    return found


def rss_mib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:72] if lines else "(before the first line)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, required=True, help="the command's output goes here")
    parser.add_argument("--every", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command and its arguments")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give -- COMMAND")
    most: dict[str, int] = {}
    with args.log.open("w") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        while child.poll() is None:
            held = max(rss_mib(pid) for pid in process_tree(child.pid))
            line = last_line(args.log)
            most[line] = max(most.get(line, 0), held)
            time.sleep(args.every)
    for line, held in most.items():
        print(f"{held:7,d} MiB  after: {line}")
    print(f"largest: {max(most.values(), default=0):,} MiB; the command exited {child.returncode}")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
