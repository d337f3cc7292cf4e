"""The launched app driven through gradio_client: sign-in, scope per user, and new versions without restart."""

from __future__ import annotations

import os
import re
import secrets
import time

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from gradio_client import Client  # noqa: E402

from app.handlers import AppContext  # noqa: E402
from app.scope import Scope  # noqa: E402
from testkit import (  # noqa: E402
    base_config,  # noqa: E402
    free_port,
    write_gold,
)
from testkit.rows import lead_row, make_user, write_sample_lake  # noqa: E402

USERS = {
    "rep1": Scope("rep", dealer_code="DLR0001"),
    "mgr-pune": Scope("manager", district="Pune"),
    "boss": Scope("leader"),
    "rep42": Scope("rep", dealer_code="DLR0042"),  # no leads until test_a_new_table_version...
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app.web import launch

    root = tmp_path_factory.mktemp("app-client")
    lake = root / "lake"
    write_sample_lake(lake)
    passwords = {name: secrets.token_urlsafe(10) for name in USERS}
    for name, scope in USERS.items():
        make_user(root / "users.yaml", name, passwords[name], scope)
    config = base_config().with_overrides(
        paths={"lake_root": str(lake)},
        app={
            "users_file": str(root / "users.yaml"),
            "refresh_seconds": 0.2,
            "sign_in": {"backoff_seconds": 0},  # the wrong-password test is followed by right ones at once
        },
    )
    demo = launch(AppContext.from_config(config), "127.0.0.1", free_port(), prevent_thread_lock=True)
    yield demo.local_url, passwords, lake
    demo.close()


def client(server, name: str) -> Client:
    url, passwords, _ = server
    return Client(url, auth=(name, passwords[name]), verbose=False)


def ids(html: str) -> set[str]:
    return set(re.findall(r'data-opty="([^"]+)"', html))


def test_wrong_password_and_anonymous_access_are_refused(server):
    url, passwords, _ = server
    with pytest.raises(ValueError, match="login"):
        Client(url, auth=("rep1", passwords["rep1"] + "x"), verbose=False)
    with pytest.raises(ValueError):
        Client(url, auth=("rep1-typo", passwords["rep1"]), verbose=False)
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises different errors across versions
        Client(url, verbose=False).predict(api_name="/leads")


def test_rep_reads_only_their_dealer_through_the_api(server):
    rep = client(server, "rep1")
    assert rep.predict(api_name="/whoami") == "rep: dealer DLR0001"
    html = rep.predict("All", "All", api_name="/leads")
    assert ids(html) == {"OPP-001", "OPP-002", "OPP-003", "OPP-004", "OPP-005"}
    assert "&lt;i&gt;VIP&lt;/i&gt;" in html and "<i>VIP" not in html
    # filter values of another dealer's leads cannot widen the scope
    assert ids(rep.predict("Fleet tender", "All", api_name="/leads")) == set()
    assert ids(rep.predict("Walk-in", "Hot", api_name="/leads")) == {"OPP-001"}
    hotspots, top = rep.predict("All", "Nashik", api_name="/markets")
    assert "Not available" in hotspots and "Sinnar" not in hotspots + top
    product_lines, _ = rep.predict(api_name="/pipeline")
    assert "5 · avg" in product_lines  # five leads of DLR0001, not seven
    assert "Performance is for managers and leadership." in rep.predict(api_name="/performance")
    assert "Accounts are for managers and leadership." in rep.predict(api_name="/accounts")


def test_manager_and_leader_scopes_through_the_api(server):
    manager = client(server, "mgr-pune")
    assert ids(manager.predict("All", "All", api_name="/leads")) == {f"OPP-00{i}" for i in range(1, 6)} | {"OPP-201"}
    hotspots, top = manager.predict("All", "All", api_name="/markets")
    assert "Haveli" in hotspots and "Sinnar" not in hotspots + top
    leader = client(server, "boss")
    hotspots, top = leader.predict("EMERGING", "All", api_name="/markets")
    assert "Sinnar" in hotspots and "Haveli" not in hotspots
    assert "OPP-101" in ids(leader.predict("All", "All", api_name="/leads"))
    assert "No win-rate figures yet" in leader.predict(api_name="/performance")  # no win-rate tables here
    assert "No account figures yet" in leader.predict(api_name="/accounts")  # no account tables here


def test_a_new_table_version_is_served_without_restart(server):
    _, _, lake = server
    rep = client(server, "rep42")
    assert "No open leads" in rep.predict("All", "All", api_name="/leads")
    new_lead = lead_row("OPP-NEW", "DLR0042", 99.5, customer_name="Fresh", district="Satara")
    write_gold(lake, "scv_customer_score", [new_lead], "append")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "OPP-NEW" in ids(rep.predict("All", "All", api_name="/leads")):
            break
        time.sleep(0.3)
    else:
        pytest.fail("the new version was not picked up")


def test_a_rep_acts_on_their_own_lead_only_through_the_api(server):
    rep = client(server, "rep1")
    refused = rep.predict("OPP-101", "done", api_name="/act")  # DLR0002's lead
    assert "You can only log actions on your own leads." in refused
    assert "OPP-101" in ids(client(server, "boss").predict("All", "All", api_name="/leads"))
    saved = rep.predict("OPP-005", "called", "No Answer", "", "", api_name="/act")
    assert "Call logged: Kiran More" in saved
    assert "Call logged: No Answer on" in rep.predict("All", "All", api_name="/leads")
