"""Users from configuration with bcrypt hashes, and `scv app` user management."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
import yaml

from app.auth import UserStore, hash_password, parse_user
from app.scope import Scope
from ground.config import PROJECT_ROOT, ConfigError
from scv.cli import build_parser, main
from testkit import write_gold
from testkit.rows import lead_row, make_user


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("SCV_APP_USERS_FILE", str(path))
    return path


def test_authenticate_checks_the_bcrypt_hash(users_file):
    password = secrets.token_urlsafe(8)
    make_user(users_file, "asha", password, Scope("rep", dealer_code="DLR0001"))
    store = UserStore(users_file)
    assert store.authenticate("asha", password)
    assert not store.authenticate("asha", password + "x")
    assert not store.authenticate("nobody", password)
    assert store.scope_for("asha") == Scope("rep", dealer_code="DLR0001")
    assert password not in users_file.read_text()


def test_plain_text_passwords_and_incomplete_scopes_are_refused():
    good_hash = hash_password("long enough", rounds=4)
    with pytest.raises(ConfigError, match="plain-text"):
        parse_user("a", {"role": "leader", "password": "secret"}, "test")
    with pytest.raises(ConfigError, match="bcrypt"):
        parse_user("a", {"role": "leader", "password_hash": "secret"}, "test")
    with pytest.raises(ConfigError, match="dealer_code"):
        parse_user("a", {"role": "rep", "password_hash": good_hash}, "test")
    with pytest.raises(ConfigError, match="district"):
        parse_user("a", {"role": "manager", "password_hash": good_hash}, "test")
    with pytest.raises(ConfigError, match="role"):
        parse_user("a", {"role": "admin", "password_hash": good_hash}, "test")


def test_inline_users_merge_over_the_file_and_a_new_file_user_is_seen_without_restart(users_file):
    inline = {"meera": {"role": "leader", "password_hash": hash_password("meera-pass", rounds=4)}}
    store = UserStore(users_file, inline)
    assert store.names() == ["meera"]
    make_user(users_file, "ravi", "ravi-pass-1", Scope("manager", district="Pune", state="Maharashtra"))
    assert store.names() == ["meera", "ravi"]
    assert store.scope_for("ravi") == Scope("manager", district="Pune", state="Maharashtra")


def test_a_broken_users_file_edit_keeps_the_users_already_loaded(users_file):
    make_user(users_file, "ravi", "ravi-pass-1", Scope("leader"))
    store = UserStore(users_file)
    users_file.write_text("users:\n  ravi: {role: leader, password: oops}\n")
    assert store.names() == ["ravi"]


def _keys(node) -> list[str]:
    if isinstance(node, dict):
        return [str(k) for k in node] + [k for v in node.values() for k in _keys(v)]
    if isinstance(node, list):
        return [k for v in node for k in _keys(v)]
    return []


def test_committed_configuration_holds_no_plain_text_passwords():
    for path in (PROJECT_ROOT / "conf" / "base").glob("*.yaml"):
        keys = _keys(yaml.safe_load(path.read_text()))
        assert not [k for k in keys if "password" in k.lower() and k != "password_hash"], path
    app = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "app.yaml").read_text())["app"]
    assert app["users"] == {}  # real users live in var/app_users.yaml, outside git


def test_add_user_command_writes_a_hash_from_the_environment(users_file, monkeypatch, capsys):
    password = secrets.token_urlsafe(12)
    monkeypatch.setenv("SCV_APP_PASSWORD", password)
    assert main(["app", "--add-user", "asha", "--role", "rep", "--dealer", "DLR0001"]) == 0
    assert "asha" in capsys.readouterr().out
    text = users_file.read_text()
    assert password not in text and "$2b$" in text
    assert UserStore(users_file).authenticate("asha", password)


def test_add_user_command_refuses_a_rep_without_dealer(users_file, monkeypatch, capsys):
    monkeypatch.setenv("SCV_APP_PASSWORD", secrets.token_urlsafe(12))
    assert main(["app", "--add-user", "asha", "--role", "rep"]) == 2
    assert "dealer" in capsys.readouterr().err
    assert not users_file.exists()


def test_demo_users_pick_the_busiest_dealer_and_its_district(users_file, tmp_path, monkeypatch, capsys):
    lake = tmp_path / "lake"
    monkeypatch.setenv("SCV_LAKE_ROOT", str(lake))
    rows = [lead_row(f"A{i}", "DLR0007", 50.0, district="Satara", state="Maharashtra") for i in range(3)]
    rows += [lead_row("B1", "DLR0001", 90.0)]
    write_gold(lake, "scv_customer_score", rows)
    assert main(["app", "--demo-users"]) == 0
    out = capsys.readouterr().out
    store = UserStore(users_file)
    assert store.scope_for("demo-rep") == Scope("rep", dealer_code="DLR0007")
    assert store.scope_for("demo-manager") == Scope("manager", district="Satara", state="Maharashtra")
    assert store.scope_for("demo-leader") == Scope("leader")
    passwords = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.startswith("  demo-")}
    assert set(passwords) == {"demo-leader", "demo-manager", "demo-rep"}
    for name, password in passwords.items():
        assert store.authenticate(name, password)
        assert password not in users_file.read_text()


def test_demo_users_without_scores_explain_what_to_run(users_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCV_LAKE_ROOT", str(tmp_path / "empty"))
    assert main(["app", "--demo-users"]) == 2
    assert "scv nightly" in capsys.readouterr().err


def test_app_without_users_refuses_to_start(users_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCV_LAKE_ROOT", str(tmp_path / "lake"))
    assert main(["app", "--port", "0"]) == 2
    assert "--add-user" in capsys.readouterr().err


def test_cli_defaults_and_light_imports():
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port) == ("127.0.0.1", 7860)
    code = "import sys, scv.cli; scv.cli.build_parser(); print('gradio' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
