"""One run of the weekly "Win Rate Drivers | Week of <date>" email (``scv alert --kind win-rate``).

The same machinery as the hotspot alert: the night behind the date must be complete (or ``allow_partial``, and
then the email says so), every message goes to the outbox before it is sent, the ledger (alert_type
``win_rate_weekly``) makes a rerun send nothing twice, delivery retries with backoff, and the optional LLM
paragraph sees aggregates only, is validated and falls back to the deterministic text.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from alert_agent import ledger, narrative, outbox, win_rate_gold
from alert_agent.night import NightVerdict, night_verdict
from alert_agent.render import build_message, inline_css, render_template
from alert_agent.run import DRY_RUN_SENDER, RecipientOutcome
from alert_agent.settings import alert_settings, llm_settings, parse_sender, smtp_settings
from alert_agent.smtp import deliver
from alert_agent.win_rate_view import ALERT_TYPE, WinRateEmail, build_email, facts
from ground.catalogue import OPS_TABLES
from ground.config import Config, ConfigError
from ground.failpoints import failpoint
from ground.lease import hold

SYSTEM_PROMPT = (
    "You are a sales operations analyst. Write one short paragraph (at most 3 sentences, plain text, no lists, "
    "no markdown, no links) telling leadership which drivers of the win rate below matter most this week and "
    "what to look at first. Use only numbers that appear in the data, exactly as written there; do not compute "
    "new figures."
)


@dataclass(frozen=True)
class WinRateSettings:
    top_n: int = 8
    max_ongoing: int = 5
    when_empty: str = "send"


def win_rate_settings(config: Config) -> WinRateSettings:
    """``alert.win_rate`` (conf/base/alert.yaml), validated."""
    raw = config.section("alert").get("win_rate") or {}
    unknown = sorted(set(raw) - {"top_n", "max_ongoing", "when_empty"})
    if unknown:
        raise ConfigError(f"alert.win_rate.{unknown[0]}: unknown key (a typo?)")
    values = {k: raw.get(k, getattr(WinRateSettings, k)) for k in ("top_n", "max_ongoing", "when_empty")}
    for key in ("top_n", "max_ongoing"):
        if isinstance(values[key], bool) or not isinstance(values[key], int) or values[key] < 0:
            raise ConfigError(f"alert.win_rate.{key} must be a whole number, got {values[key]!r}")
    if values["when_empty"] not in ("send", "skip"):
        raise ConfigError(f"alert.win_rate.when_empty must be send or skip, got {values['when_empty']!r}")
    return WinRateSettings(**values)


@dataclass
class WinRateRun:
    run_id: str
    as_of: date
    night: NightVerdict
    email: WinRateEmail
    is_dry_run: bool
    narrative: narrative.NarrativeResult
    location: str
    outcomes: list[RecipientOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(o.status in ("failed", "unrecorded") for o in self.outcomes) else 0


def render(email: WinRateEmail) -> tuple[str, str]:
    """(HTML, text) of the email: Jinja2, HTML autoescaped, its CSS inlined as the daily email's is."""
    html = inline_css(render_template("win_rate.html", email, is_html=True))
    return html, render_template("win_rate.txt", email, is_html=False)


