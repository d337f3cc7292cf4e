"""HTML for the Performance view (managers: their district; leaders: everything): the win-rate drivers, the
win rate with its interval and change, where it comes from, consultants to watch, the funnel and the losses.
Every value from data is escaped; charts are the plain HTML bars of ``app.markets``."""

from __future__ import annotations

from typing import Any

from app.cards import esc, fmt_date, notice
from app.markets import bar_chart

SEGMENT_CHARTS = (  # leaders: (dimension, title)
    ("lead_source", "Win rate by lead source"),
    ("product_line", "Win rate by product line"),
    ("region", "Win rate by region"),
    ("enquiry_type", "Win rate by enquiry type"),
)


def pct(value: Any) -> str:
    return "n/a" if value is None else f"{round(100 * float(value))}%"


def points(value: Any) -> str:
    return "" if value is None else f"{float(value):+.0f} pts"


def section(title: str, body: str) -> str:
    return f'<div class="section-title">{esc(title)}</div>{body}'


def driver_cards(rows: list[dict[str, Any]], limit: int = 12) -> str:
    """The drivers active on the latest date, largest impact first; new ones marked."""
    if not rows:
        return notice("No active driver", "No win-rate driver is active for the latest date in this scope.")
    cards = []
    for row in sorted(rows, key=lambda r: (r.get("rank") or 0, r["alert_id"]))[:limit]:
        chip = '<span class="status status-hotspot">New</span>' if row.get("is_new") else ""
        since = f"since {fmt_date(row.get('episode_start'))}"
        impact = f"about {float(row.get('impact_deals') or 0):,.0f} deals lost"
        cards.append(
            f'<article class="area-card"><header class="area-head"><div class="lead-sub">{esc(since)} · '
            f"{esc(impact)}</div>{chip}</header><p>{esc(row.get('sentence'))}</p></article>"
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def rate_card(title: str, rows: list[dict[str, Any]]) -> str:
    """A segment's win rate per window: rate, 90% interval, shrunk rate and the change against the prior."""
    if not rows:
        return notice(title, "No closed deals in this scope yet.")
    items = []
    for row in sorted(rows, key=lambda r: r["window_days"]):
        change = ""
        if row.get("is_comparable") and row.get("prior_win_rate") is not None:
            prior = f"{pct(row.get('prior_win_rate'))} the {row.get('prior_days')} days before"
            change = f"; {prior} ({points(row.get('change_points'))})"
        interval = f"90% interval {pct(row.get('win_rate_low'))}-{pct(row.get('win_rate_high'))}"
        items.append(
            f"<li>Last {row['window_days']} days: <b>{pct(row.get('win_rate'))}</b> of "
            f"{int(row.get('closed') or 0):,} closed deals ({interval}){esc(change)}</li>"
        )
    heading = f'<h3 class="area-name">{esc(title)}</h3>'
    return f'<article class="area-card">{heading}<ul class="reasons">{"".join(items)}</ul></article>'


def segment_chart(title: str, rows: list[dict[str, Any]], limit: int = 12) -> str:
    """Shrunk win rate per segment (the bar), with the raw rate and the deals it rests on."""
    shown = sorted(rows, key=lambda r: (-(r.get("win_rate_shrunk") or 0.0), r["segment"]))[:limit]
    bars = [
        (
            str(r["segment"]),
            float(r.get("win_rate_shrunk") or 0.0),
            f"{pct(r.get('win_rate_shrunk'))} · {int(r.get('closed') or 0):,} deals",
        )
        for r in shown
    ]
    caption = "Bar: win rate shrunk toward the parent (small samples count for less). Last 30 days."
    return bar_chart(title, bars, caption)


def decomposition_text(rows: list[dict[str, Any]]) -> str:
    """Mix against conversion for the lead-source split of the change (30-day window)."""
    if not rows or not rows[0].get("is_comparable"):
        return notice("Why it moved", "Not comparable yet: the data does not reach back far enough.")
    top = rows[0]
    movers = sorted(rows, key=lambda r: abs(r.get("mix_effect") or 0.0), reverse=True)[:3]
    lines = "".join(
        f"<li>{esc(r['segment'])}: {pct(r.get('share'))} of closed deals ({pct(r.get('prior_share'))} before), "
        f"converts {pct(r.get('win_rate'))} ({pct(r.get('prior_win_rate'))} before)</li>"
        for r in movers
    )
    head = (
        f"Win rate moved {100 * float(top['total_change'] or 0):+.1f} points: "
        f"{100 * float(top['total_mix'] or 0):+.1f} from the lead-source mix, "
        f"{100 * float(top['total_rate'] or 0):+.1f} from conversion within sources."
    )
    return f'<article class="area-card"><p>{esc(head)}</p><ul class="reasons">{lines}</ul></article>'


def consultants_html(rows: list[dict[str, Any]], limit: int = 10) -> str:
    if not rows:
        return notice("Consultants", "No consultant has closed deals in the last complete weeks here.")
    shown = sorted(rows, key=lambda r: (not r.get("is_erratic"), r.get("consistency_index") or 100, r["rep_id"]))
    items = "".join(
        f"<li><b>{esc(r['rep_id'])}</b> ({esc(r.get('dealer_code'))}): consistency "
        f"{round(r.get('consistency_index') or 0)} of 100, weekly win rate "
        f"{pct(r.get('weekly_rate_min'))}-{pct(r.get('weekly_rate_max'))} on "
        f"{int(r.get('closed') or 0)} deals{' · erratic' if r.get('is_erratic') else ''}</li>"
        for r in shown[:limit]
    )
    return f'<article class="area-card"><ul class="reasons">{items}</ul></article>'


def funnel_html(row: dict[str, Any] | None) -> str:
    if row is None:
        return notice("Funnel", "No closed deals in the funnel window here.")
    stages = [
        ("Enquiry to qualified (C0-C1)", row.get("c0_to_c1"), row.get("median_days_c0_c1")),
        ("Qualified to quotation (C1-C2)", row.get("c1_to_c2"), row.get("median_days_c1_c2")),
        ("Quotation to booking (C2-C3)", row.get("c2_to_c3"), row.get("median_days_c2_c3")),
        ("Booking to won (C3-won)", row.get("c3_to_won"), row.get("median_days_c3_won")),
    ]
    bars = [
        (label, float(rate or 0.0), f"{pct(rate)} · {'' if days is None else f'{days:g} d median'}")
        for label, rate, days in stages
    ]
    deals = f"{int(row.get('deals') or 0):,} deals closed in the last {row.get('window_days')} days"
    caption = f"{deals}; {pct(row.get('c0_to_won'))} won."
    return bar_chart("Funnel: stage to stage", bars, caption)


def losses_html(rows: list[dict[str, Any]], limit: int = 8) -> str:
    shown = sorted(rows, key=lambda r: (-(r.get("losses") or 0), str(r.get("district")), str(r.get("product_line"))))
    bars = [
        (
            f"{r['product_line']} in {r['district']}: {r['lost_reason']}"
            + (f" ({r['competitor']})" if r.get("competitor") else ""),
            float(r.get("losses") or 0),
            f"{int(r.get('losses') or 0)} · {pct(r.get('share'))} of its losses",
        )
        for r in shown[:limit]
        if r.get("losses")
    ]
    if not bars:
        return notice("Losses", "No lost deals in the window here.")
    return bar_chart("Where deals are lost", bars, "Losses in the last 30 days by product line, reason and competitor.")


def velocity_html(rows: list[dict[str, Any]], limit: int = 10) -> str:
    shown = sorted(rows, key=lambda r: (-(r.get("deals_per_day") or 0.0), r["segment"]))[:limit]
    bars = [
        (
            str(r["segment"]),
            float(r.get("deals_per_day") or 0.0),
            f"{(r.get('deals_per_day') or 0):.1f}/day · {r.get('open_deals')} open"
            + (f" · {r['trend']}" if r.get("trend") else ""),
        )
        for r in shown
    ]
    return bar_chart("Sales velocity per dealer", bars, "Expected wins per day: open deals x win rate / cycle days.")


def performance_html(data: Any, scope: Any) -> str:
    """The whole view for a manager (their district) or a leader (everything); ``data`` is the app's
    DataAccess, which applies the scope to every read."""
    segments = data.performance_rows("win_rate_by_segment", scope)
    if not segments.is_loaded or not segments.rows:
        return notice("No win-rate figures yet", "The nightly run has not written win_rate_by_segment for this scope.")
    as_of = segments.as_of_date
    rows = segments.rows
    alerts = [r for r in data.performance_rows("win_rate_driver_alerts", scope).rows if r["as_of_date"] == as_of]
    consultants = data.performance_rows("rep_consistency", scope).rows
    funnel = data.performance_rows("funnel_stage_conversion", scope).rows
    losses = data.performance_rows("lost_reasons", scope).rows
    head = f'<p class="summary">Win-rate intelligence as of {esc(fmt_date(as_of))} · {esc(scope.describe())}</p>'
    parts = [head, section("Drivers", driver_cards(alerts))]
    if scope.role == "leader":
        overall = [r for r in rows if r["dimension"] == "overall"]
        split = [
            r
            for r in data.performance_rows("win_rate_change_decomposition", scope).rows
            if r["dimension"] == "lead_source" and r["window_days"] == 30
        ]
        parts.append(section("Win rate", rate_card("All districts", overall)))
        parts.append(section("Why it moved", decomposition_text(split)))
        charts = [segment_chart(title, [r for r in rows if r["dimension"] == d and r["window_days"] == 30])
                  for d, title in SEGMENT_CHARTS]  # fmt: skip
        parts.append(section("Where it comes from", '<div class="cards">' + "".join(charts) + "</div>"))
        parts.append(section("Consultants to watch", consultants_html([r for r in consultants if r.get("is_erratic")])))
        parts.append(section("Funnel", funnel_html(next((r for r in funnel if r["dimension"] == "overall"), None))))
        competitor_losses = [r for r in losses if r.get("competitor")]
        parts.append(section("Losses to competitors", losses_html(competitor_losses)))
        return "".join(parts)
    district = [r for r in rows if r["dimension"] == "district"]
    dealers = [r for r in rows if r["dimension"] == "dealer" and r["window_days"] == 30]
    velocity = [r for r in data.performance_rows("sales_velocity", scope).rows if r["dimension"] == "dealer"]
    parts.append(section("Win rate", rate_card(str(scope.describe()).capitalize(), district)))
    parts.append(section("Dealers", segment_chart("Win rate by dealer", dealers, limit=30)))
    parts.append(section("Consultants", consultants_html(consultants)))
    parts.append(section("Funnel", funnel_html(next((r for r in funnel if r["dimension"] == "district"), None))))
    parts.append(section("Losses", losses_html(losses)))
    parts.append(section("Velocity", velocity_html(velocity)))
    return "".join(parts)
