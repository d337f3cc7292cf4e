"""Every configuration mistake is `scv: configuration error: <file>: <key>: <what is wrong>` with exit 2, before
any engine starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ground.config import PROJECT_ROOT
from scv import cli

CASES = [
    ({"hotspot": {"min_dealer": 3}}, "hotspot.min_dealer: unknown key"),
    ({"hotspot": {"min_dealers": "two"}}, "hotspot.min_dealers: Input should be a valid integer, got 'two'"),
    ({"scoring": {"weights": {"stock": 0.2}}}, "scoring.weights: weights must sum to 1, they sum to 1.1"),
    ({"scoring": {"engagement": {"duration_share": 1.5}}}, "scoring.engagement.duration_share: Input should be"),
    ({"windows": {"window_days": 0}}, "windows.window_days: Input should be greater than or equal to 1"),
    ({"sources": {"retail": {"path": "x/*.csv", "colums": {}}}}, "sources.retail.colums: unknown key"),
    ({"sources": {"sales": {"path": "x/*.csv"}}}, "sources.sales: 'sales' is not a canonical table"),
    (
        {"sources": {"retail": {"path": "x", "columns": {"units": {"from": "Qty", "type": "integer"}}}}},
        "sources.retail.columns.units.type: 'integer' is not one of",
    ),
    (
        {"sources": {"stock": {"path": "x", "version_by": "updated", "columns": {}}}},
        "sources.stock.key: ['snapshot_date', 'dealer_code', 'product_line'] are not mapped columns",
    ),
    ({"win_rate": {"alerts": {"drop": {"min_z": "high"}}}}, "win_rate.alerts.drop.min_z: Input should be"),
    ({"win_rate": {"rep": {"weeks": 1}}}, "win_rate.rep.weeks: Input should be greater than or equal to 2"),
    ({"win_rate": {"min_stage": "C7"}}, "win_rate: min_stage must be one of ['C0', 'C1', 'C2', 'C3'], got 'C7'"),
    (
        {"win_rate": {"alerts": {"drop": {"window_days": 14}}}},
        "win_rate: alerts.drop.window_days must be one of the windows' days [7, 30, 90]",
    ),
    (
        {"kpi": {"forecast": {"history_days": {"taluka": 56}}}},
        "kpi.forecast: history_days: unknown ['taluka'] (choose from",
    ),
    (
        {"kpi": {"forecast": {"history_days": {"dealer": 14}}}},
        "kpi.forecast: history_days: {'dealer': 14} below min_history_days (28)",
    ),
    ({"kpi": {"forecast": {"refit_weekday": "Sun"}}}, "kpi.forecast: refit_weekday must be one of ['Monday',"),
]


@pytest.fixture
def conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "conf"
    shutil.copytree(PROJECT_ROOT / "conf" / "base", folder / "base")
    (folder / "test").mkdir()
    monkeypatch.setenv("SCV_CONF_DIR", str(folder))
    monkeypatch.setenv("SCV_ENV", "test")
    monkeypatch.setenv("SCV_LAKE_ROOT", str(tmp_path / "lake"))

    def no_engine(*_: object) -> None:
        raise AssertionError("the engine was started before the configuration was checked")

    monkeypatch.setattr("ground.engine.start_engine", no_engine)
    return folder


@pytest.mark.parametrize(("override", "message"), CASES)
def test_a_mistake_names_the_file_and_the_key_and_exits_2(conf, capsys, override, message) -> None:  # type: ignore[no-untyped-def]
    (conf / "test" / "mine.yaml").write_text(yaml.safe_dump(override), encoding="utf-8")
    assert cli.main(["nightly", "--date", "2024-01-10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"scv: configuration error: {conf / 'test' / 'mine.yaml'}: {message}"), err
    assert "Traceback" not in err


def test_a_mistake_in_base_names_the_base_file(conf, capsys) -> None:  # type: ignore[no-untyped-def]
    path = conf / "base" / "pipeline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("min_leads: 8", "min_leads: 8.5"), encoding="utf-8")
    assert cli.main(["status"]) == 2
    assert f"{path}: hotspot.min_leads: Input should be a valid integer" in capsys.readouterr().err


def test_broken_yaml_names_the_file(conf, capsys) -> None:  # type: ignore[no-untyped-def]
    (conf / "test" / "bad.yaml").write_text("hotspot: [unclosed\n", encoding="utf-8")
    assert cli.main(["status"]) == 2
    assert f"scv: configuration error: {conf / 'test' / 'bad.yaml'}: not valid YAML" in capsys.readouterr().err
