"""Shared fixtures: one embedded engine per test session, and a fresh lake per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
TEST_OUTPUT = REPO_ROOT / "test-output"


def scv_environment(folder: Path, conf_overrides: dict[str, dict] | None = None, **extra: str) -> dict[str, str]:  # type: ignore[type-arg]
    """Environment for running ``scv`` in a subprocess on a lake of its own under ``folder``.

    The caller's SCV_* variables are dropped; every path points under ``folder``; the configuration is a copy
    of conf/base (so a developer's conf/local cannot leak in) plus, per file name, ``conf_overrides`` as the
    ``test`` environment.
    """
    import shutil

    import yaml

    from ground.config import PROJECT_ROOT

    conf = folder / "conf"
    if not conf.exists():
        shutil.copytree(PROJECT_ROOT / "conf" / "base", conf / "base")
        (conf / "test").mkdir()
        for name, content in (conf_overrides or {}).items():
            (conf / "test" / name).write_text(yaml.safe_dump(content), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCV_")}
    env.update(
        SCV_LAKE_ROOT=str(folder / "lake"),
        SCV_OUTBOX_DIR=str(folder / "outbox"),
        SCV_LANDING_DIR=str(folder / "landing"),
        SCV_TRUTH_DIR=str(folder / "truth"),
        SCV_CONF_DIR=str(conf),
        SCV_ENV="test",
        **extra,
    )
    return env


@pytest.fixture(autouse=True)
def _no_path_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their own lake: the developer's SCV_* variables must not leak in."""
    for name in (
        "SCV_LAKE_ROOT",
        "SCV_LANDING_DIR",
        "SCV_OUTBOX_DIR",
        "SCV_TRUTH_DIR",
        "SCV_ENV",
        "SCV_SPARK_REMOTE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def engine() -> Iterator[object]:
    """The embedded Sail engine (or SCV_TEST_SPARK_REMOTE's server), shared by the whole session."""
    from ground.config import EngineConfig
    from ground.engine import start_engine

    started = start_engine(EngineConfig(remote=os.environ.get("SCV_TEST_SPARK_REMOTE"), shuffle_partitions=2))
    yield started
    started.stop()


@pytest.fixture(scope="session")
def spark(engine):  # type: ignore[no-untyped-def]
    return engine.spark


@pytest.fixture(autouse=True)
def _drop_temp_views(request: pytest.FixtureRequest) -> Iterator[None]:
    """Temp views a test registers on the shared session are dropped after it: no test sees another's."""
    yield
    if "spark" not in request.fixturenames:
        return
    spark = request.getfixturevalue("spark")
    for table in spark.catalog.listTables():
        if table.isTemporary:
            spark.catalog.dropTempView(table.name)


@pytest.fixture
def hostile_config(config):  # type: ignore[no-untyped-def]
    """``config`` with the quarantine-rate limit lifted, for tests that feed deliberately broken exports."""
    from testkit import HOSTILE_INPUT

    return config.with_overrides(**HOSTILE_INPUT)


@pytest.fixture
def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Configuration from conf/base only, every path pointing at a fresh temp folder."""
    from testkit import base_config

    paths = {
        "lake_root": str(tmp_path / "lake"),
        "landing_dir": str(tmp_path / "landing"),
        "outbox_dir": str(tmp_path / "outbox"),
        "truth_dir": str(tmp_path / "truth"),
    }
    for folder in paths.values():
        Path(folder).mkdir(parents=True, exist_ok=True)
    return base_config().with_overrides(paths=paths)


@pytest.fixture
def smtp_sink() -> Iterator[tuple[object, dict[str, str]]]:
    """A real SMTP server (aiosmtpd) on a free loopback port that keeps every message it accepts, and the
    SCV_SMTP_* variables that point a subprocess of scv at it."""
    from aiosmtpd.controller import Controller
    from alert_helpers import RecordingHandler

    from testkit import free_port

    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        "SCV_SMTP_HOST": "127.0.0.1",
        "SCV_SMTP_PORT": str(port),
        "SCV_SMTP_SECURITY": "none",
        "SCV_SMTP_FROM": "alerts@example.com",
    }
    yield handler, env
    controller.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's, through Playwright), one per browser test module (tests/browser_kit.py)."""
    from browser_kit import APP_SHOTS, ARGS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    APP_SHOTS.mkdir(parents=True, exist_ok=True)
    yield chromium
    chromium.close()
    playwright.stop()
