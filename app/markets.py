"""HTML for the manager and leadership views: hotspot talukas, top talukas per district and bar charts.

Charts are plain HTML/CSS bars: they need no plotting library in the browser, scale to any width without
horizontal scrolling and read well on a phone. Every value from data is escaped.
"""

from __future__ import annotations

from typing import Any

from app.cards import esc, fmt_date, notice
from app.data import AreaRows


def _pct(growth: float | None) -> str:
    if growth is None:
        return ""
    return f" ({'+' if growth >= 0 else '−'}{abs(growth) * 100:.0f}%)"


def _count(value: Any) -> int:
    return int(value or 0)


def status_chip(status: Any) -> str:
    tone = str(status or "none").lower()
    return f'<span class="status status-{esc(tone)}">{esc(status or "unknown")}</span>'


def taluka_reasons(row: dict[str, Any], window_days: int = 5) -> list[str]:
    """The numbers behind a taluka's status, in words."""
    reasons = [
        f"{_count(row.get('leads_cur'))} leads in {window_days} days{_pct(row.get('lead_growth'))}",
        f"{_count(row.get('hi_leads_cur'))} high-intent leads{_pct(row.get('hi_lead_growth'))}",
        f"{_count(row.get('retail_cur'))} retail units{_pct(row.get('retail_growth'))}",
    ]
    if row.get("has_supply_gap"):
        # the gold flag: high-intent leads with no retail in the window or no saleable stock
        missing = [
            label
            for label, value in (("retail", row.get("retail_cur")), ("saleable stock", row.get("saleable_stock")))
            if value == 0
        ]
        reasons.append(f"Supply gap: high-intent demand but no {' and no '.join(missing) or 'retail or stock'}")
    stock = row.get("saleable_stock")
    if stock is not None:
        reasons.append(f"{_count(stock)} saleable units in stock")
    return reasons


def hotspot_cards(result: AreaRows, window_days: int = 5, limit: int = 60) -> str:
    """Talukas with status chip and reasons, most urgent first."""
    if not result.is_loaded:
        return notice("No market data yet", "The nightly run has not written the taluka hotspot table.")
    if not result.rows:
        return notice("No talukas", "No talukas match this selection for the latest date.")
    counts: dict[str, int] = {}
    for row in result.rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    tally = " · ".join(f"{n} {esc(s)}" for s, n in counts.items())
    cards = []
    for row in result.rows[:limit]:
        items = "".join(f"<li>{esc(r)}</li>" for r in taluka_reasons(row, window_days))
        dealers = _count(row.get("dealer_count"))
        cards.append(
            f'<article class="area-card"><header class="area-head"><div>'
            f'<h3 class="area-name">{esc(row.get("taluka"))}</h3>'
            f'<div class="lead-sub">{esc(row.get("district"))}, {esc(row.get("state"))} · '
            f"{dealers} dealer{'s' if dealers != 1 else ''}</div></div>{status_chip(row.get('status'))}</header>"
            f'<ul class="reasons">{items}</ul></article>'
        )
    more = len(result.rows) - limit
    tail = f'<p class="summary">and {more} more talukas; pick a district to narrow.</p>' if more > 0 else ""
    head = f'<p class="summary">{tally} · as of {esc(fmt_date(result.as_of_date))}</p>'
    return head + '<div class="cards">' + "".join(cards) + "</div>" + tail


