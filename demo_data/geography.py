"""Talukas (sub-districts) of a few Indian states, derived from the Local Government Directory.

The generator reads only the committed compact file ``reference/talukas.csv``; ``derive_reference`` rebuilds it
from the full LGD extract (``../shared/data/india-lgd`` beside the repository, or ``$SCV_LGD_DIR``):

    .venv/bin/python -m demo_data.geography            # rewrite reference/talukas.csv
"""

from __future__ import annotations

import csv
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
TALUKAS_CSV = REFERENCE_DIR / "talukas.csv"
STATE_CODES = ("27", "24", "29", "23")  # Maharashtra, Gujarat, Karnataka, Madhya Pradesh
_LETTERS = re.compile(r"[^\W\d_]+")
COLUMNS = ("state_code", "state", "district_code", "district", "taluka_code", "taluka")


@dataclass(frozen=True)
class Taluka:
    state: str
    district: str
    taluka: str
    state_code: int
    district_code: int
    taluka_code: int


def default_lgd_dir() -> Path:
    """The LGD extract: ``$SCV_LGD_DIR`` or ``shared/data/india-lgd`` beside the repository."""
    env = os.environ.get("SCV_LGD_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared/data/india-lgd"


def normalise_name(name: str) -> str:
    """A place name as it reads naturally: LGD spells many in capitals ('MADHYA PRADESH', 'KOLHAR').

    A name written all in capitals is title-cased letter run by letter run ('RAJKOT EAST' -> 'Rajkot East',
    'DETROJ-RAMPURA' -> 'Detroj-Rampura', 'MORWA (HADAF)' -> 'Morwa (Hadaf)'); a name with any lower-case
    letter is kept as spelled ('Pune City', 'Aundha (Nagnath)', 'Burhanpur nagar'). Runs of whitespace
    become one space.
    """
    name = " ".join(name.split())
    if any(c.islower() for c in name):
        return name
    return _LETTERS.sub(lambda m: m.group(0).capitalize(), name)


def derive_reference(lgd_dir: Path | None = None, out_path: Path = TALUKAS_CSV) -> int:
    """Write the compact taluka file for STATE_CODES from LGD's 3-subdistrict.csv; return the row count.

    Kept: state, district and sub-district names and LGD codes. Names written all in capitals are title-cased
    (``normalise_name``), others kept as spelled; rows are sorted by state, district and taluka code.
    """
    source = (lgd_dir or default_lgd_dir()) / "3-subdistrict.csv"
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found (set SCV_LGD_DIR to the india-lgd folder)")
    rows = []
    with source.open(encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle):
            if rec["State Code"].strip() not in STATE_CODES:
                continue
            rows.append(
                (
                    int(rec["State Code"]),
                    normalise_name(rec["State Name"]),
                    int(rec["District Code"]),
                    normalise_name(rec["District Name"]),
                    int(rec["Sub-district Code"]),
                    normalise_name(rec["Sub-district Name"]),
                )
            )
    rows.sort(key=lambda r: (r[0], r[2], r[4]))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows)


def load_talukas(path: Path = TALUKAS_CSV) -> list[Taluka]:
    """The committed reference talukas, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Taluka(
                state=rec["state"],
                district=rec["district"],
                taluka=rec["taluka"],
                state_code=int(rec["state_code"]),
                district_code=int(rec["district_code"]),
                taluka_code=int(rec["taluka_code"]),
            )
            for rec in csv.DictReader(handle)
        ]


if __name__ == "__main__":
    lgd = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    count = derive_reference(lgd)
    print(f"wrote {count} talukas to {TALUKAS_CSV}")
