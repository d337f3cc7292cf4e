"""What the browser tests share: Debian's Chromium, its flags, the marks that skip a module without it, and the
page measures they assert on. The ``browser`` fixture itself is in conftest.py (one Chromium per test module)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APP_SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "app"  # screenshots people look at (kept by CI)

# pytestmark of every browser test module
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} not installed (make system-deps)"),
]


def horizontal_overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))
