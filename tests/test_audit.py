"""``make audit`` (operations/audit.py): the real pip-audit against an advisory source, and an honest skip without one.

No public advisory source is reachable from this machine, so the source here is a local OSV-compatible
server (pip-audit's ``--osv-url``) that lists one advisory for the installed gradio.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ground.config import PROJECT_ROOT
from operations.audit import runtime_requirements
from testkit import free_port

GRADIO = next(r for r in runtime_requirements() if r.startswith("gradio=="))
ADVISORY = {
    "id": "GHSA-test-0001",
    "summary": "a planted advisory for the installed gradio",
    "affected": [
        {
            "package": {"name": "gradio", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


def osv_server(advisories: dict[str, list[dict]]) -> tuple[ThreadingHTTPServer, list[str]]:
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name = query["package"]["name"]
            asked.append(f"{name}=={query['version']}")
            body = json.dumps({"vulns": advisories[name]} if name in advisories else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, asked


@pytest.fixture
def advisories() -> Iterator[tuple[str, list[str], dict[str, list[dict]]]]:
    listed: dict[str, list[dict]] = {}
    server, asked = osv_server(listed)
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query", asked, listed
    server.shutdown()


def audit(osv_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SCV_AUDIT_")}
    environment.update(SCV_AUDIT_SERVICES="osv", SCV_AUDIT_OSV_URL=osv_url, **env)
    command = [sys.executable, "-m", "operations.audit"]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_the_audited_set_is_the_runtime_closure_without_dev_tools():
    names = {r.split("==")[0] for r in runtime_requirements()}
    assert {"gradio", "fastapi", "starlette", "uvicorn", "bcrypt", "deltalake", "jinja2"} <= names
    assert not names & {"pytest", "playwright", "ruff", "mypy", "pip-audit", "scv-lakehouse"}


def test_a_known_vulnerability_in_a_runtime_package_fails_the_audit(advisories):
    url, asked, listed = advisories
    listed["gradio"] = [ADVISORY]
    done = audit(url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"VULNERABLE {GRADIO}: GHSA-test-0001 (fixed in: 99.0)" in done.stdout
    assert GRADIO in asked and len(set(asked)) == len(runtime_requirements())


def test_no_known_vulnerability_passes(advisories):
    url, _, _ = advisories
    done = audit(url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no known vulnerabilities" in done.stdout


def test_without_a_reachable_source_the_audit_says_it_skipped():
    closed = f"http://127.0.0.1:{free_port()}/v1/query"
    done = audit(closed)
    assert done.returncode == 0
    assert "audit SKIPPED: no vulnerability advisory source reachable" in done.stdout
    assert f"osv: {closed} unreachable" in done.stdout
    assert audit(closed, SCV_AUDIT_REQUIRED="1").returncode == 1