def run_win_rate_alert(
    config: Config,
    as_of: date | None = None,
    is_dry_run: bool = False,
    is_forced: bool = False,
    override_to: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    http_client: Any = None,
    allow_partial: bool = False,
) -> WinRateRun:
    """Build, write to the outbox, send and record the weekly email; raises ConfigError, GoldInputError,
    NightNotComplete or outbox.RunLocked before anything is sent."""
    env = os.environ if env is None else env
    settings = alert_settings(config)
    weekly = win_rate_settings(config)
    lake_root = config.paths.lake_root
    as_of = as_of or win_rate_gold.latest_as_of_date(lake_root)
    night = night_verdict(lake_root, as_of)
    night.require_sendable(is_dry_run, allow_partial)
    inputs = win_rate_gold.read_inputs(lake_root, as_of)
    smtp = None if is_dry_run else smtp_settings(settings.smtp_timeout_s, env)
    email = build_email(
        as_of, inputs.alerts, inputs.overall, inputs.decomposition, inputs.coverage, inputs.freshness,
        settings.app_url, weekly.top_n, weekly.max_ongoing, night.warning(),
        config.pipeline.win_rate.alerts.lookback_days,
    )  # fmt: skip
    llm = llm_settings(settings, env)
    story = narrative.ask(facts(email, inputs.alerts), llm, SYSTEM_PROMPT, http_client) if not email.is_all_clear else (
        narrative.NarrativeResult("disabled", detail="nothing to interpret")
    )  # fmt: skip
    if story.status == "ok" and story.text and llm is not None:
        note = f"Written by the language model {llm.model} from the figures below and checked against them."
        email = replace(email, interpretation=story.text, interpretation_note=note)
    run = WinRateRun(uuid.uuid4().hex[:12], as_of, night, email, is_dry_run, story, inputs.location)
    if not night.is_complete:
        run.warnings.append(night.warning())
    recipients = list(dict.fromkeys(override_to or settings.leadership))
    if email.is_all_clear and weekly.when_empty == "skip":
        recipients = []
    sender = smtp.sender if smtp else parse_sender(env.get("SCV_SMTP_FROM") or DRY_RUN_SENDER)[0]
    ledger_location = OPS_TABLES["alert_ledger"].location(lake_root)
    html, text = render(email)
    with outbox.run_lock(config.paths.outbox_dir), hold(lake_root, f"alert:win_rate:{as_of}", timedelta(minutes=30)):
        already_sent = ledger.sent_keys(ledger_location, as_of)
        for recipient in recipients:
            was_sent = (ALERT_TYPE, recipient) in already_sent
            if was_sent and not is_forced and not is_dry_run:
                run.outcomes.append(
                    RecipientOutcome(ALERT_TYPE, recipient, email.subject, "skipped", "already in the ledger")
                )
                continue
            key = f"{as_of.isoformat()}/{ALERT_TYPE}/{recipient}"
            message = build_message(email, html, text, sender, recipient, key)
            files = outbox.write_message(config.paths.outbox_dir, as_of, ALERT_TYPE, recipient, message, html)
            outcome = RecipientOutcome(ALERT_TYPE, recipient, email.subject, "dry-run", files=files)
            if smtp is None:
                detail = "already in the ledger: a real run would skip it" if was_sent else ""
                run.outcomes.append(replace(outcome, detail=detail))
                continue
            sent = deliver(message, recipient, smtp, settings.retry, sleep)
            if not sent.is_sent:
                run.outcomes.append(replace(outcome, status="failed", detail=sent.error, attempts=sent.attempts))
                continue
            files = outbox.mark_sent(files)
            entry = ledger.LedgerEntry(
                as_of, ALERT_TYPE, recipient, email.subject, str(message["Message-ID"]), run.run_id, datetime.now(UTC)
            )
            try:
                ledger.record_sent(ledger_location, entry)
                failpoint("ledger")
            except Exception as exc:  # the mail went out: say so, and that a rerun would send it again
                detail = f"sent, but the ledger write failed ({exc}); a rerun would send it again"
                run.outcomes.append(replace(outcome, status="unrecorded", detail=detail, files=files))
                continue
            detail = "resent (--force)" if was_sent else ""
            run.outcomes.append(replace(outcome, status="sent", detail=detail, files=files, attempts=sent.attempts))
    return run


def print_report(run: WinRateRun, out: Any) -> None:
    """What the run did: the week, the drivers, the narrative, one line per recipient."""
    mode = " (dry run: nothing sent)" if run.is_dry_run else ""
    print(f"scv alert --kind win-rate: week of {run.email.week_start} to {run.as_of.isoformat()}{mode}", file=out)
    print(f"  {run.email.freshness}", file=out)
    print(f"  source: {run.location}", file=out)
    for line in run.email.headline:
        print(f"  {line}", file=out)
    print(f"New this week ({len(run.email.new)}):", file=out)
    for d in run.email.new:
        print(f"  - {d.sentence} [{d.impact}]", file=out)
    print(f"Still active from earlier weeks ({len(run.email.ongoing)}):", file=out)
    for d in run.email.ongoing:
        print(f"  - since {d.since}: {d.sentence}", file=out)
    fallback = "" if run.narrative.status == "ok" else "; the deterministic text is used"
    detail = f": {run.narrative.detail}" if run.narrative.detail else ""
    print(f"Narrative: {run.narrative.status}{detail}{fallback}", file=out)
    for warning in run.warnings:
        print(f"Warning: {warning}", file=out)
    print(f"Recipients ({len(run.outcomes)}):", file=out)
    for o in run.outcomes:
        where = f" -> {Path(o.files.eml)}" if o.files else ""
        tries = f" after {o.attempts} attempt{'s' if o.attempts != 1 else ''}" if o.attempts else ""
        extra = f" ({o.detail})" if o.detail else ""
        print(f"  {o.status:<10} {o.alert_type:<16} {o.recipient}{tries}{extra}{where}", file=out)
    if not run.outcomes:
        print("  none (nothing to report and alert.win_rate.when_empty is skip, or no recipient)", file=out)
