"""Sign-in that cannot be used against the service or its users, and sessions that end, through real HTTP.

Timings are printed (``pytest -s``) so the figures in docs/app.md can be reproduced. Each test here failed on
the app as Gradio served it before issue 20.
"""

from __future__ import annotations

import logging
import os
import statistics
import threading
import time

import httpx
import pytest
import yaml

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from app.auth import read_users_file  # noqa: E402
from app.scope import Scope  # noqa: E402
from ground.config import ConfigError  # noqa: E402
from testkit.rows import ServedApp, make_user, served_app  # noqa: E402

USERS = {"rep1": Scope("rep", dealer_code="DLR0001"), "rep2": Scope("rep", dealer_code="DLR0002")}
USERS |= {"boss": Scope("leader")}
NO_THROTTLE = {"max_failures_per_user": 100_000, "max_failures_per_address": 100_000, "backoff_seconds": 0}


def login(app: ServedApp, name: str, password: str | None = None, client: httpx.Client | None = None) -> httpx.Response:
    form = {"username": name, "password": app.passwords.get(name, "x") if password is None else password}
    return (client or httpx.Client(base_url=app.url, timeout=60)).post(app.url + "login", data=form)


def signed_in(app: ServedApp, name: str) -> httpx.Client:
    client = httpx.Client(base_url=app.url, timeout=60)
    assert login(app, name, client=client).status_code == 200
    return client


def test_wrong_passwords_lock_the_name_then_the_address_even_for_the_right_password(tmp_path):
    limits = {"max_failures_per_user": 3, "max_failures_per_address": 6, "lockout_seconds": 60, "backoff_seconds": 0}
    with served_app(tmp_path, USERS, sign_in=limits) as app:
        assert [login(app, "rep1", "wrong").status_code for _ in range(3)] == [401, 401, 401]
        locked = login(app, "rep1")  # the right password, after three wrong ones
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 50
        assert login(app, "boss").status_code == 200  # another name from the same address is not locked yet
        assert [login(app, f"ghost{i}", "wrong").status_code for i in range(3)] == [401, 401, 401]
        assert login(app, "boss").status_code == 429  # six failures from this address: locked


def test_after_a_failure_the_next_try_waits_for_the_backoff(tmp_path):
    with served_app(tmp_path, USERS, sign_in={"backoff_seconds": 0.5}) as app:
        assert login(app, "rep1", "wrong").status_code == 401
        too_soon = login(app, "rep1")
        assert too_soon.status_code == 429 and too_soon.headers["retry-after"] == "1"
        time.sleep(0.6)
        assert login(app, "rep1").status_code == 200


