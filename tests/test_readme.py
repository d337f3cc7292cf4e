"""The README's quick tour runs as written (on a temp lake), so the README cannot go stale."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, scv_environment

pytestmark = pytest.mark.e2e


def tour_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    marker = text.index("this block is run by `tests/test_readme.py`")
    block = re.search(r"```sh\n(.*?)```", text[marker:], re.S)
    assert block, "the README's quick tour block is missing"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_quick_tour(tmp_path: Path) -> None:
    env = scv_environment(tmp_path)  # the README's own exports below set the paths again
    outputs: dict[str, str] = {}
    for line in tour_commands():
        line = line.replace("/tmp/scv-tour", str(tmp_path))
        words = shlex.split(line)
        if words[0] == "export":
            env.update(word.split("=", 1) for word in words[1:])
            continue
        assert words[0] == "scv", f"unexpected README command: {line}"
        done = subprocess.run(
            [sys.executable, "-m", "scv.cli", *words[1:]], env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs[line] = done.stdout

    nightly_again = next(out for cmd, out in outputs.items() if cmd.startswith("scv nightly --date"))
    assert "0 new file(s)" in nightly_again and "0 failed" in nightly_again
    report = json.loads(next(out for cmd, out in outputs.items() if cmd.startswith("scv evaluate")))
    assert report["bad_records_unaccounted"] == 0
    assert {"hotspot_precision", "hotspot_recall", "hotspot_lead_days", "score_auc", "top20_lift"} <= set(report)
    assert list((tmp_path / "outbox").glob("**/*.eml")), "the dry run wrote no .eml to the outbox"
