"""Render the view model with Jinja2 (HTML autoescaped, plain text) and assemble the MIME message."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from alert_agent.view import EmailView

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment(is_html: bool) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=is_html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class HasSubject(Protocol):
    @property
    def subject(self) -> str: ...


def render_template(name: str, view: object, is_html: bool) -> str:
    """Another email's template under templates/ (HTML autoescaped), with its view model as ``v``."""
    return _environment(is_html).get_template(name).render(v=view)


def render_html(view: EmailView) -> str:
    """The HTML body: inline styles, table layout, every value escaped."""
    return _environment(True).get_template("alert.html").render(v=view)


def render_text(view: EmailView) -> str:
    """The plain-text alternative."""
    return _environment(False).get_template("alert.txt").render(v=view)


def build_message(
    view: HasSubject,
    html: str,
    text: str,
    sender: str,
    recipient: str,
    alert_key: str,
) -> EmailMessage:
    """A multipart/alternative message (text first, HTML preferred) with CRLF line endings for SMTP."""
    from datetime import UTC, datetime

    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = view.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rsplit("@", 1)[-1].rstrip(">") or "scv.local"
    message["Message-ID"] = make_msgid("scv-alert", domain=domain)
    message["X-SCV-Alert-Key"] = alert_key
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
