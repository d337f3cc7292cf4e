"""The pipeline's settings (conf sections ``pipeline``, ``windows``, ``hotspot``, ``supply``, ``scoring``), typed
and validated when the configuration is loaded: an unknown key, a wrong type, a missing value or weights that
do not sum to 1 is a ``ConfigError`` naming the file and the key, before any engine starts.

Every value has its one home in ``conf/base/pipeline.yaml``, where its meaning and default are documented;
nothing here repeats a default.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ground.errors import Origins

SECTIONS = ("pipeline", "windows", "hotspot", "supply", "scoring", "operations")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PipelineOptions(_Section):
    future_tolerance_days: int = Field(ge=0)
    future_as_of_days: int = Field(ge=0)
    max_value_chars: int = Field(ge=1)
    max_null_rate: float = Field(ge=0, le=1)
    lease_minutes: int = Field(ge=1)
    max_quarantine_rate: float = Field(ge=0, le=1)
    bronze_chunk_mb: int = Field(ge=1, le=120)


class Windows(_Section):
    window_days: int = Field(ge=1)


class Hotspot(_Section):
    min_dealers: int = Field(ge=1)
    min_leads: int = Field(ge=0)
    baseline_days: int = Field(ge=2)
    guard_days: int = Field(ge=0)
    surge_window_days: int = Field(ge=1)
    upper_z: float = Field(gt=0)
    persist_days: int = Field(ge=1)
    persist_window_days: int = Field(ge=1)
    intent_growth: float
    retail_growth: float
    high_intent_classes: list[str] = Field(min_length=1)
    top_n_per_district: int = Field(ge=1)

    @model_validator(mode="after")
    def _persistence_fits_its_window(self) -> Hotspot:
        if self.persist_days > self.persist_window_days:
            raise ValueError(
                f"persist_days ({self.persist_days}) cannot exceed persist_window_days ({self.persist_window_days})"
            )
        return self

    @property
    def lookback_days(self) -> int:
        """Days of daily lead counts the surge detector reads per as-of date: the baseline, the guard, the
        surge window, and the earlier days the persistence rule looks at."""
        return self.baseline_days + self.guard_days + self.surge_window_days + self.persist_window_days - 1


class Supply(_Section):
    stock_lookback_days: int = Field(ge=0)


class Weights(_Section):
    lead_age: float = Field(ge=0)
    expected_closure: float = Field(ge=0)
    opty_category: float = Field(ge=0)
    lead_classification: float = Field(ge=0)
    customer_type: float = Field(ge=0)
    followup: float = Field(ge=0)
    engagement: float = Field(ge=0)
    stock: float = Field(ge=0)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Weights:
        total = sum(self.as_dict().values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"weights must sum to 1, they sum to {total:g}")
        return self

    def as_dict(self) -> dict[str, float]:
        return dict(self.model_dump())


class LeadAgeCurve(_Section):
    fresh_days: int = Field(ge=0)  # 100 up to fresh_days ...
    expired_days: int = Field(ge=1)  # ... falling linearly to 0 at expired_days


class ClosureCurve(_Section):
    soon_days: int = Field(ge=0)  # closing within soon_days scores 100 ...
    horizon_days: int = Field(ge=1)  # ... falling linearly to floor_score at horizon_days and beyond
    floor_score: float = Field(ge=0, le=100)
    missing: float = Field(ge=0, le=100)  # no expected closure date
    overdue: float = Field(ge=0, le=100)  # the expected closure date has passed


class FollowupCurve(_Section):
    sla_days: int = Field(ge=0)
    lapsed_days: int = Field(ge=1)
    overdue_penalty_per_day: float = Field(ge=0)


class EngagementCurve(_Section):
    full_duration_s: float = Field(gt=0)
    full_connected_calls: float = Field(gt=0)
    duration_share: float = Field(ge=0, le=1)  # share of the component from call duration; the rest from calls


class StockCurve(_Section):
    full_units: float = Field(gt=0)


class Scoring(_Section):
    weights_version: str = Field(min_length=1)
    max_open_age_days: int = Field(ge=1)
    history_every_days: int = Field(ge=0)
    weights: Weights
    lead_age: LeadAgeCurve
    expected_closure: ClosureCurve
    followup: FollowupCurve
    engagement: EngagementCurve
    stock: StockCurve
    opty_category: dict[str, float]
    lead_classification: dict[str, float]
    customer_type: dict[str, float]

    @model_validator(mode="after")
    def _lookups_have_default(self) -> Scoring:
        for name in ("opty_category", "lead_classification", "customer_type"):
            if "default" not in getattr(self, name):
                raise ValueError(f"{name} needs a 'default' score for values it does not list")
        return self


class Maintenance(_Section):
    max_files: int = Field(ge=1)
    every_days: int = Field(ge=1)
    retention_hours: int = Field(ge=0)


class Operations(_Section):
    catch_up_max_days: int = Field(ge=1)
    maintenance: Maintenance


class PipelineSettings(_Section):
    pipeline: PipelineOptions
    windows: Windows
    hotspot: Hotspot
    supply: Supply
    scoring: Scoring
    operations: Operations

    def sql_params(self) -> dict[str, Any]:
        """The named parameters the gold SQL files may use (each file gets the ones it names)."""
        return {
            "window_days": self.windows.window_days,
            "min_dealers": self.hotspot.min_dealers,
            "min_leads": self.hotspot.min_leads,
            "baseline_days": self.hotspot.baseline_days,
            "guard_days": self.hotspot.guard_days,
            "surge_window_days": self.hotspot.surge_window_days,
            "upper_z": self.hotspot.upper_z,
            "persist_days": self.hotspot.persist_days,
            "persist_window_days": self.hotspot.persist_window_days,
            "hotspot_lookback_days": self.hotspot.lookback_days,
            "intent_growth": self.hotspot.intent_growth,
            "retail_growth": self.hotspot.retail_growth,
            "top_n": self.hotspot.top_n_per_district,
            "stock_lookback_days": self.supply.stock_lookback_days,
            "max_open_age_days": self.scoring.max_open_age_days,
        }


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def pipeline_settings(raw_config: dict[str, Any], origins: Origins) -> PipelineSettings:
    raw = {name: raw_config.get(name) for name in SECTIONS}
    try:
        return PipelineSettings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _key(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key (a typo?)"
        elif first["type"] == "missing":
            message = "missing: every pipeline setting has its value in conf/base/pipeline.yaml"
        elif "input" in first and first["type"] not in ("value_error",):
            message = f"{message}, got {first['input']!r}"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise origins.error(key, f"{message}{more}") from None
