"""Content hash of every silver and gold table of a lake: the proof that a change left the tables as they were.

Rows are read with delta-rs, the columns a run stamps with its own clock (``scored_at``, ``ingested_at``) are
left out, columns are taken by name in sorted order (so column order and nullability do not count, only
content), rows are sorted, and the whole is hashed. Two lakes built from the same landing files by two
versions of the code print the same hashes when every table holds the same rows.

    python bench/table_hashes.py --lake var/lake                 # one line per table
    python bench/table_hashes.py --lake var/lake --json > a.json
    python bench/table_hashes.py --lake var/lake --compare a.json  # exit 1 naming every table that differs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ground.lake import open_table, query

RUN_STAMPED = {"scored_at", "ingested_at", "_ingested_at", "_run_id", "run_id", "updated_at_run"}
LAYERS = ("silver", "gold")


def _canonical(table: pa.Table) -> pa.Table:
    names = sorted(c for c in table.column_names if c not in RUN_STAMPED)
    table = table.select(names)
    if table.num_rows == 0:
        return table
    keys = [(name, "ascending") for name in names if not pa.types.is_list(table.schema.field(name).type)]
    return table.take(pc.sort_indices(table, sort_keys=keys))


def _value(value: object) -> object:
    if isinstance(value, float):
        return repr(round(value, 9))  # the last bits of a double may differ between engines
    return value


def table_hash(table: pa.Table) -> str:
    canonical = _canonical(table)
    digest = hashlib.sha256("|".join(canonical.column_names).encode())
    for row in canonical.to_pylist():
        digest.update(json.dumps([_value(row[c]) for c in canonical.column_names], default=str).encode())
    return digest.hexdigest()[:16]


def lake_hashes(lake_root: str) -> dict[str, dict[str, object]]:
    hashes: dict[str, dict[str, object]] = {}
    for layer in LAYERS:
        folder = Path(lake_root) / layer
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_dir()):
            delta = open_table(str(path))
            if delta is None:
                continue
            table = query({"t": delta}, "select * from t")
            hashes[f"{layer}/{path.name}"] = {"rows": table.num_rows, "sha256": table_hash(table)}
    return hashes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="lake root (the folder holding silver/ and gold/)")
    parser.add_argument("--json", action="store_true", help="print the hashes as JSON")
    parser.add_argument("--compare", type=Path, help="a JSON file of hashes to compare with; exit 1 on a difference")
    args = parser.parse_args(argv)
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
