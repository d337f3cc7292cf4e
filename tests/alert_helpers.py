"""Shared builders for the alert tests: a realistic set of talukas, a Config under tmp_path, a self-signed
certificate, a recording aiosmtpd handler and a fake OpenAI-compatible HTTP server. Rows, tables and ports
come from ``testkit``."""

from __future__ import annotations

import argparse
import ipaddress
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ground.catalogue import OPS_TABLES
from ground.config import Config
from testkit import base_config, write_gold, write_night
from testkit.rows import HOSTILE, district_rows, hotspot_row


def realistic_rows() -> list[dict[str, Any]]:
    """Six talukas in three districts: two HOTSPOT (one with a hostile name), two EMERGING, STABLE, NOISE."""
    return [
        hotspot_row("Haveli", "Pune", "HOTSPOT", dealer_count=4, leads_cur=64, leads_prev=40,
                    hi_leads_cur=30, hi_leads_prev=15, retail_cur=0, retail_prev=3,
                    total_stock=9, saleable_stock=2, has_supply_gap=True),
        hotspot_row("Mulshi", "Pune", "EMERGING", dealer_count=2, leads_cur=22, leads_prev=15,
                    hi_leads_cur=9, hi_leads_prev=8, retail_cur=3, total_stock=34, saleable_stock=30),
        hotspot_row(HOSTILE, "Satara", "HOTSPOT", leads_cur=35, leads_prev=20, hi_leads_cur=14,
                    hi_leads_prev=7, retail_cur=2, retail_prev=1, total_stock=8, saleable_stock=6),
        hotspot_row("Sinnar", "Nashik", "EMERGING", leads_cur=41, leads_prev=28, hi_leads_cur=20,
                    hi_leads_prev=12, retail_cur=0, total_stock=0, saleable_stock=0, has_supply_gap=True),
        hotspot_row("Niphad", "Nashik", "STABLE", leads_cur=30, leads_prev=29),
        hotspot_row("Wai", "Satara", "NOISE", dealer_count=1, leads_cur=3, leads_prev=1),
    ]  # fmt: skip


def write_realistic_gold(lake_root: str, rows: list[dict[str, Any]] | None = None) -> None:
    """The hotspot and district tables from ``rows``, and a complete night for each of their dates."""
    rows = realistic_rows() if rows is None else rows
    write_gold(lake_root, "macro_market_hotspot_taluka_5d", rows)
    write_gold(lake_root, "district_top3_talukas", district_rows(rows))
    for day in sorted({r["as_of_date"] for r in rows}):
        write_night(lake_root, day)


def make_config(tmp_path: Path, monkeypatch: Any, **alert: Any) -> Config:
    """The committed configuration with every path under tmp_path and ``alert`` keys overridden."""
    for var, sub in (("SCV_LAKE_ROOT", "lake"), ("SCV_LANDING_DIR", "landing"),
                     ("SCV_OUTBOX_DIR", "outbox"), ("SCV_TRUTH_DIR", "truth")):  # fmt: skip
        monkeypatch.setenv(var, str(tmp_path / sub))
    config = base_config()
    return config.with_overrides(alert=alert) if alert else config


def ledger_rows(config: Config) -> list[dict[str, Any]]:
    from alert_agent.ledger import read_ledger

    return read_ledger(OPS_TABLES["alert_ledger"].location(config.paths.lake_root))


def run_cli(config: Config, *argv: str) -> int:
    """``scv alert <argv>`` through alert_agent.cli, as scv.cli would call it."""
    from alert_agent import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(list(argv)), config)


def clear_delivery_env(monkeypatch: Any) -> None:
    """The CLI reads SCV_SMTP_* and SCV_LLM_* from the environment: tests start without the developer's."""
    for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "FROM", "CA_FILE"):
        monkeypatch.delenv(f"SCV_SMTP_{name}", raising=False)
    for name in ("BASE_URL", "MODEL", "API_KEY"):
        monkeypatch.delenv(f"SCV_LLM_{name}", raising=False)


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost / 127.0.0.1 and its key (PEM), valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class RecordingHandler:
    """aiosmtpd handler that keeps every accepted envelope; the first ``fail_first`` DATA get ``fail_reply``."""

    def __init__(self, fail_first: int = 0, fail_reply: str = "451 4.3.0 Try again later") -> None:
        self.fail_first, self.fail_reply = fail_first, fail_reply
        self.data_calls = 0
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_calls += 1
        if self.data_calls <= self.fail_first:
            return self.fail_reply
        self.envelopes.append(envelope)
        return "250 2.0.0 OK"


class FakeOpenAI:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 answering ``content`` (after ``delay_s``)."""

    def __init__(self, content: str = "", status: int = 200, delay_s: float = 0.0) -> None:
        self.content, self.status, self.delay_s = content, status, delay_s
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append({"path": self.path, "headers": headers, "json": json.loads(body)})
                time.sleep(fake.delay_s)
                payload = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "fake-model",
                    "choices": [
                        {"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": fake.content}}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                } if fake.status == 200 else {"error": {"message": "boom", "type": "server_error"}}  # fmt: skip
                data = json.dumps(payload).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
