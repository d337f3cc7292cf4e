"""Content hash of every silver and gold table of a lake: the proof that a change left the tables as they were.

Rows are read with delta-rs, the columns a run stamps with its own clock (``scored_at``, ``ingested_at``) are
left out, columns are taken by name in sorted order (so column order and nullability do not count, only
content), rows are sorted, and the whole is hashed. Two lakes built from the same landing files by two
versions of the code print the same hashes when every table holds the same rows.

    python bench/table_hashes.py --lake var/lake                 # one line per table
    python bench/table_hashes.py --lake var/lake --json > a.json
    python bench/table_hashes.py --lake var/lake --compare a.json  # exit 1 naming every table that differs
    python bench/table_hashes.py --lake var/lake --rebuild /tmp/rebuilt  # against a rebuild of its last night
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from testkit.hashes import lake_hashes, rebuild_differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="lake root (the folder holding silver/ and gold/)")
    parser.add_argument("--json", action="store_true", help="print the hashes as JSON")
    parser.add_argument("--compare", type=Path, help="a JSON file of hashes to compare with; exit 1 on a difference")
    parser.add_argument(
        "--rebuild",
        help="a lake rebuilt from scratch for the last night of --lake: compare the two (dated tables on the "
        "rebuild's dates, testkit.hashes.rebuild_differences); print each table that differs and exit 1 if any",
    )
    args = parser.parse_args(argv)
    if args.rebuild:
        differences = rebuild_differences(args.lake, args.rebuild)
        for line in differences:
            print(f"DIFFERS {line}")
        return 1 if differences else 0
    hashes = lake_hashes(args.lake)
    if args.json:
        print(json.dumps(hashes, indent=2, sort_keys=True))
    else:
        for name, entry in hashes.items():
            print(f"{name:<45} {entry['rows']:>10,}  {entry['sha256']}")
    if args.compare is None:
        return 0
    expected = json.loads(args.compare.read_text(encoding="utf-8"))
    differ = sorted(n for n in set(expected) | set(hashes) if expected.get(n) != hashes.get(n))
    for name in differ:
        print(f"DIFFERS {name}: expected {expected.get(name)}, got {hashes.get(name)}", file=sys.stderr)
    print(f"{len(set(expected) | set(hashes)) - len(differ)} tables identical, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
