"""One alert run: read gold, rank, plan recipients, render, then per recipient check the ledger, write the
outbox, send and record. The pure steps live in rank, reasons, routing, view and render; this is the IO shell.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alert_agent import account_alerts, gold, kpi_section, ledger, narrative, outbox
from alert_agent.night import NightVerdict, night_verdict
from alert_agent.rank import ScoredTaluka, rank_talukas
from alert_agent.reasons import interpretation
from alert_agent.render import browser_html, build_message, render_html, render_text
from alert_agent.routing import LEADERSHIP, MessagePlan, plan_messages, unknown_districts
from alert_agent.settings import (
    AlertSettings,
    LlmSettings,
    RankingWeights,
    SmtpSettings,
    alert_settings,
    llm_settings,
    parse_sender,
    smtp_settings,
)
from alert_agent.smtp import deliver
from alert_agent.trend import InlineImage, inline_images, trend_for
from alert_agent.view import Freshness, email_view, status_of
from ground.catalogue import OPS_TABLES
from ground.config import Config
from ground.failpoints import failpoint
from ground.lease import hold

DRY_RUN_SENDER = "SCV Alerts <alerts@scv.invalid>"


@dataclass(frozen=True)
class RecipientOutcome:
    alert_type: str
    recipient: str
    subject: str
    status: str  # sent | skipped | failed | dry-run | unrecorded (sent, but the ledger write failed)
    detail: str = ""
    files: outbox.OutboxFiles | None = None
    attempts: int = 0


@dataclass
class AlertRun:
    run_id: str
    as_of: date
    freshness: Freshness
    hotspot_location: str
    ranked: list[ScoredTaluka]
    top_n: int
    is_dry_run: bool
    night: NightVerdict
    note: str = ""  # said at the top of every email of the run (e.g. the dates a catch-up covered)
    anomalies: kpi_section.AnomalySection = field(default_factory=kpi_section.AnomalySection)  # leadership's
    narratives: dict[tuple[tuple[str, str, str], ...], narrative.NarrativeResult] = field(default_factory=dict)
    daily_leads: dict[tuple[str, str, str], dict[date, int]] = field(default_factory=dict)  # for the charts
    weights: RankingWeights | None = None  # the ranking weights (the report shows the 0-100 priority)
    critical_accounts: list[account_alerts.CriticalAccount] = field(default_factory=list)  # new Critical today
    outcomes: list[RecipientOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every recipient was sent, skipped or written (dry run); 1 when any delivery failed."""
        return 1 if any(o.status in ("failed", "unrecorded") for o in self.outcomes) else 0


def _interpretation(
    run: AlertRun, plan: MessagePlan, llm: LlmSettings | None, settings: AlertSettings, http_client: Any
) -> tuple[str, str]:
    """(paragraph, note): the validated LLM narrative when there is one, else the deterministic text."""
    as_of = run.as_of.isoformat()
    key = tuple((t.signal.state, t.signal.district, t.signal.taluka) for t in plan.talukas)
    if key not in run.narratives:
        run.narratives[key] = narrative.generate(plan.talukas, as_of, settings.window_days, llm, http_client)
    result = run.narratives[key]
    if result.status == "ok" and result.text and llm is not None:
        note = f"Written by the language model {llm.model} from the figures above and checked against them."
        return result.text, note
    return interpretation(plan.alerted, plan.talukas, as_of, settings.window_days, plan.where), ""


@dataclass(frozen=True)
class _Context:
    settings: AlertSettings
    smtp: SmtpSettings | None
    llm: LlmSettings | None
    sender: str
    ledger_location: str
    outbox_dir: str
    sleep: Callable[[float], None]
    http_client: Any


