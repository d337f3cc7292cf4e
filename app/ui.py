"""The Gradio Blocks of the field app and its launch; all logic lives in ``app.handlers``.

The signed-in user comes from ``gr.Request.username`` (set from the session of the app's own sign-in, see
``app.web`` and ``app.signin``); no input on the page says who the user is or what they may see. Explicit API endpoints
(``/leads``, ``/markets``, ``/pipeline``, ``/performance``, ``/kpis``, ``/whoami``) serve ``gradio_client`` with the
same handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from app import handlers as h
from app.handlers import ALL, STATUSES, AppContext

if TYPE_CHECKING:
    from app.web import RunningApp


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

    def kpis(request: gr.Request = None) -> str:  # type: ignore[assignment]
        """KPIs, the forecast band, anomalies and slow stock (HTML) in the signed-in user's scope."""
        return h.kpis_view(ctx, _user(request))

    def whoami(request: gr.Request = None) -> str:  # type: ignore[assignment]
        """The signed-in user's role and scope."""
        scope = h.user_scope(ctx, _user(request))
        return "not signed in" if scope is None else f"{scope.role}: {scope.describe()}"

    for fn in (leads, markets, pipeline, performance, kpis, whoami):
        gr.api(fn, api_name=fn.__name__)


def build_blocks(ctx: AppContext) -> gr.Blocks:
    page_size = ctx.settings.page_size
    with gr.Blocks(title=ctx.settings.title, analytics_enabled=False) as demo:
        header = gr.HTML()
        with gr.Tabs() as tabs:
            with gr.Tab("Leads", id="leads"):
                with gr.Row(equal_height=True):
                    enquiry = gr.Dropdown([ALL], value=ALL, label="Enquiry type", filterable=False, min_width=150)
                    cls = gr.Dropdown([ALL], value=ALL, label="Classification", filterable=False, min_width=150)
                leads = gr.HTML()
                more = gr.Button("Show more leads", variant="secondary", visible=False)
            # Hidden until the sign-in says manager or leader: Gradio 6.31 can show a Tab through an update
            # but does not hide one again (checked in Chromium), so reps never get it shown.
            with gr.Tab("Markets", id="markets", visible=False) as markets_tab:
                with gr.Row(equal_height=True):
                    status = gr.Dropdown(STATUSES, value=ALL, label="Status", filterable=False, min_width=150)
                    district = gr.Dropdown([ALL], value=ALL, label="District", visible=False, min_width=150)
                gr.HTML('<div class="section-title">Hotspot talukas</div>')
                hotspots = gr.HTML()
                gr.HTML('<div class="section-title">Top talukas per district</div>')
                top3 = gr.HTML()
            with gr.Tab("Pipeline", id="pipeline"), gr.Row():  # side by side on a desktop, stacked on a phone
                product_lines = gr.HTML(min_width=320)
                scores = gr.HTML(min_width=320)
            with gr.Tab("Performance", id="performance", visible=False) as performance_tab:  # as Markets
                performance = gr.HTML()
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
            return (
                h.header_html(ctx, user),
                gr.update(choices=enquiry_choices, value=ALL),
                gr.update(choices=cls_choices, value=ALL),
                h.leads_view(ctx, user, limit=page_size),
                page_size,
                gr.update(visible=h.has_more_leads(ctx, user, limit=page_size)),
                gr.update(visible=True) if markets_ok else gr.update(),
                gr.update() if is_refresh else gr.update(selected="markets" if markets_ok else "leads"),
                gr.update(choices=districts, value=ALL, visible=len(districts) > 2),
                hot,
                top,
                *h.pipeline_view(ctx, user),
                gr.update(visible=True) if markets_ok else gr.update(),
                h.performance_view(ctx, user) if markets_ok else "",
                h.kpis_view(ctx, user),
            )

        load_outputs = [header, enquiry, cls, leads, limit, more, markets_tab, tabs, district, hotspots, top3]
        load_outputs += [product_lines, scores, performance_tab, performance, kpis]
        private: dict[str, Any] = {"api_visibility": "private"}
        demo.load(on_load, None, load_outputs, **private)

        def on_refresh(request: gr.Request) -> tuple[Any, ...]:  # same as a page load, on the current tab
            return on_load(request, is_refresh=True)

        refresh.click(on_refresh, None, load_outputs, **private)

        def show_leads(enquiry_type: str, classification: str, shown: int, user: str | None) -> tuple[Any, ...]:
            html = h.leads_view(ctx, user, enquiry_type, classification, shown)
            is_more = h.has_more_leads(ctx, user, enquiry_type, classification, shown)
            return html, shown, gr.update(visible=is_more)

        def on_filter(enquiry_type: str, classification: str, request: gr.Request) -> tuple[Any, ...]:
            return show_leads(enquiry_type, classification, page_size, _user(request))

        def on_more(enquiry_type: str, classification: str, shown: int, request: gr.Request) -> tuple[Any, ...]:
            return show_leads(enquiry_type, classification, int(shown or page_size) + page_size, _user(request))

        for dropdown in (enquiry, cls):
            dropdown.input(on_filter, [enquiry, cls], [leads, limit, more], **private)
        more.click(on_more, [enquiry, cls, limit], [leads, limit, more], **private)

        def on_markets(status_value: str, district_value: str, request: gr.Request) -> tuple[str, str]:
            return h.markets_view(ctx, _user(request), status_value, district_value)

        for dropdown in (status, district):
            dropdown.input(on_markets, [status, district], [hotspots, top3], **private)
        _api(ctx)
    return demo


def launch(ctx: AppContext, host: str, port: int, prevent_thread_lock: bool = False) -> RunningApp:
    """Serve the app inside the project's FastAPI application (``app.web``): own sign-in, sessions, guards.

    With ``prevent_thread_lock`` the server runs in a background thread and this returns once it listens.
    """
    from app.web import serve

    return serve(ctx, host, port, background=prevent_thread_lock)
