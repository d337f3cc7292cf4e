"""HTML for the rep view: one card per lead, built for a 360 px screen. Every value from data is escaped."""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from typing import Any

from app.data import LeadPage
from app.scope import Scope

_CLASS_TONES = {"hot": "hot", "warm": "warm", "live deal": "live", "cold": "cold"}


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def fmt_date(value: dt.date | None) -> str:
    return value.strftime("%d %b %Y").lstrip("0") if value else "no date"


# A phone number as people write it: an optional +, then digits with spaces, dots, dashes or brackets between.
_PHONE = re.compile(r"^\+?[0-9(][0-9 .()-]*[0-9]$")
_PHONE_DIGITS = (5, 15)  # E.164 allows at most 15 digits; fewer than 5 is no number to call


def tel_href(phone: Any) -> str | None:
    """A ``tel:`` URL when the stored value is a phone number (nothing else in it), else None.

    A value with any other character (``javascript:...``, a name, a note) is not turned into a link at all,
    even when it contains digits: it is shown as text.
    """
    text = str(phone or "").strip()
    if not _PHONE.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not _PHONE_DIGITS[0] <= len(digits) <= _PHONE_DIGITS[1]:
        return None
    return "tel:" + ("+" if text.startswith("+") else "") + digits


def contact_text(days: int | None) -> str:
    if days is None:
        return "Never contacted"
    if days <= 0:
        return "Contacted on the scoring day"
    return f"Last contact {days} day{'s' if days != 1 else ''} ago"


def score_tone(score: float | None) -> str:
    value = score or 0.0
    return "high" if value >= 70 else "mid" if value >= 40 else "low"


def _chips(row: dict[str, Any]) -> str:
    chips = []
    cls = row.get("lead_classification")
    if cls:
        tone = _CLASS_TONES.get(str(cls).lower(), "plain")
        chips.append(f'<span class="chip chip-{tone}">{esc(cls)}</span>')
    for key in ("opty_category", "stage", "customer_type"):
        if row.get(key):
            chips.append(f'<span class="chip">{esc(row[key])}</span>')
    return "".join(chips)


def account_line(account: dict[str, Any] | None) -> str:
    """For a lead from an existing account: its segment and RFM segment, and what it could buy next."""
    if not account:
        return ""
    segment = " · ".join(esc(v) for v in (account.get("segment"), account.get("rfm_segment")) if v)
    text = f"<b>Account:</b> {segment or 'existing account'}"
    cross = account.get("cross_sell")
    if cross:
        share = f"{round(100 * float(cross.get('confidence') or 0))}%"
        text += (
            f"<br><b>Cross-sell:</b> {esc(cross.get('product_line'))} ({share} of the accounts that buy "
            f"{esc(cross.get('because_of'))} buy it too)"
        )
    return f'<p class="nba account-line">{text}</p>'


def lead_card(
    row: dict[str, Any],
    scope: Scope,
    reasons: int = 3,
    is_next_best: bool = False,
    account: dict[str, Any] | None = None,
) -> str:
    """One lead as a card: who, what, score, reasons in words, next best action, contact, tap to call; for an
    existing account's lead, its segment and a cross-sell suggestion (``account``)."""
    score = row.get("total_score")
    score_text = "-" if score is None else f"{score:.0f}"
    where = [row.get("product_line") or "No product line"]
    if scope.role != "rep":
        where.append(f"{row.get('dealer_code') or '?'} · {row.get('taluka') or '?'}")
    reason_items = "".join(f"<li>{esc(r)}</li>" for r in (row.get("reasons") or [])[:reasons] if r)
    phone = row.get("customer_phone")
    href = tel_href(phone)
    if href:
        call = f'<a class="call" href="{esc(href)}">Call {esc(phone)}</a>'
    elif phone is not None and str(phone).strip():  # not a number to call: shown as text, never as a link
        call = f'<span class="call call-none phone-text">Phone: {esc(phone)}</span>'
    else:
        call = '<span class="call call-none">No phone number</span>'
    ribbon = '<div class="ribbon">Next best customer</div>' if is_next_best else ""
    classes = "lead-card next-best" if is_next_best else "lead-card"
    return (
        f'<article class="{classes}" data-opty="{esc(row.get("opty_id"))}">{ribbon}'
        '<header class="lead-head"><div class="lead-who">'
        f'<h3 class="lead-name">{esc(row.get("customer_name") or "Unnamed customer")}</h3>'
        f'<div class="lead-sub">{" · ".join(esc(w) for w in where)}</div></div>'
        f'<div class="score score-{score_tone(score)}" aria-label="score {score_text}">'
        f"<b>{score_text}</b><small>score</small></div></header>"
        f'<div class="chips">{_chips(row)}</div>'
        + (f'<ul class="reasons">{reason_items}</ul>' if reason_items else "")
        + f'<p class="nba"><b>Next:</b> {esc(row.get("next_best_action") or "Review the lead")}</p>'
        + account_line(account)
        + f'<footer class="lead-foot"><span class="contact">{esc(contact_text(row.get("days_since_last_contact")))}'
        f"</span>{call}</footer></article>"
    )


def notice(title: str, body: str = "", tone: str = "info") -> str:
    """An empty-state or error panel (title and body are escaped)."""
    return f'<div class="notice notice-{tone}"><b>{esc(title)}</b>' + (f"<p>{esc(body)}</p>" if body else "") + "</div>"


def lead_list(
    page: LeadPage,
    scope: Scope,
    reasons: int = 3,
    filtered: bool = False,
    accounts: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The whole rep view body: a summary line, the next best customer, then the other leads (``accounts``: the
    account line of the leads from existing accounts, by account_id)."""
    accounts = accounts or {}
    if not page.is_loaded:
        return notice("No scores yet", "The nightly run has not written the lead scores. Try again later.")
    if page.in_scope == 0:
        return notice("No open leads", f"There are no open leads for {scope.describe()} today.")
    if page.matching == 0:
        return notice("No leads match these filters", "Choose 'All' to see every open lead.")
    shown = len(page.rows) + (1 if page.next_best else 0)
    of = f"{page.matching} matching" if filtered else f"{page.in_scope} open"
    summary = (
        f'<p class="summary">Top {shown} of {of} leads · {esc(scope.describe())} · '
        f"scored for {esc(fmt_date(page.as_of_date))}</p>"
    )
    best = page.next_best
    cards = [lead_card(best, scope, reasons, True, accounts.get(best.get("account_id") or ""))] if best else []
    cards += [lead_card(row, scope, reasons, account=accounts.get(row.get("account_id") or "")) for row in page.rows]
    return summary + '<div class="cards">' + "".join(cards) + "</div>"
