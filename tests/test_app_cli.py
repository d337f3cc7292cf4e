"""``scv app`` as a user runs it: the real command in a subprocess serving the field app, signed into with
gradio_client as a rep (who sees only their dealer's leads), then stopped; and ``scv app --list-users``.

The subprocess gets a copy of the committed configuration (``SCV_CONF_DIR``) so that a developer's
``conf/local`` cannot add users or change the lake, and every path under tmp_path."""

from __future__ import annotations

import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.scope import Scope
from conftest import scv_environment
from ground.config import PROJECT_ROOT
from testkit import free_port
from testkit.rows import SAMPLE_LEADS, make_user, write_sample_lake

pytestmark = pytest.mark.e2e

REP, DEALER = "rep-e2e", "DLR0001"
START_TIMEOUT_S = 60


def scv_env(tmp_path: Path) -> dict[str, str]:
    """Every path (users file included) under tmp_path."""
    return scv_environment(tmp_path, SCV_APP_USERS_FILE=str(tmp_path / "users.yaml"), GRADIO_ANALYTICS_ENABLED="False")


@pytest.fixture
def rep(tmp_path: Path) -> tuple[str, str, str]:
    """(name, password, bcrypt hash) of one rep of DLR0001, over the sample lake; password made at run time."""
    write_sample_lake(tmp_path / "lake")
    password = secrets.token_urlsafe(12)
    user = make_user(tmp_path / "users.yaml", REP, password, Scope("rep", dealer_code=DEALER))
    return REP, password, user.password_hash


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"scv app exited with {proc.returncode} before serving:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"scv app did not answer on port {port} within {START_TIMEOUT_S} s:\n{log.read_text()}")


def test_the_served_app_shows_a_rep_only_their_dealers_leads_and_stops(tmp_path: Path, rep) -> None:
    from gradio_client import Client

    name, password, _ = rep
    port, log = free_port(), tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scv.cli", "app", "--host", "127.0.0.1", "--port", str(port)],
            env=scv_env(tmp_path),
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, proc, log)
        # the sign-in page answers first; the app itself follows once Gradio is loaded (a 'starting' 503 till then)
        deadline = time.monotonic() + 90
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", auth=(name, password), verbose=False)
                break
            except ValueError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert client.predict(api_name="/whoami") == f"rep: dealer {DEALER}"
        html = client.predict("All", "All", api_name="/leads")
        seen = set(re.findall(r'data-opty="([^"]+)"', html))
        assert seen == {opty for opty, dealer, *_ in SAMPLE_LEADS if dealer == DEALER}
        assert seen == {"OPP-001", "OPP-002", "OPP-003", "OPP-004", "OPP-005"}
        for other in ("OPP-101", "OPP-201", "Other Dealer Customer", "Pune Neighbour Dealer Lead"):
            assert other not in html
        assert f"Field app on http://127.0.0.1:{port}" in log.read_text()
    finally:
        proc.terminate()
        try:
            returncode = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            pytest.fail(f"scv app did not exit within 30 s of SIGTERM:\n{log.read_text()}")
    assert returncode in (0, -signal.SIGTERM), log.read_text()  # stopped by the signal, not crashed
    with pytest.raises(OSError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_list_users_prints_the_user_and_scope_but_not_the_hash(tmp_path: Path, rep) -> None:
    name, password, password_hash = rep
    done = subprocess.run(
        [sys.executable, "-m", "scv.cli", "app", "--list-users"],
        env=scv_env(tmp_path),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split() for line in lines] == [[name, "rep", "dealer", DEALER]]
    output = done.stdout + done.stderr
    assert password_hash not in output and "$2b$" not in output and password not in output
