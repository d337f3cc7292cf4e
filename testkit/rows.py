"""Gold rows with plausible defaults (every column can be overridden), the app's sample lake and test users."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.auth import User, hash_password, write_user
from app.scope import Scope
from ground.catalogue import GOLD_TABLES
from testkit import base_config, free_port, write_gold

AS_OF = dt.date(2026, 11, 21)
SCORED_AT = dt.datetime(2026, 11, 22, 3, 10, tzinfo=dt.UTC)
HOSTILE = "<script>alert(1)</script> Nagar"


def lead_row(opty_id: str, dealer_code: str, total_score: float, **overrides: Any) -> dict[str, Any]:
    """One ``scv_customer_score`` row with plausible defaults; every column can be overridden."""
    row: dict[str, Any] = {
        "opty_id": opty_id,
        "as_of_date": AS_OF,
        "dealer_code": dealer_code,
        "taluka": "Haveli",
        "district": "Pune",
        "state": "Maharashtra",
        "customer_name": f"Customer {opty_id}",
        "customer_phone": "+91 98765 43210",
        "product_line": "Pickup 1.5T",
        "stage": "C1",
        "lead_classification": "Hot",
        "opty_category": "Walk-in",
        "customer_type": "Retail",
        "created_date": AS_OF - dt.timedelta(days=6),
        "expected_closure_date": AS_OF + dt.timedelta(days=10),
        "last_contact_date": AS_OF - dt.timedelta(days=2),
        "days_since_last_contact": 2,
        "next_followup_date": None,
        "connected_calls": 3,
        "avg_connected_duration_s": 95.0,
        "saleable_stock": 4,
        "total_score": total_score,
        "rank_in_dealer": 1,
        "reason_codes": ["HOT_LEAD", "CLOSING_SOON"],
        "reasons": ["Hot lead", "Expected to close within 10 days", "Stock available at the dealer"],
        "next_best_action": "Call to book a test drive",
        "weights_version": "w1",
        "scored_at": SCORED_AT,
    }
    for component in ("lead_age", "expected_closure", "opty_category", "lead_classification"):
        row[f"score_{component}"] = total_score
    for component in ("customer_type", "followup", "engagement", "stock"):
        row[f"score_{component}"] = total_score
    row.update(overrides)
    return row


def hotspot_row(taluka: str, district: str, status: str, **measures: Any) -> dict[str, Any]:
    """A macro_market_hotspot_taluka_5d row; the growth columns are derived from cur/prev unless given."""
    row: dict[str, Any] = {
        "as_of_date": AS_OF,
        "state": "Maharashtra",
        "district": district,
        "taluka": taluka,
        "dealer_count": 3,
        "leads_cur": 20,
        "leads_prev": 20,
        "hi_leads_cur": 8,
        "hi_leads_prev": 8,
        "retail_cur": 4,
        "retail_prev": 4,
        "total_stock": 10,
        "saleable_stock": 8,
        "has_supply_gap": False,
        "status": status,
    }
    row.update(measures)
    for growth, measure in (("lead_growth", "leads"), ("hi_lead_growth", "hi_leads"), ("retail_growth", "retail")):
        cur, prev = row[f"{measure}_cur"], row[f"{measure}_prev"]
        row.setdefault(growth, (cur - prev) / max(prev, 1))
    return row


def district_rows(hotspot_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """district_top3_talukas as the pipeline defines it: per district, status first, then lead volume."""
    order = {"HOTSPOT": 0, "EMERGING": 1, "STABLE": 2, "NOISE": 3}
    by_district: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in hotspot_rows:
        by_district.setdefault((row["state"], row["district"]), []).append(row)
    out = []
    keep = GOLD_TABLES["district_top3_talukas"].column_names
    for rows in by_district.values():
        ranked = sorted(rows, key=lambda r: (order[r["status"]], -r["leads_cur"]))[:3]
        for rank, r in enumerate(ranked, start=1):
            out.append({**{k: r.get(k) for k in keep if k in r}, "rank": rank})
    return out


def top3_row(district: str, rank: int, taluka: str, status: str, leads_cur: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "as_of_date": AS_OF,
        "state": "Maharashtra",
        "district": district,
        "rank": rank,
        "taluka": taluka,
        "status": status,
        "dealer_count": 3,
        "leads_cur": leads_cur,
        "lead_growth": 0.8,
        "hi_leads_cur": leads_cur // 2,
        "hi_lead_growth": 0.4,
        "retail_cur": 1,
        "saleable_stock": 5,
        "has_supply_gap": False,
    }
    row.update(overrides)
    return row


def make_user(users_file: str | Path, name: str, password: str, scope: Scope, rounds: int = 4) -> User:
    """Write a user with a cheap bcrypt hash (cost 4 unless given) to keep tests fast."""
    user = User(name=name, scope=scope, password_hash=hash_password(password, rounds=rounds))
    write_user(users_file, user)
    return user


# A small, varied data set for the end-to-end tests (gradio_client and the browser).
SAMPLE_LEADS = [
    # opty_id, dealer, score, customer name, classification, enquiry type, days since contact, district
    ("OPP-001", "DLR0001", 91.0, "Asha Patil <i>VIP</i>", "Hot", "Walk-in", 0, "Pune"),
    ("OPP-002", "DLR0001", 84.5, "Sunil Transport Company Private Limited", "Live Deal", "Referral", 3, "Pune"),
    ("OPP-003", "DLR0001", 72.0, "Meena Kulkarni", "Warm", "Digital", 6, "Pune"),
    ("OPP-004", "DLR0001", 55.0, "Ravi Logistics", "Warm", "Walk-in", None, "Pune"),
    ("OPP-005", "DLR0001", 31.0, "Kiran More", "Cold", "Event", 12, "Pune"),
    ("OPP-101", "DLR0002", 97.0, "Other Dealer Customer", "Hot", "Fleet tender", 1, "Nashik"),
    ("OPP-201", "DLR0003", 88.0, "Pune Neighbour Dealer Lead", "Hot", "Walk-in", 2, "Pune"),
]


def write_sample_lake(lake_root: str | Path) -> None:
    """Leads of three dealers in two districts, with taluka and district rankings."""
    leads = [
        lead_row(
            opty,
            dealer,
            score,
            customer_name=name,
            lead_classification=cls,
            opty_category=enquiry,
            days_since_last_contact=days,
            district=district,
            taluka="Haveli" if district == "Pune" else "Sinnar",
            customer_phone=f"+91 98{opty[-3:]}0 1{opty[-3:]}",
        )
        for opty, dealer, score, name, cls, enquiry, days, district in SAMPLE_LEADS
    ]
    write_gold(lake_root, "scv_customer_score", leads)
    write_gold(
        lake_root,
        "macro_market_hotspot_taluka_5d",
        [
            hotspot_row("Haveli", "Pune", "HOTSPOT", leads_cur=42, has_supply_gap=True, retail_cur=0),
            hotspot_row("Mulshi", "Pune", "STABLE", leads_cur=12),
            hotspot_row("Sinnar", "Nashik", "EMERGING", leads_cur=30),
        ],
    )
    write_gold(
        lake_root,
        "district_top3_talukas",
        [
            top3_row("Pune", 1, "Haveli", "HOTSPOT", 42, has_supply_gap=True),
            top3_row("Pune", 2, "Mulshi", "STABLE", 12),
            top3_row("Nashik", 1, "Sinnar", "EMERGING", 30),
        ],
    )


@dataclass
class ServedApp:
    url: str  # ends with "/"
    passwords: dict[str, str]
    users_file: Path
    lake: Path


@contextmanager
def served_app(
    root: str | Path,
    users: dict[str, Scope],
    rounds: int = 4,
    extra_leads: list[dict[str, Any]] | None = None,
    **app_conf: Any,
) -> Iterator[ServedApp]:
    """The app served on a free loopback port over the sample lake (plus ``extra_leads``), with ``users``
    (random passwords, bcrypt cost ``rounds``) and the ``app`` configuration overridden by ``app_conf``
    (conf/base otherwise); stopped on exit."""
    from app.handlers import AppContext
    from app.web import launch

    root = Path(root)
    lake, users_file = root / "lake", root / "users.yaml"
    write_sample_lake(lake)
    if extra_leads:
        write_gold(lake, "scv_customer_score", extra_leads, "append")
    passwords = {name: secrets.token_urlsafe(12) for name in users}
    for name, scope in users.items():
        make_user(users_file, name, passwords[name], scope, rounds=rounds)
    config = base_config().with_overrides(
        paths={"lake_root": str(lake)}, app={"users_file": str(users_file), **app_conf}
    )
    running = launch(AppContext.from_config(config), "127.0.0.1", free_port(), prevent_thread_lock=True)
    try:
        yield ServedApp(running.local_url, passwords, users_file, lake)
    finally:
        running.close()