def top3_html(result: AreaRows, limit_districts: int = 40) -> str:
    """Top talukas per district as compact ranked lists."""
    if not result.is_loaded:
        return notice("No district ranking yet", "The nightly run has not written district_top3_talukas.")
    if not result.rows:
        return notice("No districts", "No district ranking matches this selection for the latest date.")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in result.rows:
        groups.setdefault((row.get("state") or "", row.get("district") or ""), []).append(row)
    blocks = []
    for (state, district), rows in list(groups.items())[:limit_districts]:
        items = "".join(
            f'<li><span class="rank">{_count(r.get("rank"))}</span><span class="top-name">'
            f"{esc(r.get('taluka'))}</span>{status_chip(r.get('status'))}"
            f'<span class="top-nums">{_count(r.get("leads_cur"))} leads{_pct(r.get("lead_growth"))} · '
            f"{_count(r.get('hi_leads_cur'))} high intent · {_count(r.get('retail_cur'))} retail"
            + (" · supply gap" if r.get("has_supply_gap") else "")
            + "</span></li>"
            for r in rows
        )
        blocks.append(
            f'<section class="district"><h3 class="area-name">{esc(district)}'
            f'<small>{esc(state)}</small></h3><ol class="top3">{items}</ol></section>'
        )
    more = len(groups) - limit_districts
    tail = f'<p class="summary">and {more} more districts; pick a district to narrow.</p>' if more > 0 else ""
    return '<div class="districts">' + "".join(blocks) + "</div>" + tail


def bar_chart(title: str, rows: list[tuple[str, float, str]], caption: str = "") -> str:
    """Horizontal bars: (label, value, value text) per row, scaled to the largest value."""
    if not rows:
        return notice(title, "No leads in scope.")
    top = max(value for _, value, _ in rows) or 1.0
    bars = "".join(
        f'<div class="bar-row"><span class="bar-label">{esc(label)}</span>'
        f'<span class="bar-track"><span class="bar-fill" style="width:{max(value / top * 100, 0.5):.1f}%">'
        f'</span></span><span class="bar-value">{esc(text)}</span></div>'
        for label, value, text in rows
    )
    note = f'<p class="summary">{esc(caption)}</p>' if caption else ""
    head = f'<section class="chart"><h3 class="chart-title">{esc(title)}</h3>{note}'
    return f'{head}<div class="bars">{bars}</div></section>'


def product_line_chart(result: AreaRows) -> str:
    if not result.is_loaded:
        return notice("No scores yet", "The nightly run has not written the lead scores.")
    rows = [
        (r["product_line"] or "No product line", float(r["leads"]), f"{r['leads']} · avg {r['avg_score']:.0f}")
        for r in result.rows
    ]
    return bar_chart("Open leads by product line", rows, "Bar: open leads. Figure: count · average score.")


def score_chart(result: AreaRows) -> str:
    if not result.is_loaded:
        return notice("No scores yet", "The nightly run has not written the lead scores.")
    if not any(r["leads"] for r in result.rows):
        return notice("Score distribution", "No leads in scope.")
    rows = [(r["band"], float(r["leads"]), str(r["leads"])) for r in reversed(result.rows)]
    return bar_chart("Score distribution", rows, "Open leads per score band, highest band first.")


def trend_html(taluka: str, rows: list[dict[str, Any]], window_days: int = 5) -> str:
    """Three small bar series (leads, high intent, retail; each the 5-day window ending on the date) over the
    dates the table holds, oldest first; the figures in words above each."""
    if not rows:
        return notice(f"{taluka}: no trend yet", "The taluka table holds no earlier dates for it.")
    first, last = rows[0]["as_of_date"], rows[-1]["as_of_date"]
    series = []
    for key, label, tone in (("leads_cur", "Leads", ""), ("hi_leads_cur", "High intent", " hi"),
                             ("retail_cur", "Retail", " retail")):  # fmt: skip
        values = [_count(r.get(key)) for r in rows]
        top = max(values) or 1
        bars = "".join(
            f'<span style="height:{max(v / top * 100, 2):.0f}%" title="{esc(fmt_date(r["as_of_date"]))}: {v}"></span>'
            for v, r in zip(values, rows, strict=True)
        )
        series.append(
            f'<div class="summary">{label} in {window_days} days: {values[-1]} on {esc(fmt_date(last))} '
            f"(from {values[0]} on {esc(fmt_date(first))}; highest {max(values)})</div>"
            f'<div class="spark{tone}" role="img" aria-label="{esc(label)} per date">{bars}</div>'
        )
    title = f'<h3 class="chart-title">{esc(taluka)}: last {len(rows)} dates</h3>'
    return f'<section class="trend">{title}{"".join(series)}</section>'
