"""Delivery end to end through a real in-process SMTP server (aiosmtpd): STARTTLS and implicit TLS with login,
a server that fails then recovers, permanent failures that keep the .eml, the ledger that makes a rerun send
nothing, ``--force``, and the all-clear."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from alert_helpers import (
    RecordingHandler,
    clear_delivery_env,
    ledger_rows,
    make_config,
    run_cli,
    self_signed_cert,
    write_realistic_gold,
)

from alert_agent import ledger
from alert_agent.run import run_alert
from ground.config import Config
from testkit import free_port
from testkit.rows import AS_OF, hotspot_row

USER, PASSWORD = "alerts", "s3cret-pw"
ALERT = {
    "recipients": {
        "leadership": ["ceo@example.com", "cro@example.com"],
        "district_managers": [{"email": "pune.manager@example.com", "districts": ["Pune"]}],
    },
    "smtp": {"timeout_s": 5, "retries": 2, "backoff_s": 0.5, "backoff_factor": 3},
}
StartServer = Callable[..., tuple[RecordingHandler, dict[str, str]]]


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(autouse=True)
def _no_smtp_or_llm_from_the_developer(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_delivery_env(monkeypatch)


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start aiosmtpd on a free port (``port=0`` does not work in 1.4.6); returns the handler and SCV_SMTP_*."""
    controllers: list[Controller] = []

    def start(handler: RecordingHandler | None = None, mode: str = "none", auth: bool = False) -> Any:
        handler = handler or RecordingHandler()
        port, kwargs, env = free_port(), {}, {}
        if mode != "none":
            cert, key = self_signed_cert(tmp_path)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            kwargs = (
                {"tls_context": context, "require_starttls": True}
                if mode == "starttls"
                else {"ssl_context": context, "auth_require_tls": False}  # implicit TLS: the session is TLS
            )
            env["SCV_SMTP_CA_FILE"] = str(cert)
        if auth:
            kwargs |= {"auth_required": True, "authenticator": authenticator}
            env |= {"SCV_SMTP_USER": USER, "SCV_SMTP_PASSWORD": PASSWORD}
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        env |= {"SCV_SMTP_HOST": "127.0.0.1", "SCV_SMTP_PORT": str(port), "SCV_SMTP_SECURITY": mode,
                "SCV_SMTP_FROM": "SCV Alerts <alerts@example.com>"}  # fmt: skip
        return handler, env

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    cfg = make_config(tmp_path, monkeypatch, **ALERT)
    write_realistic_gold(cfg.paths.lake_root)
    return cfg


def test_starttls_login_delivers_each_recipient_and_records_the_ledger(config, smtp_server) -> None:
    handler, env = smtp_server(mode="starttls", auth=True)
    run = run_alert(config, env=env, sleep=lambda s: None)
    assert [(o.status, o.recipient, o.attempts) for o in run.outcomes] == [
        ("sent", "ceo@example.com", 1),
        ("sent", "cro@example.com", 1),
        ("sent", "pune.manager@example.com", 1),
    ]
    assert run.exit_code == 0
    assert [(e.mail_from, e.rcpt_tos) for e in handler.envelopes] == [
        ("alerts@example.com", ["ceo@example.com"]),
        ("alerts@example.com", ["cro@example.com"]),
        ("alerts@example.com", ["pune.manager@example.com"]),
    ]
    first = message_from_bytes(handler.envelopes[0].content, policy=policy.default)
    assert first["Subject"] == "Macro Market Hotspot Alert | Top 3 Talukas | 2026-11-21 | First: Haveli (HOTSPOT)"
    assert first["From"] == "SCV Alerts <alerts@example.com>"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Nagar" in first.get_body(("html",)).get_content()
    manager = message_from_bytes(handler.envelopes[2].content, policy=policy.default)
    assert manager["Subject"].endswith("| 2026-11-21 | First: Haveli (HOTSPOT) | Pune")
    rows = sorted((r["alert_type"], r["recipient"], r["send_count"], r["as_of_date"]) for r in ledger_rows(config))
    assert rows == [
        ("hotspot_district", "pune.manager@example.com", 1, AS_OF),
        ("hotspot_top", "ceo@example.com", 1, AS_OF),
        ("hotspot_top", "cro@example.com", 1, AS_OF),
    ]
    day = Path(config.paths.outbox_dir) / "2026-11-21"
    assert sorted(p.name for p in day.glob("*.eml")) == []  # nothing left unsent
    assert len(list((day / "sent").glob("*.eml"))) == 3 and len(list((day / "sent").glob("*.html"))) == 3


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_login(config, smtp_server) -> None:
    handler, env = smtp_server(mode="ssl", auth=True)
    run = run_alert(config, env=env, override_to=["me@example.com"])
    assert [(o.status, o.recipient) for o in run.outcomes] == [("sent", "me@example.com")]
    assert len(handler.envelopes) == 1


