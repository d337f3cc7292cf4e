"""HTML for the rep view: one card per lead, built for a 360 px screen. Every value from data is escaped."""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from typing import Any

from app.actions import LeadState
from app.data import LeadPage
from app.scope import Scope

_CLASS_TONES = {"hot": "hot", "warm": "warm", "live deal": "live", "cold": "cold"}
# Stage codes in words (the chip says both: reps know the codes, new reps learn them)
STAGE_WORDS = {"C0": "Enquiry", "C1": "Test drive", "C2": "Quotation", "C3": "Booking"}
# Reasons that only restate a chip (classification, enquiry type, customer type) are left off the card
CHIP_REASONS = {"LEAD_CLASSIFICATION", "OPTY_CATEGORY", "CUSTOMER_TYPE"}
NEXT_BEST_RULE = (
    "Next best customer: the highest score among leads due a call (not contacted on the day scored, and no "
    "follow-up booked for a later day)."
)


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


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural_form or singular + 's')}"


def days_ago(day: dt.date, today: dt.date) -> str:
    """'today', 'yesterday', '3 days ago' (a date after today reads as today)."""
    days = (today - day).days
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def contact_text(
    days: int | None, today: dt.date | None = None, as_of: dt.date | None = None, last: dt.date | None = None
) -> str:
    """When the customer was last contacted, counted from today (the scores count from the day scored)."""
    if days is None and last is None:
        return "Never contacted"
    if today is not None and last is not None:
        return f"Last contact {days_ago(last, today)}"
    if today is not None and as_of is not None:
        return f"Last contact {days_ago(as_of - dt.timedelta(days=int(days or 0)), today)}"
    value = int(days or 0)
    return "Last contact on the day scored" if value <= 0 else f"Last contact {plural(value, 'day')} ago"


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
        value = row.get(key)
        if value:
            text = f"{value} {STAGE_WORDS[value]}" if key == "stage" and value in STAGE_WORDS else value
            chips.append(f'<span class="chip">{esc(text)}</span>')
    return "".join(chips)


def card_reasons(row: dict[str, Any], limit: int) -> list[str]:
    """The score's reasons that say more than the chips do (at most ``limit``)."""
    codes = list(row.get("reason_codes") or [])
    texts = [r for r in (row.get("reasons") or []) if r]
    kept = [t for i, t in enumerate(texts) if i >= len(codes) or codes[i] not in CHIP_REASONS]
    return kept[:limit]


def _likelihood(row: dict[str, Any]) -> str:
    """The fitted probability of winning within the adopted horizon, when adopted weights scored the lead
    (``scv calibrate``); nothing while the designed weights are in use."""
    probability, horizon = row.get("win_probability"), row.get("win_horizon_days")
    if probability is None or horizon is None:
        return ""
    return f'<p class="likely">{probability:.0%} likely to be won within {horizon} days</p>'


def _state_lines(state: LeadState | None) -> str:
    if state is None:
        return ""
    lines = []
    if state.last_call:
        lines.append(f"Call logged: {state.last_call}")
    if state.snoozed_until:
        lines.append(f"Snoozed until {fmt_date(state.snoozed_until)}")
    if state.note:
        lines.append(f"Note: {state.note}")
    return "".join(f'<p class="acted">{esc(line)}</p>' for line in lines)


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
    state: LeadState | None = None,
    today: dt.date | None = None,
    account: dict[str, Any] | None = None,
) -> str:
    """One lead as a card: who, what, score, reasons in words, next best action, contact, tap to call, what the
    rep logged in the app; for an existing account's lead, its segment and a cross-sell suggestion (``account``)."""
    score = row.get("total_score")
    score_text = "-" if score is None else f"{score:.0f}"
    where = [row.get("product_line") or "No product line"]
    if scope.role != "rep":
        where.append(f"{row.get('dealer_code') or '?'} · {row.get('taluka') or '?'}")
    reason_items = "".join(f"<li>{esc(r)}</li>" for r in card_reasons(row, reasons))
    phone = row.get("customer_phone")
    href = tel_href(phone)
    if href:
        call = f'<a class="call" href="{esc(href)}">Call {esc(phone)}</a>'
    elif phone is not None and str(phone).strip():  # not a number to call: shown as text, never as a link
        call = f'<span class="call call-none phone-text">Phone: {esc(phone)}</span>'
    else:
        call = '<span class="call call-none">No phone number</span>'
    ribbon = '<div class="ribbon">Next best customer</div>' if is_next_best else ""
    where.append(f"Lead {row.get('opty_id') or '?'}")
    contact = contact_text(
        row.get("days_since_last_contact"), today, row.get("as_of_date"), row.get("last_contact_date")
    )
    if state is not None and state.last_call_date and today is not None:
        contact = f"Last contact {days_ago(state.last_call_date, today)} (logged in the app)"
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
        + _likelihood(row)
        + account_line(account)
        + _state_lines(state)
        + f'<footer class="lead-foot"><span class="contact">{esc(contact)}'
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
    today: dt.date | None = None,
    accounts: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The whole rep view body: a summary line, the next best customer (and its rule), then the other leads
    (``accounts``: the account line of the leads from existing accounts, by account_id)."""
    accounts = accounts or {}
    if not page.is_loaded:
        return notice("No scores yet", "The nightly run has not written the lead scores. Try again later.")
    if page.in_scope == 0:
        return notice("No open leads", f"There are no open leads for {scope.describe()} today.")
    if page.matching == 0:
        return notice("No leads match", "Clear the search or choose 'All' in the filters to see every open lead.")
    shown = len(page.rows) + (1 if page.next_best else 0)
    of = f"{page.matching:,} matching" if filtered else f"{page.in_scope:,} open"
    noun = "lead" if page.matching == 1 and filtered or page.in_scope == 1 and not filtered else "leads"
    head = f"Top {shown}" if shown > 1 else "1"
    done = f" · {plural(page.hidden, 'lead')} done or snoozed" if page.hidden else ""
    summary = (
        f'<p class="summary">{head} of {of} {noun} · {esc(scope.describe())} · '
        f"scored for {esc(fmt_date(page.as_of_date))}{done}</p>"
        f'<p class="summary rule">{esc(NEXT_BEST_RULE)}</p>'
    )
    states = page.states
    cards = []
    if page.next_best:
        best = page.next_best
        best_account = accounts.get(best.get("account_id") or "")
        cards.append(lead_card(best, scope, reasons, True, states.get(best["opty_id"]), today, best_account))
    cards += [
        lead_card(
            row, scope, reasons, False, states.get(row["opty_id"]), today, accounts.get(row.get("account_id") or "")
        )
        for row in page.rows
    ]
    return summary + '<div class="cards">' + "".join(cards) + "</div>"