def run_alert(
    config: Config,
    as_of: date | None = None,
    is_dry_run: bool = False,
    is_forced: bool = False,
    override_to: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    http_client: Any = None,
    allow_partial: bool = False,
    note: str = "",
    covers_from: date | None = None,
) -> AlertRun:
    """Run the alert; raises ConfigError, gold.GoldInputError, NightNotComplete (the night behind the date
    failed, is incomplete or was never run, and ``allow_partial`` is off) or outbox.RunLocked before anything
    is sent. A dry run, or a run with ``allow_partial``, from such a night carries a 'data incomplete' banner."""
    env = os.environ if env is None else env
    settings = alert_settings(config)
    lake_root = config.paths.lake_root
    as_of = as_of or gold.latest_as_of_date(lake_root)
    night = night_verdict(lake_root, as_of)
    night.require_sendable(is_dry_run, allow_partial)
    inputs = gold.read_inputs(lake_root, as_of)
    smtp = None if is_dry_run else smtp_settings(settings.smtp_timeout_s, env)
    ctx = _Context(
        settings=settings,
        smtp=smtp,
        llm=llm_settings(settings, env),
        sender=smtp.sender if smtp else parse_sender(env.get("SCV_SMTP_FROM") or DRY_RUN_SENDER)[0],
        ledger_location=OPS_TABLES["alert_ledger"].location(config.paths.lake_root),
        outbox_dir=config.paths.outbox_dir,
        sleep=sleep,
        http_client=http_client,
    )
    ranked = rank_talukas(inputs.signals, settings.weights, settings.alert_statuses)
    run = AlertRun(
        run_id=uuid.uuid4().hex[:12],
        as_of=as_of,
        freshness=inputs.freshness,
        hotspot_location=inputs.hotspot_location,
        ranked=ranked,
        top_n=settings.top_n,
        is_dry_run=is_dry_run,
        night=night,
        note=note,
        weights=settings.weights,
        anomalies=kpi_section.section(kpi_section.read_rows(lake_root, as_of), kpi_section.top_n(config)),
    )
    # the accounts turning Critical on the date (a catch-up's email: on any date it covers), once per episode
    episode = config.pipeline.accounts.health.episode
    run.critical_accounts = account_alerts.read_critical(lake_root, as_of, covers_from, episode.lookback_days)
    if not night.is_complete:
        run.warnings.append(night.warning())
    if not override_to:
        run.warnings += unknown_districts(settings, [s.district for s in inputs.signals])
    account_districts = [a.district for a in run.critical_accounts]
    plans = plan_messages(
        ranked, inputs.district_rows, settings, as_of.isoformat(), override_to, inputs.signals, account_districts
    )
    shown = list(dict.fromkeys((t.signal.state, t.signal.district, t.signal.taluka) for p in plans for t in p.talukas))
    run.daily_leads = gold.read_daily_leads(lake_root, as_of, shown, settings.trend_days)
    with outbox.run_lock(ctx.outbox_dir), hold(lake_root, f"alert:{as_of.isoformat()}", timedelta(minutes=30)):
        already_sent = ledger.sent_keys(ctx.ledger_location, as_of)
        for plan in plans:
            was_sent = (plan.alert_type, plan.recipient) in already_sent
            if was_sent and not is_forced and not is_dry_run:
                outcome = RecipientOutcome(
                    plan.alert_type, plan.recipient, plan.subject, "skipped", "already in the ledger"
                )
            else:
                outcome = _process(ctx, run, plan, was_sent)
            run.outcomes.append(outcome)
    return run


def _charts(run: AlertRun, plan: MessagePlan, settings: AlertSettings) -> tuple[InlineImage, ...]:
    """The 30-day lead trend of each shown taluka, as inline PNG charts."""
    trends = [
        trend_for(
            t.signal.taluka,
            run.as_of,
            run.daily_leads.get((t.signal.state, t.signal.district, t.signal.taluka), {}),
            settings.trend_days,
        )
        for t in plan.talukas
    ]
    colours = [status_of(t.signal.status).accent for t in plan.talukas]
    return inline_images(trends, settings.window_days, colours, run.as_of)


def _process(ctx: _Context, run: AlertRun, plan: MessagePlan, was_sent: bool) -> RecipientOutcome:
    """Render one recipient's message, write it to the outbox, then (unless dry run) send and record it."""
    paragraph, note = _interpretation(run, plan, ctx.llm, ctx.settings, ctx.http_client)
    view = email_view(
        plan,
        ctx.settings,
        run.freshness,
        paragraph,
        note,
        data_warning=run.night.warning(),
        run_note=run.note,
        charts=_charts(run, plan, ctx.settings),
        accounts=account_alerts.for_plan(run.critical_accounts, plan),
        anomalies=run.anomalies if plan.alert_type == LEADERSHIP else None,
    )
    html = render_html(view)
    alert_key = f"{run.as_of.isoformat()}/{plan.alert_type}/{plan.recipient}"
    message = build_message(view, html, render_text(view), ctx.sender, plan.recipient, alert_key)
    files = outbox.write_message(
        ctx.outbox_dir, run.as_of, plan.alert_type, plan.recipient, message, browser_html(view, html)
    )
    outcome = RecipientOutcome(plan.alert_type, plan.recipient, plan.subject, "dry-run", files=files)
    if ctx.smtp is None:
        detail = "already in the ledger: a real run would skip it" if was_sent else ""
        return replace(outcome, detail=detail)
    result = deliver(message, plan.recipient, ctx.smtp, ctx.settings.retry, ctx.sleep)
    if not result.is_sent:
        return replace(outcome, status="failed", detail=result.error, attempts=result.attempts)
    files = outbox.mark_sent(files)
    entry = ledger.LedgerEntry(
        as_of_date=run.as_of,
        alert_type=plan.alert_type,
        recipient=plan.recipient,
        subject=plan.subject,
        message_id=str(message["Message-ID"]),
        run_id=run.run_id,
        sent_at=datetime.now(UTC),
    )
    try:
        ledger.record_sent(ctx.ledger_location, entry)
        failpoint("ledger")
    except Exception as exc:  # the mail went out: say so, and that a rerun would send it again
        detail = f"sent, but the ledger write failed ({exc}); a rerun would send it again"
        return replace(outcome, status="unrecorded", detail=detail, files=files, attempts=result.attempts)
    detail = "resent (--force)" if was_sent else ""
    return replace(outcome, status="sent", detail=detail, files=files, attempts=result.attempts)
