"""Render the view model with Jinja2 (HTML autoescaped, plain text), inline its CSS, and assemble the MIME message.

The HTML template is written with a ``<style>`` block and classes; ``css_inline`` (a maintained CSS inliner,
pinned in pyproject) moves every rule into ``style`` attributes and drops the block, and the classes are
removed after it, so the message carries inline styles only (Gmail strips ``<style>``, Outlook renders with
Word). The trend charts travel inside the message as ``multipart/related`` parts referred to by Content-ID.
"""

from __future__ import annotations

import base64
import email.policy
import re
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


_TAG = re.compile(r"<[^<>]*>")
_CLASS = re.compile(r' class="[^"]*"')


def inline_css(html: str) -> str:
    """Every ``<style>`` rule moved into ``style`` attributes, the block and the class attributes removed.

    The class attributes are removed inside tags only: the serialised text escapes ``<`` and ``>``, so a tag
    pattern never meets text from data, and attribute values escape their quotes."""
    import css_inline

    inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
    inlined = inliner.inline(html)
    return _TAG.sub(lambda tag: _CLASS.sub("", tag.group()), inlined)


def render_html(view: EmailView) -> str:
    """The HTML body: inline styles only, table layout, every value escaped; charts as ``cid:`` images."""
    return inline_css(_environment(True).get_template("alert.html").render(v=view))


def browser_html(view: EmailView, html: str) -> str:
    """The body to open in a browser (the outbox's ``.html``): ``cid:`` charts replaced by ``data:`` URIs."""
    for image in view.images:
        data = "data:image/png;base64," + base64.b64encode(image.png).decode("ascii")
        html = html.replace(f'src="cid:{image.cid}"', f'src="{data}"')
    return html


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
    images = getattr(view, "images", ())  # the hotspot email's charts; the win-rate email has none
    if images:  # multipart/alternative [text, multipart/related [html, the charts]]
        html_part = message.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        for image in images:
            html_part.add_related(
                image.png, maintype="image", subtype="png", cid=f"<{image.cid}>", filename=f"{image.cid}.png"
            )
    return message
