"""The hotspot detector's settings: typed, checked together, and handed to the SQL with the look-back they imply."""

from __future__ import annotations

import pytest

from ground.errors import ConfigError
from testkit import base_config


def test_the_detector_parameters_reach_the_sql_with_their_look_back() -> None:
    config = base_config().with_overrides(
        hotspot={
            "baseline_days": 28,
            "guard_days": 7,
            "surge_window_days": 3,
            "persist_days": 2,
            "persist_window_days": 3,
        }
    )
    params = config.pipeline.sql_params()
    assert {k: params[k] for k in ("baseline_days", "guard_days", "surge_window_days", "persist_days")} == {
        "baseline_days": 28,
        "guard_days": 7,
        "surge_window_days": 3,
        "persist_days": 2,
    }
    # baseline + guard + window, and the two earlier days the 2-of-3 rule checks
    assert params["hotspot_lookback_days"] == 28 + 7 + 3 + 2


def test_persistence_cannot_ask_for_more_days_than_it_looks_at() -> None:
    with pytest.raises(ConfigError, match="persist_days \\(3\\) cannot exceed persist_window_days \\(2\\)"):
        base_config().with_overrides(hotspot={"persist_days": 3, "persist_window_days": 2})


def test_the_removed_growth_thresholds_are_refused_as_unknown() -> None:
    # a conf/local written for the old rule says so instead of being silently ignored
    with pytest.raises(ConfigError, match="hotspot.min_lead_z: unknown key"):
        base_config().with_overrides(hotspot={"min_lead_z": 4.0})
