"""Time two commands in turn, A B A B ..., and give the ratio A/B pair by pair: a before/after figure that
holds when a shared machine's speed drifts during the runs (each pair ran close together in time).

    python bench/paired.py -n 3 --vs "sh /tmp/inc.sh <old tree> /tmp/ib" -- sh /tmp/inc.sh <new tree> /tmp/ia

Each run is timed from outside (bench/timing.py: wall seconds, user + system CPU seconds and peak RSS from
``wait4``, the command and the processes it waited for). Printed: min, median and max of each figure for A and
for B, and of the ratios A/B of the pairs; quote the medians. A command is split as a shell splits words but not
given a shell: write one that needs a pipe or a redirection as ``sh -c '...'``. A run that exits non-zero is
reported and ends the timing (exit 1): a failed run's seconds compare nothing.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import Timed, run_timed  # noqa: E402

FIGURES = (("wall s", "seconds"), ("cpu s", "cpu_s"), ("peak MiB", "peak_rss_mb"))


def spread(values: list[float]) -> str:
    return f"{min(values):10.3f} {statistics.median(values):10.3f} {max(values):10.3f}"


def report(pairs: list[tuple[Timed, Timed]]) -> list[str]:
    lines = [f"{'':12s} {'min':>10s} {'median':>10s} {'max':>10s}   ({len(pairs)} pairs)"]
    for side, index in (("A", 0), ("B", 1)):
        for label, attribute in FIGURES:
            lines.append(f"{side} {label:10s} {spread([getattr(pair[index], attribute) for pair in pairs])}")
    for label, attribute in FIGURES[:2]:
        ratios = [getattr(a, attribute) / max(getattr(b, attribute), 1e-9) for a, b in pairs]
        lines.append(f"A/B {label[:-2]:8s} {spread(ratios)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=3, help="timed pairs (default 3)")
    parser.add_argument("--warmup", type=int, default=0, help="untimed pairs first (default 0)")
    parser.add_argument("--vs", required=True, help="command B, the baseline, as one string")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command A and its arguments")
    args = parser.parse_args(argv)
    command_a = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command_a or args.runs < 1:
        parser.error("give -n >= 1, --vs 'COMMAND B' and -- COMMAND A")
    commands = {"A": command_a, "B": shlex.split(args.vs)}
    pairs: list[tuple[Timed, Timed]] = []
    for n in range(args.warmup + args.runs):
        timed = {}
        for side, command in commands.items():
            timed[side] = run_timed(command, cwd=Path.cwd())
            if timed[side].returncode != 0:
                print(f"{side} exited {timed[side].returncode}:\n{timed[side].stderr[-2000:]}", file=sys.stderr)
                return 1
        if n >= args.warmup:
            pairs.append((timed["A"], timed["B"]))
            print(f"pair {len(pairs)}: A {timed['A'].seconds:.2f} s, B {timed['B'].seconds:.2f} s", flush=True)
    print("\n".join(report(pairs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
