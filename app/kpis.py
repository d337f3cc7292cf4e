"""The KPIs view (docs/kpi.md): the day's KPIs, retail units against their forecast band, the anomalies, slow
stock and ABC classes, scoped like every view: a rep sees their dealer, a manager their district, a leader the
whole network.

The chart is inline SVG drawn on the server (no plotting library in the browser): the forecast band of each
day (from the forecast fitted before it) behind the actual units, and the band of the days ahead.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from app.cards import esc, fmt_date, notice
from app.kpi_data import AHEAD_DAYS, HISTORY_DAYS, KpiTable, scoped_rows, series_of, series_rows
from app.scope import Scope

# ------------------------------------------------------------------------------------------------- HTML


def _fmt(value: Any, digits: int = 0, suffix: str = "") -> str:
    return "n/a" if value is None else f"{float(value):,.{digits}f}{suffix}"


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * float(value):.0f}%"


def _inr(value: Any) -> str:
    if value is None:
        return "n/a"
    amount = float(value)
    return f"₹{amount / 1e7:,.2f} cr" if amount >= 1e7 else f"₹{amount / 1e5:,.1f} lakh"


def tiles(row: dict[str, Any] | None) -> str:
    """The day's KPIs of the scope's own series."""
    if row is None:
        return notice("No KPIs yet", "The nightly run has not written kpi_daily for this scope.")
    items = [
        ("Retail today", f"{int(row['retail_units'] or 0):,} units", _inr(row.get("retail_value"))),
        ("Month to date", f"{int(row['mtd_retail_units'] or 0):,} units",
         f"target to date {_fmt(row.get('mtd_target_units'))} · {_pct(row.get('target_attainment'))}"),
        ("Run rate", f"{_fmt(row.get('run_rate_units'))} units", f"{_pct(row.get('run_rate_vs_target'))} of target"),
        ("Leads today", f"{int(row['leads'] or 0):,}", f"{int(row['hi_leads'] or 0):,} high intent"),
        ("Bookings today", f"{int(row['bookings'] or 0):,}", f"conversion {_pct(row.get('conversion'))} (30 days)"),
        ("Stock cover", f"{_fmt(row.get('stock_cover_days'))} days", f"{_fmt(row.get('saleable_stock'))} saleable"),
        ("Active reps", _pct(row.get("active_reps_ratio")),
         f"{_fmt(row.get('active_reps'))} of {_fmt(row.get('reps'))} in 7 days"),
        ("Top mover", str(row.get("top_mover_product_line") or "n/a"),
         f"{int(row.get('top_mover_units_change') or 0):+d} units on the week before"),
    ]  # fmt: skip
    cells = "".join(
        f'<div class="kpi-tile"><div class="kpi-label">{esc(label)}</div><div class="kpi-value">{esc(value)}</div>'
        f'<div class="kpi-note">{esc(note)}</div></div>'
        for label, value, note in items
    )
    return f'<div class="kpi-tiles">{cells}</div>'


def chart_points(
    actuals: list[dict[str, Any]], forecasts: list[dict[str, Any]]
) -> list[tuple[dt.date, float | None, float | None, float | None, float | None]]:
    """(day, actual, forecast, low, high) over the last HISTORY_DAYS actual days and AHEAD_DAYS ahead; each past
    day's band from the latest origin before it (as the anomaly detector reads it: the weekly refit for a dealer
    or district, the night before for the company), the days ahead from the latest origin."""
    actual = {r["as_of_date"]: float(r["retail_units"] or 0) for r in actuals}
    band = {(r["as_of_date"], r["forecast_date"]): r for r in forecasts}
    if not actual:
        return []
    origins = sorted({r["as_of_date"] for r in forecasts})
    last = max(actual)

    def latest(on_or_before: dt.date) -> dt.date | None:
        at = bisect.bisect_right(origins, on_or_before)
        return origins[at - 1] if at else None

    days = [last - dt.timedelta(days=k) for k in range(HISTORY_DAYS - 1, -AHEAD_DAYS - 1, -1)]
    points = []
    for day in days:
        origin = latest(day - dt.timedelta(days=1) if day <= last else last)
        f = band.get((origin, day)) or {}
        points.append((day, actual.get(day) if day <= last else None,
                       f.get("forecast"), f.get("forecast_low"), f.get("forecast_high")))  # fmt: skip
    return points


def svg_chart(points: list[tuple[dt.date, float | None, float | None, float | None, float | None]]) -> str:
    """The band (low-high) as a shaded area, the forecast dashed, the actuals as a line with dots."""
    if not points:
        return notice("No forecast yet", "kpi_forecast has no rows for this scope yet.")
    width, height, pad = 340.0, 170.0, 24.0
    values = [v for p in points for v in p[1:] if v is not None]
    top = max(values + [1.0]) * 1.1
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return pad + i * step

    def y(v: float) -> float:
        return height - pad - (v / top) * (height - 2 * pad)

    banded = [(i, p) for i, p in enumerate(points) if p[3] is not None and p[4] is not None]
    band = ""
    if banded:
        upper = " ".join(f"{x(i):.1f},{y(float(p[4])):.1f}" for i, p in banded)  # type: ignore[arg-type]
        lower = " ".join(f"{x(i):.1f},{y(float(p[3])):.1f}" for i, p in reversed(banded))  # type: ignore[arg-type]
        band = f'<polygon points="{upper} {lower}" fill="#d1e9ff" stroke="none"/>'
    mean = " ".join(f"{x(i):.1f},{y(float(p[2])):.1f}" for i, p in enumerate(points) if p[2] is not None)
    seen = [(i, float(p[1])) for i, p in enumerate(points) if p[1] is not None]
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in seen)
    dots = "".join(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2" fill="#101828"/>' for i, v in seen)
    today = x(len(seen) - 1) if seen else pad
    labels = (
        f'<text x="{pad}" y="{height - 6}" font-size="10" fill="#667085">{esc(fmt_date(points[0][0]))}</text>'
        f'<text x="{width - pad}" y="{height - 6}" font-size="10" fill="#667085" text-anchor="end">'
        f"{esc(fmt_date(points[-1][0]))}</text>"
        f'<text x="2" y="{pad - 8}" font-size="10" fill="#667085">{top:,.0f}</text>'
    )
    return (
        f'<svg class="kpi-chart" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" '
        f'aria-label="Retail units per day against the forecast band">{band}'
        f'<polyline points="{mean}" fill="none" stroke="#2e90fa" stroke-width="1.2" stroke-dasharray="4 3"/>'
        f'<line x1="{today:.1f}" y1="{pad}" x2="{today:.1f}" y2="{height - pad}" stroke="#d0d5dd"/>'
        f'<polyline points="{line}" fill="none" stroke="#101828" stroke-width="1.5"/>{dots}{labels}</svg>'
        '<p class="summary">Retail units per day (line) against the forecast band (shaded; dashed: the forecast). '
        "Right of the grey line: the days ahead.</p>"
    )


def anomaly_cards(rows: list[dict[str, Any]], limit: int = 10) -> str:
    if not rows:
        return notice("No KPI anomaly", "No KPI is off its forecast for the latest date in this scope.")
    cards = []
    for row in sorted(rows, key=lambda r: (r.get("rank") or 0, r["anomaly_id"]))[:limit]:
        chip = f'<span class="status status-{"hotspot" if row["severity"] == "high" else "emerging"}">'
        chip += f"{esc(row['severity'])}</span>"
        since = f"since {fmt_date(row.get('episode_start'))}"
        cards.append(
            f'<article class="area-card"><header class="area-head"><div class="lead-sub">{esc(since)}</div>{chip}'
            f"</header><p>{esc(row.get('sentence'))}</p></article>"
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def slow_stock_html(rows: list[dict[str, Any]], limit: int = 10) -> str:
    if not rows:
        return notice("No slow-moving stock", "Every line with stock in this scope sold within 30 days.")
    shown = sorted(rows, key=lambda r: (-(r.get("units_tied_up") or 0), r["dealer_code"], r["product_line"]))
    items = "".join(
        f"<li><b>{esc(r['dealer_code'])}</b> {esc(r['product_line'])}: {int(r.get('units_tied_up') or 0)} units "
        f"({_inr(r.get('value_tied_up'))}) without a sale for {int(r['days_without_sale'])} days"
        + (f"; stock received {fmt_date(r['last_receipt_date'])}" if r.get("last_receipt_date") else "")
        + "</li>"
        for r in shown[:limit]
    )
    more = f'<p class="summary">and {len(shown) - limit} more.</p>' if len(shown) > limit else ""
    return f'<article class="area-card"><ul class="reasons">{items}</ul>{more}</article>'


def abc_html(rows: list[dict[str, Any]]) -> str:
    lines = sorted((r for r in rows if r["dimension"] == "product_line"), key=lambda r: r["rank"])
    if not lines:
        return notice("ABC classes", "No invoice values in the last 90 days.")
    items = "".join(
        f"<li><b>{esc(r['abc_class'])}</b> {esc(r['product_line'])}: {_pct(r['share'])} of value "
        f"({_inr(r['value'])}, {int(r['units'] or 0):,} units)</li>"
        for r in lines
    )
    return f'<article class="area-card"><ul class="reasons">{items}</ul></article>'


def kpis_html(snapshots: dict[str, KpiTable | None], scope: Scope) -> str:
    """The whole view for the scope; ``snapshots``: the loaded KPI tables (None: not written yet)."""
    daily = snapshots.get("kpi_daily")
    if daily is None or not daily.dates:
        return notice("No KPIs yet", "The nightly run has not written kpi_daily.")
    own = sorted(series_rows(daily, scope), key=lambda r: r["as_of_date"])
    latest = own[-1] if own and own[-1]["as_of_date"] == daily.dates[-1] else None
    forecast = snapshots.get("kpi_forecast")
    points = chart_points(own, series_rows(forecast, scope) if forecast else [])
    level, _ = series_of(scope)
    title = {
        "company": "The whole network",
        "district": f"District {scope.district}",
        "dealer": f"Dealer {scope.dealer_code}",
    }
    parts = [
        f'<p class="summary">KPIs as of {esc(fmt_date(daily.dates[-1]))} · {esc(scope.describe())}</p>',
        f'<div class="section-title">{esc(title[level])}</div>',
        tiles(latest),
        '<div class="section-title">Retail units against the forecast</div>',
        svg_chart(points),
    ]
    anomalies = snapshots.get("kpi_anomalies")
    parts += [
        '<div class="section-title">Anomalies</div>',
        anomaly_cards(scoped_rows(anomalies, scope) if anomalies else []),
    ]
    slow = snapshots.get("slow_moving_stock")
    parts += [
        '<div class="section-title">Slow-moving stock</div>',
        slow_stock_html(scoped_rows(slow, scope) if slow else []),
    ]
    if scope.role == "leader":
        abc = snapshots.get("product_abc")
        parts += [
            '<div class="section-title">Product lines by value (ABC)</div>',
            abc_html(scoped_rows(abc, scope) if abc else []),
        ]
    return "".join(parts)