def test_rerun_sends_nothing_and_force_resends(config, smtp_server) -> None:
    handler, env = smtp_server()
    assert {o.status for o in run_alert(config, env=env).outcomes} == {"sent"}
    rerun = run_alert(config, env=env)
    assert [o.status for o in rerun.outcomes] == ["skipped"] * 3 and rerun.exit_code == 0
    assert len(handler.envelopes) == 3
    forced = run_alert(config, env=env, is_forced=True, override_to=["ceo@example.com"])
    assert [(o.status, o.detail) for o in forced.outcomes] == [("sent", "resent (--force)")]
    assert len(handler.envelopes) == 4
    counts = {r["recipient"]: r["send_count"] for r in ledger_rows(config)}
    assert counts == {"ceo@example.com": 2, "cro@example.com": 1, "pune.manager@example.com": 1}


def test_server_that_fails_then_recovers_is_retried_with_backoff(config, smtp_server) -> None:
    handler, env = smtp_server(RecordingHandler(fail_first=2))
    waits: list[float] = []
    run = run_alert(config, env=env, override_to=["ceo@example.com"], sleep=waits.append)
    assert [(o.status, o.attempts) for o in run.outcomes] == [("sent", 3)]
    assert waits == [0.5, 1.5] and handler.data_calls == 3 and len(handler.envelopes) == 1
    assert len(ledger_rows(config)) == 1


def test_transient_failures_that_never_end_give_up_and_keep_the_eml(config, smtp_server) -> None:
    handler, env = smtp_server(RecordingHandler(fail_first=99))
    waits: list[float] = []
    run = run_alert(config, env=env, override_to=["ceo@example.com"], sleep=waits.append)
    (outcome,) = run.outcomes
    assert (outcome.status, outcome.attempts, run.exit_code) == ("failed", 3, 1)
    assert outcome.detail.startswith("gave up after 3 attempts: SMTPDataError from 127.0.0.1:")
    assert "451 4.3.0 Try again later" in outcome.detail and waits == [0.5, 1.5]
    assert outcome.files is not None and outcome.files.eml.exists() and outcome.files.eml.parent.name == "2026-11-21"
    assert ledger_rows(config) == []


def test_permanent_rejection_exits_non_zero_naming_the_cause_then_a_rerun_sends(
    config, smtp_server, monkeypatch, capsys
) -> None:
    handler, env = smtp_server(RecordingHandler(fail_first=1, fail_reply="554 5.7.1 Message rejected"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert run_cli(config, "--to", "ceo@example.com") == 1
    out, err = capsys.readouterr()
    assert "failed     hotspot_top      ceo@example.com after 1 attempt (permanent: SMTPDataError" in out
    assert "554 5.7.1 Message rejected" in err
    kept = Path(config.paths.outbox_dir) / "2026-11-21" / "hotspot_top--ceo_at_example.com.eml"
    assert kept.exists() and b"Macro Market Hotspot Alert" in kept.read_bytes()
    assert run_cli(config, "--to", "ceo@example.com") == 0  # nothing was recorded, so it is sent now
    assert "sent       hotspot_top      ceo@example.com after 1 attempt" in capsys.readouterr().out
    assert not kept.exists() and len(handler.envelopes) == 1


def test_wrong_password_and_untrusted_certificate_are_permanent(config, smtp_server) -> None:
    _, env = smtp_server(mode="starttls", auth=True)
    bad_password = run_alert(config, env=env | {"SCV_SMTP_PASSWORD": "nope"}, override_to=["a@example.com"])
    (outcome,) = bad_password.outcomes
    assert outcome.attempts == 1 and "permanent: SMTPAuthenticationError" in outcome.detail and "535" in outcome.detail
    untrusted = {k: v for k, v in env.items() if k != "SCV_SMTP_CA_FILE"}
    (outcome,) = run_alert(config, env=untrusted, override_to=["a@example.com"]).outcomes
    assert outcome.attempts == 1 and "CERTIFICATE_VERIFY_FAILED" in outcome.detail
    assert "nope" not in outcome.detail and PASSWORD not in outcome.detail


def test_a_failed_ledger_write_is_reported_not_swallowed(config, smtp_server, monkeypatch) -> None:
    _, env = smtp_server()

    def broken(location: str, entry: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ledger, "record_sent", broken)
    run = run_alert(config, env=env, override_to=["ceo@example.com"])
    (outcome,) = run.outcomes
    assert outcome.status == "unrecorded" and run.exit_code == 1
    assert outcome.detail == "sent, but the ledger write failed (disk full); a rerun would send it again"


def test_nothing_to_report_sends_an_all_clear_or_nothing(tmp_path, monkeypatch, smtp_server) -> None:
    cfg = make_config(tmp_path, monkeypatch, **ALERT)
    write_realistic_gold(cfg.paths.lake_root, [hotspot_row("Calm", "Pune", "STABLE")])
    handler, env = smtp_server()
    assert [o.subject for o in run_alert(cfg, env=env, override_to=["ceo@example.com"]).outcomes] == [
        "Macro Market Hotspot Alert | All clear | 2026-11-21"
    ]
    skip = cfg.with_overrides(alert={"when_empty": "skip"})
    run = run_alert(skip, env=env, as_of=AS_OF, is_forced=True)
    assert run.outcomes == [] and run.exit_code == 0 and len(handler.envelopes) == 1
