"""The operator's morning report: when a night failed or is incomplete, the data team (``alert.recipients.
operators``) gets what failed, which sources are missing, which files were rejected, and the command to rerun,
through the same delivery, outbox and ledger as the leadership alert (alert type ``operator_report``), so a
rerun of the same night never sends it twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import jinja2

from alert_agent import ledger, outbox
from alert_agent.run import DRY_RUN_SENDER, RecipientOutcome
from alert_agent.settings import alert_settings, parse_sender, smtp_settings
from alert_agent.smtp import deliver
from ground.catalogue import OPS_TABLES
from ground.config import Config
from ground.lake import read_table

ALERT_TYPE = "operator_report"


@dataclass(frozen=True)
class OperatorReport:
    as_of: date  # the latest date of the night
    verdict: str  # failed | incomplete
    run_id: str
    dates: tuple[date, ...]
    failed_steps: tuple[tuple[str, str], ...]  # (step, message)
    missing: tuple[tuple[date, str], ...]  # (date, what is missing)
    rejected_files: tuple[tuple[str, str, str], ...] = ()  # (source, file, reason), outstanding
    rerun: str = ""
    warnings: tuple[tuple[str, str], ...] = ()  # (step, message) of the steps that warned

    @property
    def subject(self) -> str:
        word = "FAILED" if self.verdict == "failed" else "INCOMPLETE"
        return f"SCV night {word} | {self.as_of.isoformat()} | alerts held"


def outstanding_rejections(lake_root: str) -> tuple[tuple[str, str, str], ...]:
    rows = read_table(OPS_TABLES["rejected_files"].location(lake_root), where="status = 'outstanding'")
    if rows is None:
        return ()
    return tuple((r["source"], r["file_name"], r["reason"]) for r in rows.to_pylist())


def _render(report: OperatorReport, html: bool) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("alert_agent", "templates"),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template("operator.html" if html else "operator.txt").render(r=report)


def send_operator_report(
    config: Config,
    report: OperatorReport,
    is_dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[RecipientOutcome]:
    """Send the report to every operator not already sent it for the date (dry run: the outbox only)."""
    import os
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime, make_msgid

    env = os.environ if env is None else env
    settings = alert_settings(config)
    smtp = None if is_dry_run else smtp_settings(settings.smtp_timeout_s, env)
    sender = smtp.sender if smtp else parse_sender(env.get("SCV_SMTP_FROM") or DRY_RUN_SENDER)[0]
    ledger_location = OPS_TABLES["alert_ledger"].location(config.paths.lake_root)
    already = ledger.sent_keys(ledger_location, report.as_of)
    text, html = _render(report, html=False), _render(report, html=True)
    outcomes = []
    for recipient in settings.operators:
        if (ALERT_TYPE, recipient) in already and not is_dry_run:
            outcomes.append(RecipientOutcome(ALERT_TYPE, recipient, report.subject, "skipped", "already in the ledger"))
            continue
        message = EmailMessage(policy=SMTP)
        message["Subject"], message["From"], message["To"] = report.subject, sender, recipient
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid("scv-operator", domain=sender.rsplit("@", 1)[-1].rstrip(">"))
        message["X-SCV-Alert-Key"] = f"{report.as_of.isoformat()}/{ALERT_TYPE}/{recipient}"
        message.set_content(text, charset="utf-8", cte="quoted-printable")
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        files = outbox.write_message(config.paths.outbox_dir, report.as_of, ALERT_TYPE, recipient, message, html)
        outcome = RecipientOutcome(ALERT_TYPE, recipient, report.subject, "dry-run", files=files)
        if smtp is None:
            outcomes.append(outcome)
            continue
        result = deliver(message, recipient, smtp, settings.retry, sleep)
        if not result.is_sent:
            outcomes.append(replace(outcome, status="failed", detail=result.error, attempts=result.attempts))
            continue
        entry = ledger.LedgerEntry(
            as_of_date=report.as_of,
            alert_type=ALERT_TYPE,
            recipient=recipient,
            subject=report.subject,
            message_id=str(message["Message-ID"]),
            run_id=report.run_id or uuid.uuid4().hex[:12],
            sent_at=datetime.now(UTC),
        )
        ledger.record_sent(ledger_location, entry)
        outcomes.append(replace(outcome, status="sent", files=outbox.mark_sent(files), attempts=result.attempts))
    return outcomes
