"""Plain handler functions behind the Gradio components; they return HTML strings and choice lists.

Every handler takes the signed-in user name (from ``gr.Request.username`` in the UI) and derives the scope
from the user store; no handler accepts a scope, dealer or district from the caller. Filters chosen in the UI
only narrow what the scope allows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass
from html import escape
from typing import Any

from app.accounts import accounts_html
from app.actions import ActionError, ActionStore, LeadAction
from app.ask_view import answer_html
from app.auth import UserStore
from app.cards import esc, fmt_date, lead_list, notice
from app.data import SORTS, DataAccess, LeadQuery
from app.kpis import kpis_html
from app.markets import hotspot_cards, product_line_chart, score_chart, top3_html
from app.performance import performance_html
from app.scope import Scope, ScopeError
from app.settings import AppSettings, app_settings
from ask.settings import AskSettings, ask_settings
from ground.config import Config

log = logging.getLogger(__name__)

ALL = "All"
STATUSES = [ALL, "HOTSPOT", "EMERGING", "STABLE", "NOISE"]
_NOT_SIGNED_IN = notice("Not signed in", "Sign in again to see your leads.", tone="error")
_MARKETS_DENIED = notice("Not available", "Market views are for managers and leadership.", tone="error")
_PERFORMANCE_DENIED = notice("Not available", "Performance is for managers and leadership.", tone="error")
_ACCOUNTS_DENIED = notice("Not available", "Accounts are for managers and leadership.", tone="error")
_ASK_DENIED = notice("Not available", "Ask is for managers and leadership.", tone="error")


@dataclass
class AppContext:
    settings: AppSettings
    users: UserStore
    data: DataAccess
    window_days: int = 5
    ask: AskSettings | None = None  # None: the Ask tab answers guided questions only
    actions: ActionStore | None = None  # where rep actions are written (None: read-only app)

    @classmethod
    def from_config(cls, config: Config) -> AppContext:
        settings = app_settings(config)
        windows = config.section("windows")
        return cls(
            settings=settings,
            users=UserStore(settings.users_file, settings.inline_users, settings.bcrypt_rounds),
            data=DataAccess.for_lake(settings.lake_root, settings.refresh_seconds),
            window_days=int(windows.get("window_days", 5)),
            ask=ask_settings(config),
            actions=ActionStore(settings.lake_root),
        )


def _choice(value: str | None) -> str | None:
    return None if not value or value == ALL else value


def user_scope(ctx: AppContext, username: str | None) -> Scope | None:
    return ctx.users.scope_for(username)


def header_html(ctx: AppContext, username: str | None) -> str:
    """Who is signed in, what they see, and how fresh the data is."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    page = ctx.data.leads(scope, limit=1)
    fresh = f"scores for {fmt_date(page.as_of_date)}" if page.is_loaded else "no scores yet"
    return (
        '<div class="topbar"><div class="who">'
        f"<b>{escape(ctx.settings.title)}</b><span>{escape(str(username))} · {escape(scope.role)} · "
        f"{escape(scope.describe())}</span></div>"
        f'<div class="fresh"><span title="scv_customer_score version {page.version}">{escape(fresh)}</span>'
        # a form, not a link: signing out changes state, so it is a POST (Origin-checked like the sign-in)
        '<form method="post" action="logout" class="signout-form">'
        '<button type="submit" class="signout">Sign out</button></form></div></div>'
    )


def filter_choices(ctx: AppContext, username: str | None) -> tuple[list[str], list[str]]:
    """Enquiry types and lead classifications present in the user's scope, each with 'All' first."""
    scope = user_scope(ctx, username)
    if scope is None:
        return [ALL], [ALL]
    enquiry_types, classifications = ctx.data.lead_filters(scope)
    return [ALL, *enquiry_types], [ALL, *classifications]


def lead_query(
    enquiry_type: str | None = ALL,
    classification: str | None = ALL,
    search: str | None = None,
    sort: str | None = None,
    district: str | None = ALL,
    dealer: str | None = ALL,
) -> LeadQuery:
    """What the page asks for, from the widgets' values ('All' and empty mean no filter)."""
    sort_key = next((k for k, v in SORTS.items() if sort in (k, v[0])), "score")
    text = " ".join((search or "").split())[:80] or None
    return LeadQuery(_choice(enquiry_type), _choice(classification), text, sort_key, _choice(district), _choice(dealer))


