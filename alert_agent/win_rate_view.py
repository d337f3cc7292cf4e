"""The weekly "Win Rate Drivers | Week of <date>" email: what it shows, built from gold rows (pure functions).

The week is the 7 days ending on the as-of date. A driver alert is raised once per episode
(``win_rate_driver_alerts.is_new`` on its first day): the email lists the drivers raised this week, largest
impact first, then the ones raised earlier that are still active. Values from data are cleaned of control
characters here and escaped by the HTML template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from alert_agent.view import Freshness, clean

SUBJECT_PREFIX = "Win Rate Drivers"
ALERT_TYPE = "win_rate_weekly"
KIND_LABELS = {
    "drop": "Win rate fell",
    "below_parent": "Converts poorly",
    "competitor": "Losing to a competitor",
    "erratic": "Erratic results",
    "mix": "Mix, not conversion",
}
IDENTIFYING = ("rep", "dealer")  # segments the language model never sees by name


@dataclass(frozen=True)
class DriverLine:
    alert_id: str
    kind: str
    label: str
    sentence: str
    since: str
    impact: str
    impact_deals: float
    is_active: bool


@dataclass(frozen=True)
class WinRateEmail:
    subject: str
    preheader: str
    heading: str
    week_start: str
    as_of: str
    headline: tuple[str, ...]
    new: tuple[DriverLine, ...]
    ongoing: tuple[DriverLine, ...]
    split: str
    coverage: tuple[str, ...]
    interpretation: str
    interpretation_note: str
    app_url: str
    freshness: str
    audience: str
    data_warning: str = ""

    @property
    def is_all_clear(self) -> bool:
        return not self.new and not self.ongoing


def week_start(as_of: date) -> date:
    """The first of the 7 days ending on the as-of date (a Monday when the as-of date is a Sunday)."""
    return as_of - timedelta(days=6)


def subject_for(as_of: date) -> str:
    return f"{SUBJECT_PREFIX} | Week of {week_start(as_of).isoformat()}"


def _impact(row: dict[str, Any]) -> str:
    deals = float(row.get("impact_deals") or 0.0)
    value = row.get("impact_value")
    text = f"about {deals:,.0f} deal{'s' if round(deals) != 1 else ''} lost"
    if value:
        rupees = float(value)
        text += f" (INR {rupees / 1e7:,.1f} crore)" if rupees >= 1e7 else f" (INR {rupees / 1e5:,.1f} lakh)"
    return text


def _line(row: dict[str, Any], is_active: bool, lookback_days: int) -> DriverLine:
    since = row["episode_start"].isoformat()
    if (row["as_of_date"] - row["episode_start"]).days >= lookback_days:  # traced back as far as the table looks
        since += " or earlier"
    return DriverLine(
        alert_id=str(row["alert_id"]),
        kind=str(row["kind"]),
        label=KIND_LABELS.get(str(row["kind"]), str(row["kind"])),
        sentence=clean(str(row["sentence"])),
        since=since,
        impact=_impact(row),
        impact_deals=float(row.get("impact_deals") or 0.0),
        is_active=is_active,
    )


def select_drivers(
    rows: Sequence[dict[str, Any]], as_of: date, top_n: int, max_ongoing: int, lookback_days: int = 28
) -> tuple[tuple[DriverLine, ...], tuple[DriverLine, ...]]:
    """(raised this week, raised earlier and still active), each largest impact first.

    ``rows``: the alert rows of the week's dates. A driver raised this week is shown with its latest row in
    the week (its figures as of the as-of date when it is still active)."""
    first = week_start(as_of)
    latest: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["as_of_date"]):
        if first <= row["as_of_date"] <= as_of:
            latest[row["alert_id"]] = row
    raised = [r for r in latest.values() if r["episode_start"] >= first]
    earlier = [r for r in latest.values() if r["episode_start"] < first and r["as_of_date"] == as_of]

    def order(r: dict[str, Any]) -> tuple[float, str]:
        return (-float(r.get("impact_deals") or 0.0), str(r["alert_id"]))

    new = tuple(_line(r, r["as_of_date"] == as_of, lookback_days) for r in sorted(raised, key=order)[:top_n])
    ongoing = tuple(_line(r, True, lookback_days) for r in sorted(earlier, key=order)[:max_ongoing])
    return new, ongoing


def _pct(value: Any) -> str:
    return f"{round(100 * float(value))}%" if value is not None else "n/a"


def headline(overall: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """One line per window of the overall win rate: rate, prior, closed deals."""
    lines = []
    for row in sorted(overall, key=lambda r: r["window_days"]):
        change = ""
        if row.get("prior_win_rate") is not None and row.get("is_comparable"):
            change = f", {_pct(row['prior_win_rate'])} the {row['prior_days']} days before"
        lines.append(
            f"Last {row['window_days']} days: win rate {_pct(row['win_rate'])} on {int(row['closed']):,} closed "
            f"deals{change}."
        )
    return tuple(lines)


def split_sentence(decomposition: Sequence[dict[str, Any]]) -> str:
    """The split of the change in win rate by the dimension whose mix moved it most (30-day rows)."""
    totals = {r["dimension"]: r for r in decomposition if r.get("is_comparable")}
    if not totals:
        return ""
    row = max(totals.values(), key=lambda r: abs(float(r["total_mix"] or 0.0)))
    change, mix, rate = (100 * float(row[k] or 0.0) for k in ("total_change", "total_mix", "total_rate"))
    name = str(row["dimension"]).replace("_", " ")
    return (
        f"Over the last {row['window_days']} days the win rate moved {change:+.1f} points: {mix:+.1f} from the "
        f"{name} mix (more or fewer deals from stronger or weaker segments) and {rate:+.1f} from conversion "
        "within them."
    )


def interpretation(new: Sequence[DriverLine], ongoing: Sequence[DriverLine]) -> str:
    """The deterministic paragraph (used whenever the language model is off, fails or is rejected)."""
    if not new and not ongoing:
        return "No driver of the win rate was raised this week, and none from earlier weeks is active."
    parts = []
    if new:
        parts.append(
            f"{len(new)} new driver{'s' if len(new) != 1 else ''} of the win rate this week; the largest: "
            f"{new[0].sentence}"
        )
    else:
        parts.append("No new driver of the win rate this week.")
    if ongoing:
        parts.append(f"{len(ongoing)} raised in earlier weeks {'are' if len(ongoing) != 1 else 'is'} still active.")
    return " ".join(parts)


def coverage_notes(coverage: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(clean(str(r["note"])) for r in coverage if r.get("status") != "ok")


def facts(email: WinRateEmail, alert_rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The aggregates the language model may see: no customer data, and no consultant or dealer names."""
    shown = {d.alert_id for d in (*email.new, *email.ongoing)}
    drivers: list[dict[str, Any]] = []
    for row in alert_rows:
        if row["alert_id"] not in shown or row["alert_id"] in {d["id"] for d in drivers}:
            continue
        who = "a consultant" if row["dimension"] == "rep" else "a dealer" if row["dimension"] == "dealer" else None
        drivers.append(
            {
                "id": row["alert_id"],
                "kind": KIND_LABELS.get(row["kind"], row["kind"]),
                "dimension": str(row["dimension"]).replace("_", " "),
                "segment": who or clean(str(row["segment"])),
                "competitor": row.get("competitor"),
                "rate_pct": round(100 * float(row["rate"])) if row.get("rate") is not None else None,
                "baseline_pct": round(100 * float(row["baseline_rate"])) if row.get("baseline_rate") is not None
                else None,
                "closed_deals": row.get("closed"),
                "deals_lost": round(float(row.get("impact_deals") or 0.0)),
                "since": row["episode_start"].isoformat(),
            }
        )  # fmt: skip
    for driver in drivers:
        driver.pop("id")
    return {"week_of": email.week_start, "as_of_date": email.as_of, "overall": list(email.headline), "drivers": drivers}


