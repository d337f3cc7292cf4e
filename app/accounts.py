"""HTML for the Accounts view (managers: their district's accounts; leaders: every account): the repeat-buying
accounts at risk, why and what to do, with their churn risk, 12-month value and what else they would buy; then
health classes, RFM segments and, for leaders, the product lines bought together. Every value from data is
escaped; charts are the plain HTML bars of ``app.markets``."""

from __future__ import annotations

from typing import Any

from app.cards import esc, fmt_date, notice
from app.markets import bar_chart

HEALTH_ORDER = ("Critical", "Poor", "Fair", "Good", "Excellent")
HEALTH_TONES = {"Critical": "hotspot", "Poor": "emerging", "Fair": "noise", "Good": "stable", "Excellent": "stable"}
AT_RISK = ("Critical", "Poor")


def money(value: Any) -> str:
    """Rupees in lakh (or crore from 100 lakh), as Indian sales teams read them."""
    if value is None:
        return "n/a"
    amount = float(value)
    return f"₹{amount / 1e7:,.2f} crore" if amount >= 1e7 else f"₹{amount / 1e5:,.1f} lakh"


def value_at_risk(detail: dict[str, Any]) -> float:
    """The 12-month value an account would take with it: its lifetime value x its churn probability."""
    clv, churn = detail.get("clv") or {}, detail.get("churn") or {}
    return float(clv.get("clv") or 0.0) * float(churn.get("churn_probability") or 0.0)


def account_card(row: dict[str, Any], detail: dict[str, Any]) -> str:
    """One account: who, health and class, churn risk and value, why (the factors) and what to do."""
    churn, clv, cross = detail.get("churn") or {}, detail.get("clv") or {}, detail.get("cross_sell")
    cls = row.get("health_class") or "Unknown"
    where = " · ".join(esc(v) for v in (row.get("segment"), row.get("rfm_segment"), row.get("dealer_code"),
                                         row.get("district")) if v)  # fmt: skip
    chips = f'<span class="status status-{HEALTH_TONES.get(cls, "noise")}">{esc(cls)}</span>'
    if row.get("is_new_critical"):
        chips += '<span class="chip chip-hot">New today</span>'
    elif row.get("critical_since"):
        chips += f'<span class="chip">Critical since {esc(fmt_date(row.get("critical_since")))}</span>'
    if churn.get("churn_probability") is not None:
        chips += (
            f'<span class="chip">No purchase in {esc(churn.get("horizon_days"))} days: '
            f"{round(100 * float(churn['churn_probability']))}%</span>"
        )
    chips += f'<span class="chip">12-month value {esc(money(clv.get("clv")))}</span>'
    factors = [f for f in str(row.get("factors") or "").split("; ") if f]
    why = "".join(f"<li>{esc(f)}</li>" for f in factors)
    cross_text = (
        f'<p class="nba"><b>Could also buy:</b> {esc(cross.get("product_line"))} '
        f"({round(100 * float(cross.get('confidence') or 0))}% of accounts buying {esc(cross.get('because_of'))} "
        "do)</p>"
        if cross
        else ""
    )
    score = row.get("health_score")
    return (
        f'<article class="area-card" data-account="{esc(row.get("account_id"))}">'
        '<header class="lead-head"><div class="lead-who">'
        f'<h3 class="lead-name">{esc(row.get("account_name") or row.get("account_id"))}</h3>'
        f'<div class="lead-sub">{where}</div></div>'
        f'<div class="score score-{"low" if cls in AT_RISK else "mid" if cls == "Fair" else "high"}" '
        f'aria-label="health {esc(score)}"><b>{"-" if score is None else f"{score:.0f}"}</b><small>health</small>'
        f'</div></header><div class="chips">{chips}</div>'
        + (f'<ul class="reasons">{why}</ul>' if why else "")
        + f'<p class="nba"><b>What to do:</b> {esc(row.get("intervention"))}</p>{cross_text}</article>'
    )


def accounts_html(data: Any, scope: Any, limit: int = 20) -> str:
    """The whole view; ``data`` is the app's DataAccess, which applies the scope to every read."""
    health, details = data.accounts(scope)
    if not health.is_loaded or not health.rows:
        return notice("No account figures yet", "The nightly run has not written account_health for this scope.")
    rows = health.rows
    counts = {c: sum(1 for r in rows if r.get("health_class") == c) for c in HEALTH_ORDER}
    at_risk = [r for r in rows if r.get("health_class") in AT_RISK]
    at_risk.sort(key=lambda r: (-value_at_risk(details.get(r["account_id"], {})), r.get("health_score") or 0,
                                r["account_id"]))  # fmt: skip
    new = sum(1 for r in rows if r.get("is_new_critical"))
    risk_value = sum(value_at_risk(details.get(r["account_id"], {})) for r in at_risk)
    head = (
        f'<p class="summary">{len(rows):,} accounts as of {esc(fmt_date(health.as_of_date))} · '
        f"{esc(scope.describe())} · {counts['Critical']} Critical ({new} new today), {counts['Poor']} Poor · "
        f"value at risk {esc(money(risk_value))} (12-month value x churn probability)</p>"
    )
    cards = "".join(account_card(r, details.get(r["account_id"], {})) for r in at_risk[:limit])
    risk = (
        f'<div class="cards">{cards}</div>'
        if cards
        else notice("No account at risk", "No account in this scope is Poor or Critical today.")
    )
    health_bars = [(c, float(counts[c]), f"{counts[c]:,}") for c in HEALTH_ORDER]
    segments: dict[str, int] = {}
    for r in rows:
        segments[r.get("rfm_segment") or "Unknown"] = segments.get(r.get("rfm_segment") or "Unknown", 0) + 1
    segment_bars = [(s, float(n), f"{n:,}") for s, n in sorted(segments.items(), key=lambda x: (-x[1], x[0]))]
    charts = bar_chart("Accounts by health", health_bars, "Critical below 55, Poor 55-64, Fair 65-74, Good 75-84.")
    charts += bar_chart("Accounts by RFM segment", segment_bars, "Recency, frequency and value against the others.")
    parts = [head, '<div class="section-title">At risk: why and what to do</div>', risk]
    parts.append(f'<div class="section-title">Health and segments</div><div class="cards">{charts}</div>')
    if scope.role == "leader":
        rules = data.product_rules(scope).rows[:8]
        bars = [
            (f"{r['antecedent']} -> {r['consequent']}", float(r["lift_shrunk"] or 0.0),
             f"lift {r['lift_shrunk']:.1f} · {round(100 * float(r['confidence_shrunk'] or 0))}% · {r['pair_accounts']}")
            for r in rules
        ]  # fmt: skip
        caption = "Accounts buying the first line that buy the second too (shrunk), and how many buy both."
        chart = bar_chart("Product lines", bars, caption) if bars else notice(
            "Product lines", "No pair of product lines is bought together by enough accounts yet."
        )  # fmt: skip
        parts.append('<div class="section-title">Bought together</div>' + chart)
    return "".join(parts)
