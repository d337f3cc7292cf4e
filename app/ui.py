"""The Gradio Blocks of the field app and its launch; all logic lives in ``app.handlers``.

The signed-in user comes from ``gr.Request.username`` (set from the session of the app's own sign-in, see
``app.web`` and ``app.signin``); no input on the page says who the user is or what they may see. Explicit API endpoints
(``/leads``, ``/markets``, ``/pipeline``, ``/performance``, ``/ask``, ``/accounts``, ``/kpis``, ``/act``,
``/whoami``) serve ``gradio_client`` with the same handlers.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app import handlers as h
from app.ask_view import guided_choices
from app.handlers import ACTION_CHOICES, ALL, SORT_CHOICES, STATUSES, AppContext
from ask.tools import WIN_RATE_DIMENSIONS
from ground.catalogue.app import CALL_OUTCOMES


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None


def _api(ctx: AppContext) -> None:
    """Typed endpoints for gradio_client; the user is still taken from the authenticated request."""

    def leads(enquiry_type: str = ALL, classification: str = ALL, request: gr.Request = None) -> str:  # type: ignore[assignment]
        """Lead cards (HTML) for the signed-in user."""
        return h.leads_view(ctx, _user(request), enquiry_type, classification)

    def markets(status: str = ALL, district: str = ALL, request: gr.Request = None) -> tuple[str, str]:  # type: ignore[assignment]
        """Hotspot talukas and top talukas per district (HTML) for the signed-in user."""
        return h.markets_view(ctx, _user(request), status, district)

    def pipeline(request: gr.Request = None) -> tuple[str, str]:  # type: ignore[assignment]
        """Leads by product line and score distribution (HTML) for the signed-in user."""
        return h.pipeline_view(ctx, _user(request))

    def performance(request: gr.Request = None) -> str:  # type: ignore[assignment]
        """Win-rate drivers and figures (HTML) for the signed-in manager or leader."""
        return h.performance_view(ctx, _user(request))

    def ask(question: str = "", guided: str = "", district: str = "", date: str = "", dimension: str = "",
            request: gr.Request = None) -> str:  # type: ignore[assignment]  # fmt: skip
        """An answer (HTML) to a question in plain words, or to a guided question (its name, with the district,
        date and win-rate dimension it takes), within the signed-in user's scope."""
        filled = {"district": district, "date": date, "dimension": dimension}
        return h.ask_view(ctx, _user(request), question, guided, filled)

    def act(
        opty_id: str,
        action: str,
        outcome: str = "",
        snoozed_until: str = "",
        note: str = "",
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> str:
        """Log what the signed-in user did with one of their leads (called, done, snoozed, note)."""
        return h.record_action(ctx, _user(request), opty_id, action, outcome, snoozed_until, note)

    def accounts(request: gr.Request = None) -> str:  # type: ignore[assignment]
        """Accounts at risk, why and what to do (HTML) for the signed-in manager or leader."""
        return h.accounts_view(ctx, _user(request))

    def kpis(request: gr.Request = None) -> str:  # type: ignore[assignment]
        """KPIs, the forecast band, anomalies and slow stock (HTML) in the signed-in user's scope."""
        return h.kpis_view(ctx, _user(request))

    def whoami(request: gr.Request = None) -> str:  # type: ignore[assignment]
        """The signed-in user's role and scope."""
        scope = h.user_scope(ctx, _user(request))
        return "not signed in" if scope is None else f"{scope.role}: {scope.describe()}"

    for fn in (leads, markets, pipeline, performance, ask, accounts, kpis, whoami, act):
        gr.api(fn, api_name=fn.__name__)


def build_blocks(ctx: AppContext) -> gr.Blocks:
    page_size = ctx.settings.page_size
    with gr.Blocks(title=ctx.settings.title, analytics_enabled=False) as demo:
        header = gr.HTML()
        with gr.Tabs() as tabs:
            with gr.Tab("Leads", id="leads"):
                with gr.Row(equal_height=True):
                    search = gr.Textbox(label="Search", placeholder="Customer name or phone", min_width=150)
                    sort = gr.Dropdown(SORT_CHOICES, value=SORT_CHOICES[0], label="Sort by", filterable=False,
                                       min_width=150)  # fmt: skip
                with gr.Row(equal_height=True):
                    enquiry = gr.Dropdown([ALL], value=ALL, label="Enquiry type", filterable=False, min_width=150)
                    cls = gr.Dropdown([ALL], value=ALL, label="Classification", filterable=False, min_width=150)
                with gr.Row(equal_height=True):
                    district_f = gr.Dropdown([ALL], value=ALL, label="District", visible=False, min_width=150)
                    dealer_f = gr.Dropdown([ALL], value=ALL, label="Dealer", visible=False, min_width=150)
                export = gr.HTML()
                leads = gr.HTML()
                more = gr.Button("Show more leads", variant="secondary", visible=False)
                with gr.Accordion("Log what you did", open=True, elem_id="log-action"):
                    lead_pick = gr.Dropdown([], label="Lead", filterable=True, elem_id="action-lead")
                    act = gr.Radio(ACTION_CHOICES, value="called", label="What you did", elem_id="action-kind")
                    outcome = gr.Dropdown(list(CALL_OUTCOMES), value=CALL_OUTCOMES[0], label="How the call went",
                                          filterable=False)  # fmt: skip
                    until = gr.DateTime(include_time=False, type="string", label="Snooze until", visible=False)
                    note = gr.Textbox(label="Note (optional for a call)", max_length=500, lines=2)
                    save = gr.Button("Save", variant="primary", elem_id="action-save")
                    saved = gr.HTML()
                gr.HTML('<div class="section-title">Recent actions</div>')
                actions_html = gr.HTML(elem_id="actions-table")
            # Hidden until the sign-in says manager or leader: Gradio 6.31 can show a Tab through an update
            # but does not hide one again (checked in Chromium), so reps never get it shown.
            with gr.Tab("Markets", id="markets", visible=False) as markets_tab:
                with gr.Row(equal_height=True):
                    status = gr.Dropdown(STATUSES, value=ALL, label="Status", filterable=False, min_width=150)
                    district = gr.Dropdown([ALL], value=ALL, label="District", visible=False, min_width=150)
                    as_of = gr.Dropdown([h.LATEST], value=h.LATEST, label="As of", filterable=False, min_width=150)
                gr.HTML('<div class="section-title">Hotspot talukas</div>')
                hotspots = gr.HTML()
                gr.HTML('<div class="section-title">Top talukas per district</div>')
                top3 = gr.HTML()
                gr.HTML('<div class="section-title">Taluka trend</div>')
                trend_pick = gr.Dropdown([], label="Taluka", min_width=150)
                trend = gr.HTML()
            # side by side on a desktop, stacked on a phone (#pipeline-charts in app/theme.py)
            with gr.Tab("Pipeline", id="pipeline"), gr.Row(elem_id="pipeline-charts"):
                product_lines = gr.HTML(min_width=320)
                scores = gr.HTML(min_width=320)
            with gr.Tab("Performance", id="performance", visible=False) as performance_tab:  # as Markets
                performance = gr.HTML()
            with gr.Tab("Ask", id="ask", visible=False) as ask_tab:  # as Markets
                guided_pick = gr.Dropdown(
                    guided_choices(), value=None, label="A guided question (no model needed)", filterable=False
                )
                with gr.Row(equal_height=True):
                    ask_district = gr.Dropdown([ALL], value=ALL, label="District", visible=False, min_width=150)
                    ask_date = gr.Textbox(label="As of (YYYY-MM-DD, empty: latest)", max_length=10, min_width=150)
                    ask_dimension = gr.Dropdown(
                        [(d.replace("_", " "), d) for d in WIN_RATE_DIMENSIONS],
                        value="district",
                        label="Win rates by",
                        filterable=False,
                        min_width=150,
                    )
                question = gr.Textbox(
                    label="Or ask in your own words",
                    placeholder="Which talukas are hot in my district?",
                    max_length=500,
                    visible=h.can_ask_freely(ctx),
                )
                ask_button = gr.Button("Ask", variant="primary")
                answer = gr.HTML()
            with gr.Tab("Accounts", id="accounts", visible=False) as accounts_tab:  # as Markets
                accounts_panel = gr.HTML()
            with gr.Tab("KPIs", id="kpis"):  # every role, scoped (app/kpis.py)
                kpis = gr.HTML()
        refresh = gr.Button("Refresh", variant="secondary")
        limit = gr.State(page_size)

        def on_load(request: gr.Request, is_refresh: bool = False) -> tuple[Any, ...]:
            user = _user(request)
            scope = h.user_scope(ctx, user)
            markets_ok = scope is not None and scope.can_see_markets
            enquiry_choices, cls_choices = h.filter_choices(ctx, user)
            districts = h.district_choices(ctx, user)
            hot, top = h.markets_view(ctx, user) if markets_ok else ("", "")
            lead_districts, lead_dealers = (
                h.filter_values(ctx, user, "district"),
                h.filter_values(ctx, user, "dealer_code"),
            )
            return (
                h.header_html(ctx, user),
                gr.update(choices=enquiry_choices, value=ALL),
                gr.update(choices=cls_choices, value=ALL),
                h.leads_view(ctx, user, limit=page_size),
                page_size,
                gr.update(visible=h.has_more_leads(ctx, user, limit=page_size)),
                gr.update(value=""),
                gr.update(value=SORT_CHOICES[0]),
                gr.update(choices=lead_districts, value=ALL, visible=len(lead_districts) > 2),
                gr.update(choices=lead_dealers, value=ALL, visible=len(lead_dealers) > 2),
                h.export_link(user, ctx, h.lead_query()),
                gr.update(choices=h.lead_choices(ctx, user), value=None),
                h.actions_view(ctx, user),
                gr.update(choices=h.market_dates(ctx, user), value=h.LATEST),
                gr.update(choices=h.trend_talukas(ctx, user), value=None),
                gr.update(visible=True) if markets_ok else gr.update(),
                gr.update() if is_refresh else gr.update(selected="markets" if markets_ok else "leads"),
                gr.update(choices=districts, value=ALL, visible=len(districts) > 2),
                hot,
                top,
                *h.pipeline_view(ctx, user),
                gr.update(visible=True) if markets_ok else gr.update(),
                h.performance_view(ctx, user) if markets_ok else "",
                gr.update(visible=True) if markets_ok else gr.update(),
                gr.update(choices=districts, value=ALL, visible=len(districts) > 2),
                gr.update(visible=True) if markets_ok else gr.update(),
                h.accounts_view(ctx, user) if markets_ok else "",
                h.kpis_view(ctx, user),
            )

        load_outputs = [header, enquiry, cls, leads, limit, more, search, sort, district_f, dealer_f, export, lead_pick]
        load_outputs += [actions_html, as_of, trend_pick, markets_tab, tabs, district, hotspots, top3]
        load_outputs += [product_lines, scores, performance_tab, performance, ask_tab, ask_district]
        load_outputs += [accounts_tab, accounts_panel, kpis]
        private: dict[str, Any] = {"api_visibility": "private"}
        demo.load(on_load, None, load_outputs, **private)

        def on_refresh(request: gr.Request) -> tuple[Any, ...]:  # same as a page load, on the current tab
            return on_load(request, is_refresh=True)

        refresh.click(on_refresh, None, load_outputs, **private)

        list_inputs = [enquiry, cls, search, sort, district_f, dealer_f]
        list_outputs = [leads, limit, more, export, lead_pick]

        def show_leads(values: tuple[Any, ...], shown: int, user: str | None) -> tuple[Any, ...]:
            enquiry_type, classification, text, order, district_value, dealer_value = values
            query = h.lead_query(enquiry_type, classification, text, order, district_value, dealer_value)
            kwargs = {"search": text, "sort": order, "district": district_value, "dealer": dealer_value}
            html = h.leads_view(ctx, user, enquiry_type, classification, shown, **kwargs)
            is_more = h.has_more_leads(ctx, user, enquiry_type, classification, shown, **kwargs)
            choices = h.lead_choices(ctx, user, query)
            return html, shown, gr.update(visible=is_more), h.export_link(user, ctx, query), gr.update(choices=choices)

        def on_filter(
            enquiry_type: str, classification: str, text: str, order: str, dist: str, dealer: str, request: gr.Request
        ) -> tuple[Any, ...]:
            values = (enquiry_type, classification, text, order, dist, dealer)
            return show_leads(values, page_size, _user(request))

        def on_more(
            enquiry_type: str,
            classification: str,
            text: str,
            order: str,
            dist: str,
            dealer: str,
            shown: int,
            request: gr.Request,
        ) -> tuple[Any, ...]:
            values = (enquiry_type, classification, text, order, dist, dealer)
            return show_leads(values, int(shown or page_size) + page_size, _user(request))

        for widget in (enquiry, cls, sort, district_f, dealer_f):
            widget.input(on_filter, list_inputs, list_outputs, **private)
        search.submit(on_filter, list_inputs, list_outputs, **private)
        search.input(on_filter, list_inputs, list_outputs, trigger_mode="always_last", **private)
        more.click(on_more, [*list_inputs, limit], list_outputs, **private)

        def on_kind(kind: str) -> tuple[Any, ...]:
            return gr.update(visible=kind == "called"), gr.update(visible=kind == "snoozed")

        act.change(on_kind, [act], [outcome, until], **private)

        def on_save(
            opty: str | None,
            kind: str,
            how: str,
            snooze: Any,
            text: str,
            enquiry_type: str,
            classification: str,
            search_text: str,
            order: str,
            dist: str,
            dealer: str,
            shown: int,
            request: gr.Request,
        ) -> tuple[Any, ...]:
            user = _user(request)
            message = h.record_action(ctx, user, opty, kind, how, snooze, text)
            values = (enquiry_type, classification, search_text, order, dist, dealer)
            listed = show_leads(values, int(shown or page_size), user)
            return (message, gr.update(value=""), h.actions_view(ctx, user), *listed)

        save.click(
            on_save,
            [lead_pick, act, outcome, until, note, *list_inputs, limit],
            [saved, note, actions_html, *list_outputs],
            **private,
        )

        def on_markets(status_value: str, district_value: str, day: str, request: gr.Request) -> tuple[str, str]:
            return h.markets_view(ctx, _user(request), status_value, district_value, day)

        for dropdown in (status, district, as_of):
            dropdown.input(on_markets, [status, district, as_of], [hotspots, top3], **private)

        def on_trend(taluka: str, request: gr.Request) -> str:
            return h.trend_view(ctx, _user(request), taluka)

        trend_pick.input(on_trend, [trend_pick], [trend], **private)

        def on_ask(tool: str | None, text: str, district: str, day: str, dimension: str, request: gr.Request) -> str:
            filled = {"district": district, "date": (day or "").strip(), "dimension": dimension}
            return h.ask_view(ctx, _user(request), text or "", tool or "", filled)

        def on_guided(tool: str | None, district: str, day: str, dimension: str, request: gr.Request) -> str:
            return on_ask(tool, "", district, day, dimension, request)

        guided_inputs = [guided_pick, ask_district, ask_date, ask_dimension]
        for control in (guided_pick, ask_district, ask_dimension):
            control.input(on_guided, guided_inputs, [answer], **private)
        ask_inputs = [guided_pick, question, ask_district, ask_date, ask_dimension]
        ask_button.click(on_ask, ask_inputs, [answer], **private)
        question.submit(on_ask, ask_inputs, [answer], **private)
        _api(ctx)
    return demo
