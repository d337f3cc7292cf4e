"""The planted ground truth, written under the truth folder (the pipeline never reads it).

hotspots.csv        the surging talukas and their stretch
opportunities.csv   every opportunity's latent conversion propensity and planned outcome
bad_records.csv     every bad line or file placed on purpose, with its exact file and line
drivers.csv         the planted causes of win-rate movement (demo_data/drivers.py)
accounts.csv        the repeat-buying accounts: cadence, churn, a negative turn before it (demo_data/accounts.py)
account_pairs.csv   the product-line pairs planted as bought together by accounts
kpi_events.csv      the planted KPI events: a retail drop, a product spike, the festive season, slow movers
manifest.json       arguments, counts and the sha256 of every file written
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from demo_data.accounts import ACCOUNT_TRUTH_COLUMNS, PAIR_COLUMNS, AccountPlan, account_rows, pair_rows
from demo_data.conversion import Outcome
from demo_data.drivers import DriverPlan
from demo_data.leads import Leads
from demo_data.messy import BadRecord
from demo_data.rhythm import Calendar
from demo_data.world import World
from jobs.bronze.landing import file_sha256

HOTSPOT_COLUMNS = (
    "state", "district", "taluka", "start_date", "end_date", "has_supply_gap", "lead_multiplier",
    "taluka_lgd_code", "dealer_count", "dealer_codes",
)  # fmt: skip
OPPORTUNITY_COLUMNS = (
    "opty_id", "dealer_code", "created_date", "converts", "conversion_date", "propensity", "lost_date",
)  # fmt: skip
BAD_RECORD_COLUMNS = ("source", "file", "line", "kind", "key", "expected_handling")
DRIVER_COLUMNS = ("kind", "dimension", "segment", "start_date", "competitor", "detail")
TRUTH_FILES = (
    "hotspots.csv",
    "opportunities.csv",
    "bad_records.csv",
    "drivers.csv",
    "accounts.csv",
    "account_pairs.csv",
    "kpi_events.csv",
)


def _bool(values: np.ndarray) -> list[str]:
    return np.where(values, "true", "false").tolist()


def _probability(p: float) -> str:
    """Four decimals; a probability too small for them (a planted driver cut it) in scientific notation."""
    return f"{p:.4f}" if p >= 5e-5 else f"{p:.1e}"


class TruthWriter:
    def __init__(self, truth_dir: Path, calendar: Calendar, dealer_codes: np.ndarray) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self.dir = truth_dir
        self.calendar = calendar
        self.codes = dealer_codes
        self.counts = {
            "opportunities": 0,
            "bad_records": 0,
            "hotspots": 0,
            "drivers": 0,
            "accounts": 0,
            "kpi_events": 0,
        }
        self._opp_file = (truth_dir / "opportunities.csv").open("w", encoding="utf-8", newline="")
        self._opp = csv.writer(self._opp_file, lineterminator="\n")
        self._opp.writerow(OPPORTUNITY_COLUMNS)
        self._bad_file = (truth_dir / "bad_records.csv").open("w", encoding="utf-8", newline="")
        self._bad = csv.writer(self._bad_file, lineterminator="\n")
        self._bad.writerow(BAD_RECORD_COLUMNS)

    def opportunities(self, leads: Leads, outcome: Outcome) -> None:
        """One row per new opportunity; outcome dates may lie past the range (the lead is open there)."""
        iso = self.calendar.iso
        close = leads.day + outcome.close_off
        won = np.where(outcome.converts, iso[close], "")
        lost = np.where(outcome.converts, "", iso[close])
        rows = zip(
            [f"OPTY{n:08d}" for n in leads.opty.tolist()],
            self.codes[leads.dealer].tolist(),
            [str(iso[leads.day])] * len(leads),
            _bool(outcome.converts),
            won.tolist(),
            [_probability(p) for p in outcome.propensity.tolist()],
            lost.tolist(),
            strict=True,
        )
        self._opp.writerows(rows)
        self.counts["opportunities"] += len(leads)

    def account_opportunities(self, leads: Leads, converts: np.ndarray, close_off: np.ndarray) -> None:
        """The account opportunities created on the day: a planned order converts (propensity written 0.95),
        an enquiry the plan loses does not (0.05)."""
        iso = self.calendar.iso
        close = leads.day + close_off
        rows = zip(
            [f"OPTY{n:08d}" for n in leads.opty.tolist()],
            self.codes[leads.dealer].tolist(),
            [str(iso[leads.day])] * len(leads),
            _bool(converts),
            np.where(converts, iso[close], "").tolist(),
            np.where(converts, "0.9500", "0.0500").tolist(),
            np.where(converts, "", iso[close]).tolist(),
            strict=True,
        )
        self._opp.writerows(rows)
        self.counts["opportunities"] += len(leads)

    def accounts(self, plan: AccountPlan) -> None:
        for name, columns, rows in (
            ("accounts.csv", ACCOUNT_TRUTH_COLUMNS, account_rows(plan, self.calendar, self.codes)),
            ("account_pairs.csv", PAIR_COLUMNS, pair_rows(plan)),
        ):
            with (self.dir / name).open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(columns)
                writer.writerows(rows)
        self.counts["accounts"] = len(plan)

    def bad_records(self, records: list[BadRecord]) -> None:
        self._bad.writerows((r.source, r.file, r.line, r.kind, r.key, r.expected_handling) for r in records)
        self.counts["bad_records"] += len(records)

    def hotspots(self, world: World) -> None:
        iso = self.calendar.iso
        with (self.dir / "hotspots.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HOTSPOT_COLUMNS)
            for spot in sorted(world.hotspots, key=lambda s: (s.start, s.taluka.taluka_code)):
                dealers = world.hotspot_dealers(spot)
                writer.writerow(
                    (
                        spot.taluka.state,
                        spot.taluka.district,
                        spot.taluka.taluka,
                        iso[spot.start],
                        iso[spot.end],
                        "true" if spot.has_supply_gap else "false",
                        f"{spot.lead_multiplier:.2f}",
                        spot.taluka.taluka_code,
                        len(dealers),
                        " ".join(self.codes[dealers].tolist()),
                    )
                )
        self.counts["hotspots"] = len(world.hotspots)

    def drivers(self, plan: DriverPlan) -> None:
        """The planted causes of win-rate movement, named as the pipeline names them (canonical values;
        a district as "District, State"); ``start_date`` is when each starts to act (the first day of the
        data for the ones present all along; the creation date of the shifted leads for the mix shift)."""
        with (self.dir / "drivers.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(DRIVER_COLUMNS)
            for p in plan.planted:
                writer.writerow((p.kind, p.dimension, p.segment, self.calendar.iso[p.start], p.competitor, p.detail))
        self.counts["drivers"] = len(plan.planted)

    def kpi_events(self, text: str) -> None:
        """The planted KPI events (demo_data/kpi.py), as written by ``kpi.events_csv``."""
        (self.dir / "kpi_events.csv").write_text(text, encoding="utf-8")
        self.counts["kpi_events"] = text.count("\n") - 1

    def close(self, manifest: dict[str, Any]) -> None:
        """Finish the streamed files, then write manifest.json (with the truth files' sha256)."""
        self._opp_file.close()
        self._bad_file.close()
        manifest["truth_files"] = [
            {"path": name, "sha256": file_sha256(self.dir / name)} for name in TRUTH_FILES if (self.dir / name).exists()
        ]
        manifest["truth_counts"] = dict(self.counts)
        text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
        (self.dir / "manifest.json").write_text(text, encoding="utf-8")

    def abort(self) -> None:
        self._opp_file.close()
        self._bad_file.close()
