"""The files each commit of a lake table added and removed, and the partitions they lie in: the proof that a
write touched only what it had to (e.g. a one-date rerun replaces one ``as_of_date`` partition).

    python bench/commit_files.py --lake var/lake --table dealer_geo            # the last 5 commits
    python bench/commit_files.py --lake var/lake --table dealer_geo --last 20
"""

from __future__ import annotations

import argparse
import sys

from deltalake import DeltaTable

from ground.catalogue import GOLD_TABLES, OPS_TABLES, SILVER_TABLES
from testkit import commit_files

TABLES = {**SILVER_TABLES, **GOLD_TABLES, **OPS_TABLES}


def _partitions(paths: list[str]) -> list[str]:
    return sorted({"/".join(p.split("/")[:-1]) or "(unpartitioned)" for p in paths})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--table", required=True, choices=sorted(TABLES))
    parser.add_argument("--last", type=int, default=5, help="how many commits (default 5)")
    args = parser.parse_args(argv)
    location = TABLES[args.table].location(args.lake)
    table = DeltaTable(location)
    history = {h["version"]: h for h in table.history(args.last)}
    for version in sorted(history):
        touched = commit_files(location, version)
        partitions = _partitions(touched["add"] + touched["remove"])
        shown = ", ".join(partitions[:3]) + (f" ... ({len(partitions)} partitions)" if len(partitions) > 3 else "")
        print(
            f"v{version:<4} {history[version].get('operation', ''):<10} added {len(touched['add']):>4} "
            f"removed {len(touched['remove']):>4}  {shown}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