def leads_view(
    ctx: AppContext,
    username: str | None,
    enquiry_type: str | None = ALL,
    classification: str | None = ALL,
    limit: int | None = None,
    search: str | None = None,
    sort: str | None = None,
    district: str | None = ALL,
    dealer: str | None = ALL,
) -> str:
    """The rep view: the next best customer and the top leads as cards."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    size = int(limit or ctx.settings.page_size)
    query = lead_query(enquiry_type, classification, search, sort, district, dealer)
    page = ctx.data.leads(scope, limit=size, query=query)
    today = dt.datetime.now(dt.UTC).date()
    shown = [page.next_best, *page.rows] if page.next_best else page.rows
    accounts = ctx.data.account_context([str(r["account_id"]) for r in shown if r.get("account_id")])
    return lead_list(
        page, scope, ctx.settings.reasons_per_card, filtered=query.is_filtered, today=today, accounts=accounts
    )


def has_more_leads(
    ctx: AppContext,
    username: str | None,
    enquiry_type: str | None = ALL,
    classification: str | None = ALL,
    limit: int | None = None,
    search: str | None = None,
    sort: str | None = None,
    district: str | None = ALL,
    dealer: str | None = ALL,
) -> bool:
    """Whether more leads match than ``limit`` cards show (drives the 'Show more leads' button)."""
    scope = user_scope(ctx, username)
    if scope is None:
        return False
    size = int(limit or ctx.settings.page_size)
    query = lead_query(enquiry_type, classification, search, sort, district, dealer)
    return ctx.data.leads(scope, limit=size, query=query).matching > size


def markets_view(
    ctx: AppContext,
    username: str | None,
    status: str | None = ALL,
    district: str | None = ALL,
    as_of: str | None = None,
) -> tuple[str, str]:
    """Hotspot talukas (with status and reasons) and the top talukas per district, on the latest date or on
    ``as_of`` (an ISO date from the date picker)."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN, ""
    day = _as_date(as_of) if as_of and as_of != LATEST else None
    try:
        hotspots = ctx.data.hotspots(scope, _choice(status), _choice(district), day)
        top = ctx.data.top_talukas(scope, _choice(district), day)
    except ScopeError:
        return _MARKETS_DENIED, ""
    return hotspot_cards(hotspots, ctx.window_days), top3_html(top)


def district_choices(ctx: AppContext, username: str | None) -> list[str]:
    """Districts for the leadership filter (a manager's scope already is one district)."""
    scope = user_scope(ctx, username)
    if scope is None or scope.role != "leader":
        return [ALL]
    return [ALL, *ctx.data.districts(scope)]


def pipeline_view(ctx: AppContext, username: str | None) -> tuple[str, str]:
    """Open leads by product line and the score distribution in the user's scope."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN, ""
    return (
        product_line_chart(ctx.data.leads_by_product_line(scope)),
        score_chart(ctx.data.score_distribution(scope)),
    )


def performance_view(ctx: AppContext, username: str | None) -> str:
    """Win-rate drivers, rates, consultants, funnel and losses: a manager's district, or everything for a leader."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    if not scope.can_see_markets:
        return _PERFORMANCE_DENIED
    try:
        return performance_html(ctx.data, scope)
    except ScopeError:
        return _PERFORMANCE_DENIED


def accounts_view(ctx: AppContext, username: str | None) -> str:
    """The accounts at risk, why and what to do, their value, segments and cross-sell: a manager's district, or
    everything for a leader."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    if not scope.can_see_markets:
        return _ACCOUNTS_DENIED
    try:
        return accounts_html(ctx.data, scope)
    except ScopeError:
        return _ACCOUNTS_DENIED


def can_ask_freely(ctx: AppContext) -> bool:
    """Whether questions in plain words go to a model (configured and allowed); else guided questions only."""
    from ground.llm import endpoint_from_env

    return ctx.ask is not None and ctx.ask.use_model and endpoint_from_env() is not None


def ask_view(
    ctx: AppContext,
    username: str | None,
    question: str = "",
    guided_tool: str = "",
    arguments: dict[str, str] | None = None,
) -> str:
    """A question (plain words, when a model is configured) or a guided question with its filled-in arguments
    (district, date, dimension; those the question does not take are left out), answered within the scope: a
    manager's answers use their district only."""
    from ask.answer import guided, with_model
    from ask.tools import CATALOGUE, Reader
    from ground.llm import endpoint_from_env

    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    if not scope.can_see_markets:
        return _ASK_DENIED
    reader = Reader(scope.role, scope.district if scope.role == "manager" else None)
    lake = ctx.settings.lake_root
    endpoint = endpoint_from_env() if can_ask_freely(ctx) else None
    if question.strip() and endpoint is not None and ctx.ask is not None:
        answer = with_model(
            question.strip()[:500],
            endpoint,
            lake,
            reader,
            timeout_s=ctx.ask.timeout_s,
            max_tokens=ctx.ask.max_tokens,
            max_chars=ctx.ask.max_chars,
            max_rounds=ctx.ask.max_rounds,
        )
    elif guided_tool in CATALOGUE:
        takes = {p.name for p in CATALOGUE[guided_tool].parameters}
        filled = {k: v for k, v in (arguments or {}).items() if k in takes and v and v != ALL}
        answer = guided(guided_tool, filled, lake, reader)
    elif question.strip():
        return notice("No model configured", "Pick one of the guided questions: they need no model.", tone="info")
    else:
        return notice("Ask", "Pick a question, or type one when a model is configured.", tone="info")
    log.info("ask by %s: %s -> %s", username, guided_tool or "free question", answer.status)
    return answer_html(answer)


