"""``scv alert``: rank hotspots, render and send the leadership email (``--dry-run``: outbox only).
``--kind win-rate`` sends the weekly "Win Rate Drivers | Week of <date>" email instead (alert_agent/win_rate_run.py),
through the same gating, outbox, ledger and delivery.

Exit codes: 0 every recipient sent, skipped (already in the ledger) or written (dry run); 1 a delivery failed
(its message stays in the outbox), or the night behind the date failed or is incomplete (nothing is sent
unless ``--allow-partial``); 2 configuration or input error (e.g. a gold table is missing); 3 another alert
run holds the outbox lock. Heavy imports (deltalake, jinja2, openai) happen inside ``run``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alert_agent.run import AlertRun
    from ground.config import Config


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kind",
        choices=("hotspot", "win-rate"),
        default="hotspot",
        help="hotspot: the daily taluka hotspot alert (default); win-rate: the weekly win-rate drivers email for "
        "the 7 days ending on --date (default: the latest as_of_date in win_rate_by_segment)",
    )
    parser.add_argument(
        "--date",
        type=_iso_date,
        help="as-of date YYYY-MM-DD (default: the latest as_of_date in macro_market_hotspot_taluka_5d)",
    )
    parser.add_argument("--dry-run", action="store_true", help="write .eml and .html to the outbox, send nothing")
    parser.add_argument("--force", action="store_true", help="send again even if the ledger says it was sent")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="send even if the night behind the date failed or is incomplete; the email then says so",
    )
    parser.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="send the leadership email to ADDRESS instead of the configured recipients (repeatable)",
    )


def run(args: argparse.Namespace, config: Config) -> int:
    from alert_agent.gold import GoldInputError
    from alert_agent.night import NightNotComplete
    from alert_agent.outbox import RunLocked
    from alert_agent.run import run_alert
    from alert_agent.settings import check_address
    from ground.config import ConfigError
    from ground.lease import LakeBusy

    if getattr(args, "kind", "hotspot") == "win-rate":
        return _run_win_rate(args, config)
    try:
        override_to = [check_address(a) for a in args.to]
        result = run_alert(
            config,
            as_of=args.date,
            is_dry_run=args.dry_run,
            is_forced=args.force,
            override_to=override_to,
            allow_partial=args.allow_partial,
        )
    except (ConfigError, GoldInputError) as exc:
        print(f"scv alert: {exc}", file=sys.stderr)
        return 2
    except NightNotComplete as exc:
        print(f"scv alert: {exc}", file=sys.stderr)
        return 1
    except (RunLocked, LakeBusy) as exc:
        print(f"scv alert: {exc}", file=sys.stderr)
        return 3
    print_report(result)
    return result.exit_code


def _run_win_rate(args: argparse.Namespace, config: Config) -> int:
    from alert_agent.gold import GoldInputError
    from alert_agent.night import NightNotComplete
    from alert_agent.outbox import RunLocked
    from alert_agent.settings import check_address
    from alert_agent.win_rate_run import print_report as print_win_rate
    from alert_agent.win_rate_run import run_win_rate_alert
    from ground.config import ConfigError
    from ground.lease import LakeBusy

    try:
        result = run_win_rate_alert(
            config,
            as_of=args.date,
            is_dry_run=args.dry_run,
            is_forced=args.force,
            override_to=[check_address(a) for a in args.to],
            allow_partial=args.allow_partial,
        )
    except (ConfigError, GoldInputError) as exc:
        print(f"scv alert: {exc}", file=sys.stderr)
        return 2
    except NightNotComplete as exc:
        print(f"scv alert: {exc}", file=sys.stderr)
        return 1
    except (RunLocked, LakeBusy) as exc:
        print(f"scv alert: {exc}", file=sys.stderr)
        return 3
    print_win_rate(result, sys.stdout)
    for o in result.outcomes:
        if o.status in ("failed", "unrecorded"):
            print(f"scv alert: {o.status} for {o.recipient}: {o.detail}", file=sys.stderr)
    return result.exit_code


def _flags(t: Any) -> str:
    flags = [name for name, on in (("supply gap", t.is_supply_gap), ("excess stock", t.is_excess_stock)) if on]
    return f"  [{', '.join(flags)}]" if flags else ""


def _priority(t: Any, result: AlertRun) -> str:
    """The 0-100 priority the email shows, with the points behind it."""
    from alert_agent.rank import priority_0_100

    weights = result.weights
    scaled = f"{priority_0_100(t.priority, weights)} " if weights is not None else ""
    return f"priority {scaled}({t.priority:.1f} points)"


def print_report(result: AlertRun, out: Any = None) -> None:
    """What the run did: ranked talukas, narrative, then one line per recipient with its outbox path."""
    out = out or sys.stdout
    mode = " (dry run: nothing sent)" if result.is_dry_run else ""
    print(f"scv alert: as of {result.as_of.isoformat()}{mode}", file=out)
    print(f"  {result.freshness.describe()}", file=out)
    print(f"  source: {result.hotspot_location}", file=out)
    print(
        f"Ranked talukas (HOTSPOT and EMERGING: {len(result.ranked)}; top {result.top_n} go to leadership):",
        file=out,
    )
    for t in result.ranked[:10]:
        s = t.signal
        line = f"  {t.rank:>2}. {s.taluka} ({s.district}, {s.state})  {s.status}  {_priority(t, result)}"
        print(line + _flags(t), file=out)
    if len(result.ranked) > 10:
        print(f"      ... and {len(result.ranked) - 10} more", file=out)
    if not result.ranked:
        print("  none: all clear", file=out)
    narratives = Counter((n.status, n.detail) for n in result.narratives.values())
    for (status, detail), count in narratives.items():
        fallback = "" if status == "ok" else "; the deterministic text is used"
        times = f" ({count} emails)" if count > 1 else ""
        print(f"Narrative: {status}{': ' + detail if detail else ''}{fallback}{times}", file=out)
    for warning in result.warnings:
        print(f"Warning: {warning}", file=out)
    print(f"Recipients ({len(result.outcomes)}):", file=out)
    for o in result.outcomes:
        where = f" -> {o.files.eml}" if o.files else ""
        tries = f" after {o.attempts} attempt{'s' if o.attempts != 1 else ''}" if o.attempts else ""
        detail = f" ({o.detail})" if o.detail else ""
        print(f"  {o.status:<10} {o.alert_type:<16} {o.recipient}{tries}{detail}{where}", file=out)
    if not result.outcomes:
        print("  none (nothing to report and alert.when_empty is skip, or no recipient configured)", file=out)
    counts = {status: sum(1 for o in result.outcomes if o.status == status) for status in _STATUSES}
    print(
        "Summary: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n or status in _ALWAYS),
        file=out,
    )
    for o in result.outcomes:
        if o.status in ("failed", "unrecorded"):
            print(f"scv alert: {o.status} for {o.recipient}: {o.detail}", file=sys.stderr)


_STATUSES = ("sent", "skipped", "failed", "unrecorded", "dry-run")
_ALWAYS = ("sent", "skipped", "failed")