def build_email(
    as_of: date,
    alert_rows: Sequence[dict[str, Any]],
    overall: Sequence[dict[str, Any]],
    decomposition: Sequence[dict[str, Any]],
    coverage: Sequence[dict[str, Any]],
    freshness: Freshness,
    app_url: str,
    top_n: int,
    max_ongoing: int,
    data_warning: str = "",
    lookback_days: int = 28,
) -> WinRateEmail:
    new, ongoing = select_drivers(alert_rows, as_of, top_n, max_ongoing, lookback_days)
    subject = subject_for(as_of)
    if new:
        heading = f"{len(new)} new driver{'s' if len(new) != 1 else ''} of the win rate this week"
        preheader = new[0].sentence
    else:
        heading = "No new driver of the win rate this week"
        preheader = heading + (f"; {len(ongoing)} still active" if ongoing else "")
    return WinRateEmail(
        subject=f"{subject} | DATA INCOMPLETE" if data_warning else subject,
        preheader=preheader,
        heading=heading,
        week_start=week_start(as_of).isoformat(),
        as_of=as_of.isoformat(),
        headline=headline(overall),
        new=new,
        ongoing=ongoing,
        split=split_sentence(decomposition),
        coverage=coverage_notes(coverage),
        interpretation=interpretation(new, ongoing),
        interpretation_note="",
        app_url=app_url,
        freshness=f"Data as of {as_of.isoformat()}; driver table last written {freshness.written}{freshness.version}.",
        audience="the leadership list",
        data_warning=clean(data_warning),
    )