SORT_CHOICES = [label for label, _, _ in SORTS.values()]
ACTION_CHOICES = [("Called", "called"), ("Done", "done"), ("Snooze", "snoozed"), ("Note", "note")]


def lead_choices(ctx: AppContext, username: str | None, query: LeadQuery | None = None) -> list[tuple[str, str]]:
    """(label, lead id) of the leads on the user's list, for the 'log what you did' form."""
    scope = user_scope(ctx, username)
    if scope is None:
        return []
    page = ctx.data.leads(scope, limit=ctx.settings.page_size * 5, query=query or LeadQuery())
    rows = ([page.next_best] if page.next_best else []) + page.rows
    return [
        (f"{r.get('customer_name') or 'Unnamed'} · {r.get('product_line') or '-'} · {r['opty_id']}", r["opty_id"])
        for r in rows
    ]


def filter_values(ctx: AppContext, username: str | None, column: str) -> list[str]:
    """'All' and the districts or dealers in the user's scope (managers and leaders; a rep has one dealer)."""
    scope = user_scope(ctx, username)
    if scope is None or scope.role == "rep" or (column == "district" and scope.role != "leader"):
        return [ALL]
    return [ALL, *ctx.data.scope_values(scope, column)]


def record_action(
    ctx: AppContext,
    username: str | None,
    opty_id: str | None,
    action: str | None,
    outcome: str | None = None,
    snoozed_until: Any = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> str:
    """Store what the user did with a lead; only a lead in the user's own scope (a rep: their dealer's)."""
    scope = user_scope(ctx, username)
    if scope is None or username is None:
        return _NOT_SIGNED_IN
    if ctx.actions is None:
        return notice("Not saved", "This app is read-only.", tone="error")
    lead = ctx.data.lead_in_scope(scope, str(opty_id or ""))
    if lead is None:
        log.warning("action refused user=%s opty=%s: not in the user's scope", username, str(opty_id)[:40])
        return notice("Not saved", "You can only log actions on your own leads.", tone="error")
    day = today or dt.datetime.now(dt.UTC).date()
    until = _as_date(snoozed_until)
    try:
        checked = LeadAction(
            opty_id=lead["opty_id"],
            dealer_code=lead["dealer_code"],
            action=str(action or ""),
            user_name=username,
            outcome=outcome or None,
            snoozed_until=until,
            note=note,
        ).checked(day)
        ctx.actions.append(checked)
    except ActionError as exc:
        return notice("Not saved", str(exc), tone="error")
    except Exception as exc:  # the lake refused the write: say so, never pretend it was saved
        log.warning("action not saved user=%s opty=%s: %s", username, lead["opty_id"], type(exc).__name__)
        return notice("Not saved", "The action could not be stored. Try again.", tone="error")
    ctx.data.cache.watch("lead_actions").expire()
    words = {"called": "Call logged", "done": "Marked done", "snoozed": "Snoozed", "note": "Note saved"}
    name = lead.get("customer_name") or lead["opty_id"]
    return notice(f"{words[checked.action]}: {name}", "It shows in the list and the actions below now.")


def _as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(float(value), dt.UTC).date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def actions_view(ctx: AppContext, username: str | None, limit: int = 20) -> str:
    """The latest actions on leads in the user's scope, newest first, as a table."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    actions, _ = ctx.data.actions()
    rows = actions.to_pylist()
    if scope.role == "rep":
        rows = [r for r in rows if r["dealer_code"] == scope.dealer_code]
    elif scope.role == "manager":
        dealers = set(ctx.data.scope_values(scope, "dealer_code"))
        rows = [r for r in rows if r["dealer_code"] in dealers]
    if not rows:
        return notice("No actions yet", "Calls, done, snoozes and notes you log show here.")
    lines = []
    for r in rows[:limit]:
        what = {"called": f"Called: {r['outcome']}", "done": "Done", "note": "Note"}.get(r["action"], "")
        if r["action"] == "snoozed":
            what = f"Snoozed until {fmt_date(r['snoozed_until'])}"
        note = f"<br><small>{esc(r['note'])}</small>" if r["note"] else ""
        lines.append(
            f'<tr data-opty="{esc(r["opty_id"])}"><td>{esc(r["acted_at"].strftime("%d %b %H:%M"))}</td>'
            f"<td>{esc(r['opty_id'])}</td><td>{esc(what)}{note}</td><td>{esc(r['user_name'])}</td></tr>"
        )
    head = "<tr><th>When (UTC)</th><th>Lead</th><th>What</th><th>Who</th></tr>"
    return f'<div class="table-wrap"><table class="actions">{head}{"".join(lines)}</table></div>'


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_COLUMNS = [
    "opty_id", "dealer_code", "district", "taluka", "customer_name", "customer_phone", "product_line", "stage",
    "lead_classification", "opty_category", "customer_type", "total_score", "expected_closure_date",
    "last_contact_date", "next_best_action",
]  # fmt: skip


def _cell(value: Any) -> Any:
    """A value a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def export_csv(ctx: AppContext, username: str | None, query: LeadQuery) -> str | None:
    """The user's current list as CSV (managers and leaders), formulas neutralised; None if not allowed."""
    scope = user_scope(ctx, username)
    if scope is None or scope.role == "rep":
        return None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in ctx.data.export_rows(scope, query):
        writer.writerow([_cell(row.get(c)) for c in EXPORT_COLUMNS])
    return out.getvalue()


def export_link(username: str | None, ctx: AppContext, query: LeadQuery) -> str:
    """A link to the CSV of the current list (managers and leaders only)."""
    from urllib.parse import urlencode

    scope = user_scope(ctx, username)
    if scope is None or scope.role == "rep":
        return ""
    params = {k: v for k, v in (("enquiry_type", query.enquiry_type), ("classification", query.classification),
              ("search", query.search), ("sort", query.sort), ("district", query.district),
              ("dealer", query.dealer)) if v}  # fmt: skip
    href = "export.csv" + ("?" + urlencode(params) if params else "")
    return f'<a class="export" href="{esc(href)}" download>Download this list (CSV)</a>'


LATEST = "Latest"


def market_dates(ctx: AppContext, username: str | None) -> list[str]:
    """'Latest' and the past as-of dates the taluka table holds (managers and leaders)."""
    scope = user_scope(ctx, username)
    if scope is None or not scope.can_see_markets:
        return [LATEST]
    return [LATEST, *(d.isoformat() for d in ctx.data.area_dates(scope)[1:])]


def trend_talukas(ctx: AppContext, username: str | None) -> list[str]:
    scope = user_scope(ctx, username)
    if scope is None or not scope.can_see_markets:
        return []
    try:
        return sorted({str(r["taluka"]) for r in ctx.data.hotspots(scope).rows if r.get("taluka")})
    except Exception:  # noqa: BLE001 - no market data yet
        return []


def trend_view(ctx: AppContext, username: str | None, taluka: str | None) -> str:
    """A taluka's leads, high-intent leads and retail (each over the 5-day window) on the last 30 dates."""
    from app.markets import trend_html

    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    if not scope.can_see_markets:
        return _MARKETS_DENIED
    if not taluka:
        return notice("Taluka trend", "Pick a taluka to see its last 30 days.")
    return trend_html(str(taluka), ctx.data.taluka_trend(scope, str(taluka)), ctx.window_days)


def kpis_view(ctx: AppContext, username: str | None) -> str:
    """The day's KPIs, retail against its forecast band, anomalies, slow stock and (leaders) ABC classes: a rep's
    dealer, a manager's district, or the whole network for a leader."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    return kpis_html(ctx.data.kpi_tables(), scope)