def latencies(client: httpx.Client, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        assert client.get("gradio_api/app_id").status_code == 200
        seconds.append(time.perf_counter() - started)
        time.sleep(0.05)
    return seconds


def test_parallel_wrong_passwords_do_not_slow_a_signed_in_user(tmp_path):
    bound_s = 0.25  # one bcrypt check at cost 12: a signed-in request must never wait for one
    with served_app(tmp_path, USERS, rounds=12, sign_in=NO_THROTTLE) as app:
        client = signed_in(app, "rep1")
        quiet = latencies(client, 20)
        stop = threading.Event()
        checks = []

        def guess() -> None:
            with httpx.Client(timeout=60) as guesser:
                while not stop.is_set():
                    checks.append(login(app, "boss", "wrong", guesser).status_code)

        guessers = [threading.Thread(target=guess) for _ in range(4)]
        for thread in guessers:
            thread.start()
        time.sleep(0.5)
        loaded = latencies(client, 20)
        stop.set()
        for thread in guessers:
            thread.join(timeout=60)
    print(
        f"\nsigned-in GET /gradio_api/app_id median: quiet {statistics.median(quiet) * 1000:.1f} ms, "
        f"under 4 wrong-password loops {statistics.median(loaded) * 1000:.1f} ms "
        f"(max {max(loaded) * 1000:.1f} ms; {len(checks)} wrong sign-ins answered)"
    )
    assert set(checks) <= {400, 401} and len(checks) >= 4  # 400: Gradio's answer before issue 20
    assert statistics.median(loaded) < bound_s


def test_unknown_and_known_user_names_take_the_same_time(tmp_path):
    with served_app(tmp_path, USERS, rounds=10, sign_in=NO_THROTTLE) as app, httpx.Client(timeout=60) as client:
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for i in range(10):
            for kind, name in (("known", "rep1"), ("unknown", f"nobody{i}")):
                started = time.perf_counter()
                assert login(app, name, "wrong-password", client).status_code in (400, 401)  # 400: before
                times[kind].append(time.perf_counter() - started)
    # the fastest of ten tries: what the work costs, with the least of a busy machine's waiting in it
    known, unknown = min(times["known"]), min(times["unknown"])
    print(f"\nwrong password, bcrypt cost 10: known user {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert known > 0.02  # a real check ran
    assert abs(known - unknown) < 0.25 * known


def test_an_unknown_user_name_costs_one_bcrypt_check_as_a_known_one(tmp_path, monkeypatch):
    import bcrypt

    checked: list[int] = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda secret, hashed: checked.append(1) or real(secret, hashed))
    with served_app(tmp_path, USERS, rounds=4, sign_in=NO_THROTTLE) as app, httpx.Client(timeout=60) as client:
        counts = {}
        for kind, name in (("known", "rep1"), ("unknown", "nobody")):
            checked.clear()
            assert login(app, name, "wrong-password", client).status_code in (400, 401)
            counts[kind] = len(checked)
    assert counts == {"known": 1, "unknown": 1}


def test_an_idle_session_ends(tmp_path):
    with served_app(tmp_path, USERS, sessions={"idle_seconds": 0.8, "max_seconds": 60}) as app:
        client = signed_in(app, "rep1")
        for _ in range(3):  # activity keeps it alive past the idle time
            time.sleep(0.4)
            assert client.get("config").status_code == 200
        time.sleep(1.0)
        assert client.get("config").status_code == 401
        page = client.get("", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/login"


def test_a_busy_session_still_ends_at_its_maximum_lifetime(tmp_path):
    with served_app(tmp_path, USERS, sessions={"idle_seconds": 60, "max_seconds": 1.2}) as app:
        client = signed_in(app, "rep1")
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            assert client.get("config").status_code == 200
            time.sleep(0.2)
        time.sleep(0.4)
        assert client.get("config").status_code == 401


def test_a_password_reset_a_role_change_or_a_removal_ends_the_users_sessions(tmp_path):
    with served_app(tmp_path, USERS) as app:
        clients = {name: signed_in(app, name) for name in USERS}
        make_user(app.users_file, "rep1", "a-new-password", USERS["rep1"])  # scv app --add-user, new password
        make_user(app.users_file, "rep2", app.passwords["rep2"], Scope("manager", district="Pune"))  # new role
        users = read_users_file(app.users_file)
        del users["boss"]
        app.users_file.write_text(yaml.safe_dump({"users": users}), encoding="utf-8")
        for name, client in clients.items():
            assert client.get("config").status_code == 401, name
            assert client.post("gradio_api/call/whoami", json={"data": []}).status_code == 401, name
        assert login(app, "rep1", "a-new-password").status_code == 200


def test_sign_ins_failures_and_lockouts_are_logged_without_secrets(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="app.security")
    with served_app(tmp_path, USERS, sign_in={"max_failures_per_user": 2, "backoff_seconds": 0}) as app:
        assert login(app, "boss").status_code == 200
        assert login(app, "rep1", "wrong-1").status_code == 401
        assert login(app, "rep1", "wrong-2").status_code == 401
        assert login(app, "rep1").status_code == 429
        secrets = [*app.passwords.values(), "wrong-1", "wrong-2", *read_users_file(app.users_file)["rep1"].values()]
    lines = [(record.created, record.getMessage()) for record in caplog.records if record.name == "app.security"]
    messages = "\n".join(message for _, message in lines)
    assert "signed in user=boss address=127.0.0.1" in messages
    assert messages.count("sign-in failed user=rep1 address=127.0.0.1") == 2
    assert "sign-in locked user=rep1" in messages
    assert "sign-in refused user=rep1 address=127.0.0.1 reason=user locked" in messages
    assert all(created > 0 for created, _ in lines)  # every record carries its time
    assert not [secret for secret in secrets if secret in caplog.text and secret not in ("rep", "DLR0001")]
    assert "$2b$" not in caplog.text


def test_a_malformed_users_file_error_does_not_show_the_hash(tmp_path):
    path = tmp_path / "users.yaml"
    make_user(path, "rep1", "password-1", USERS["rep1"])
    password_hash = read_users_file(path)["rep1"]["password_hash"]
    broken = {  # YAML quotes the offending line in its error, around the mark
        "indent": f"users:\n  rep1:\n    role: rep\n   password_hash: {password_hash}\n",
        "trailing text": f"users:\n  rep1: {{role: rep, password_hash: {password_hash}}} x: y\n",
    }
    for case, text in broken.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as error:
            read_users_file(path)
        message = str(error.value)
        assert "line" in message, case
        pieces = [password_hash[i : i + 8] for i in range(7, len(password_hash) - 8)]
        assert "$2b$" not in message and not [piece for piece in pieces if piece in message], case


def test_failures_are_forgotten_after_the_lockout_window_and_a_lock_expires():
    from app.settings import SignInSettings
    from app.throttle import SignInThrottle

    now = [1000.0]
    throttle = SignInThrottle(SignInSettings(3, 10, lockout_seconds=60, backoff_seconds=1), clock=lambda: now[0])

    def fail(name: str = "asha") -> None:
        assert throttle.attempt(name, "10.0.0.1") is None
        throttle.failed(name, "10.0.0.1")

    fail()
    refusal = throttle.attempt("ASHA", "10.0.0.2")  # names are throttled case-insensitively
    assert refusal is not None and refusal.reason == "user backoff" and refusal.retry_after == 1
    now[0] += 61  # past the window: the failure is forgotten, no backoff
    fail()
    now[0] += 1.0
    fail()
    now[0] += 2.0
    fail()  # the third failure within the window locks the name
    refusal = throttle.attempt("asha", "10.0.0.3")
    assert refusal is not None and refusal.is_lockout and refusal.retry_after == 60
    now[0] += 60.5
    assert throttle.attempt("asha", "10.0.0.3") is None  # the lock has run out
    throttle.succeeded("asha", "10.0.0.3")
    assert throttle.attempt("asha", "10.0.0.3") is None  # and a success clears the name


def test_web_settings_are_checked():
    from app.settings import web_settings

    assert web_settings({"web": {"allowed_origins": ["HTTPS://Partner.example/"]}}).allowed_origins == (
        "https://partner.example",
    )
    for bad in (["*"], ["partner.example"], ["https://partner.example/path"]):
        with pytest.raises(ConfigError, match="allowed_origins"):
            web_settings({"web": {"allowed_origins": bad}})
    with pytest.raises(ConfigError, match="secure_cookie"):
        web_settings({"web": {"secure_cookie": "never"}})
