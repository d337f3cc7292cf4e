"""Plain handler functions behind the Gradio components; they return HTML strings and choice lists.

Every handler takes the signed-in user name (from ``gr.Request.username`` in the UI) and derives the scope
from the user store; no handler accepts a scope, dealer or district from the caller. Filters chosen in the UI
only narrow what the scope allows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from app.auth import UserStore
from app.cards import fmt_date, lead_list, notice
from app.data import DataAccess
from app.kpis import kpis_html
from app.markets import hotspot_cards, product_line_chart, score_chart, top3_html
from app.performance import performance_html
from app.scope import Scope, ScopeError
from app.settings import AppSettings, app_settings
from ground.config import Config

log = logging.getLogger(__name__)

ALL = "All"
STATUSES = [ALL, "HOTSPOT", "EMERGING", "STABLE", "NOISE"]
_NOT_SIGNED_IN = notice("Not signed in", "Sign in again to see your leads.", tone="error")
_MARKETS_DENIED = notice("Not available", "Market views are for managers and leadership.", tone="error")
_PERFORMANCE_DENIED = notice("Not available", "Performance is for managers and leadership.", tone="error")


@dataclass
class AppContext:
    settings: AppSettings
    users: UserStore
    data: DataAccess
    window_days: int = 5
    kpi_origin_of: Callable[[dt.date], dt.date] | None = None  # kpi.forecast's refit schedule (the KPIs view)

    @classmethod
    def from_config(cls, config: Config) -> AppContext:
        settings = app_settings(config)
        windows = config.section("windows")
        return cls(
            settings=settings,
            users=UserStore(settings.users_file, settings.inline_users, settings.bcrypt_rounds),
            data=DataAccess.for_lake(settings.lake_root, settings.refresh_seconds),
            window_days=int(windows.get("window_days", 5)),
            kpi_origin_of=config.pipeline.kpi.forecast.origin_of,
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


def leads_view(
    ctx: AppContext,
    username: str | None,
    enquiry_type: str | None = ALL,
    classification: str | None = ALL,
    limit: int | None = None,
) -> str:
    """The rep view: the next best customer and the top leads as cards."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    size = int(limit or ctx.settings.page_size)
    enquiry, cls = _choice(enquiry_type), _choice(classification)
    page = ctx.data.leads(scope, enquiry, cls, limit=size)
    return lead_list(page, scope, ctx.settings.reasons_per_card, filtered=bool(enquiry or cls))


def has_more_leads(
    ctx: AppContext,
    username: str | None,
    enquiry_type: str | None = ALL,
    classification: str | None = ALL,
    limit: int | None = None,
) -> bool:
    """Whether more leads match than ``limit`` cards show (drives the 'Show more leads' button)."""
    scope = user_scope(ctx, username)
    if scope is None:
        return False
    size = int(limit or ctx.settings.page_size)
    return ctx.data.leads(scope, _choice(enquiry_type), _choice(classification), limit=size).matching > size


def markets_view(
    ctx: AppContext, username: str | None, status: str | None = ALL, district: str | None = ALL
) -> tuple[str, str]:
    """Hotspot talukas (with status and reasons) and the top talukas per district."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN, ""
    try:
        hotspots = ctx.data.hotspots(scope, _choice(status), _choice(district))
        top = ctx.data.top_talukas(scope, _choice(district))
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


def kpis_view(ctx: AppContext, username: str | None) -> str:
    """The day's KPIs, retail against its forecast band, anomalies, slow stock and (leaders) ABC classes: a rep's
    dealer, a manager's district, or the whole network for a leader."""
    scope = user_scope(ctx, username)
    if scope is None:
        return _NOT_SIGNED_IN
    origin_of = ctx.kpi_origin_of or (lambda day: day - dt.timedelta(days=(day.weekday() + 1) % 7))  # Sundays
    return kpis_html(ctx.data.kpi_tables(), scope, origin_of)
