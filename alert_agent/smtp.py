"""SMTP delivery with STARTTLS or implicit TLS, login, and retries with backoff on transient failures.

``deliver`` never swallows an error: it returns ``sent`` or ``failed`` with the cause and the attempt count.
Transient (retried): 4xx replies, disconnects, timeouts, refused or reset connections. Permanent (not
retried): 5xx replies, authentication failures, TLS certificate or handshake errors, no STARTTLS offered.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from alert_agent.settings import RetryPolicy, SmtpSettings


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # sent | failed
    attempts: int
    error: str = ""

    @property
    def is_sent(self) -> bool:
        return self.status == "sent"


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Certificate and host name verification always on; ``SCV_SMTP_CA_FILE`` adds a trusted CA bundle."""
    return ssl.create_default_context(cafile=settings.ca_file)


def send_once(message: EmailMessage, recipient: str, settings: SmtpSettings) -> None:
    """One connection, one message, one recipient; raises on any failure."""
    context = tls_context(settings)
    client: smtplib.SMTP
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    try:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.user and settings.password:
            client.login(settings.user, settings.password)
        refused = client.send_message(message, from_addr=settings.sender_address, to_addrs=[recipient])
        if refused:  # with a single recipient smtplib raises instead; kept for safety
            raise smtplib.SMTPRecipientsRefused(refused)
    finally:
        # Once DATA was accepted the message is sent: a failing QUIT must not turn that into a retry.
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def is_transient(exc: BaseException) -> bool:
    """Whether trying again later may succeed."""
    if isinstance(exc, ssl.SSLError | smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError)  # timeouts, refused or reset connections, DNS failures


def describe(exc: BaseException, settings: SmtpSettings) -> str:
    """The cause in one line, naming the server (never the password)."""
    where = f"{settings.host}:{settings.port} ({settings.security})"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{type(exc).__name__} from {where}: {exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{rcpt}: {code} {msg.decode('utf-8', 'replace')}" for rcpt, (code, msg) in exc.recipients.items()
        )
        return f"recipient refused by {where}: {refused}"
    return f"{type(exc).__name__} talking to {where}: {exc}"


def deliver(
    message: EmailMessage,
    recipient: str,
    settings: SmtpSettings,
    retry: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Send with retries; the result says sent or failed, with the last cause and the number of attempts."""
    delays = retry.delays()
    attempt = 0
    while True:
        attempt += 1
        try:
            send_once(message, recipient, settings)
            return DeliveryResult("sent", attempt)
        except (smtplib.SMTPException, OSError) as exc:
            cause = describe(exc, settings)
            if not is_transient(exc):
                return DeliveryResult("failed", attempt, f"permanent: {cause}")
            if attempt > len(delays):
                return DeliveryResult("failed", attempt, f"gave up after {attempt} attempts: {cause}")
            sleep(delays[attempt - 1])
