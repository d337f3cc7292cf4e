"""The pipeline's settings (conf sections ``pipeline``, ``windows``, ``hotspot``, ``supply``, ``scoring``,
``win_rate``, ``accounts``), typed
and validated when the configuration is loaded: an unknown key, a wrong type, a missing value or weights that
do not sum to 1 is a ``ConfigError`` naming the file and the key, before any engine starts.

Every value has its one home in ``conf/base/pipeline.yaml``, where its meaning and default are documented;
nothing here repeats a default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ground.errors import Origins

SECTIONS = (
    "pipeline",
    "windows",
    "hotspot",
    "supply",
    "scoring",
    "operations",
    "win_rate",
    "calibration",
    "accounts",
    "kpi",
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PipelineOptions(_Section):
    future_tolerance_days: int = Field(ge=0)
    future_as_of_days: int = Field(ge=0)
    max_value_chars: int = Field(ge=1)
    max_null_rate: float = Field(ge=0, le=1)
    lease_minutes: int = Field(ge=1)
    max_quarantine_rate: float = Field(ge=0, le=1)
    quality_in_process_rows: int = Field(ge=0)
    restate_days: int = Field(ge=0)


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


class AdoptedScore(_Section):
    """Weights fitted by ``scv calibrate`` that a person adopted (conf/<env>/scoring_adopted.yaml), with the
    probability map fitted for them: win_probability = 1 / (1 + exp(-(intercept + slope x total_score / 100)))."""

    weights_version: str = Field(min_length=1)
    weights: Weights
    horizon_days: int = Field(ge=1)
    probability_intercept: float
    probability_slope: float = Field(ge=0)  # a higher score never means a lower probability


class Scoring(_Section):
    weights_version: str = Field(min_length=1)
    max_open_age_days: int = Field(ge=1)
    history_every_days: int = Field(ge=0)
    weights: Weights
    adopted: AdoptedScore | None  # null: score with the designed weights
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

    @property
    def active_weights(self) -> dict[str, float]:
        """The weights the night scores with: the adopted ones when a person adopted fitted weights, else the
        designed ``weights``."""
        return (self.adopted.weights if self.adopted else self.weights).as_dict()

    @property
    def active_version(self) -> str:
        return self.adopted.weights_version if self.adopted else self.weights_version


class Maintenance(_Section):
    max_files: int = Field(ge=1)
    every_days: int = Field(ge=1)
    retention_hours: int = Field(ge=0)


class Operations(_Section):
    catch_up_max_days: int = Field(ge=1)
    maintenance: Maintenance


WIN_RATE_STAGES = ("C0", "C1", "C2", "C3")
WIN_RATE_DIMENSIONS = (
    "overall", "region", "district", "dealer", "rep", "product_line", "lead_source", "customer_type", "enquiry_type",
)  # fmt: skip


class WinRateWindow(_Section):
    days: int = Field(ge=1)  # closed deals of the days days ending on the as-of date ...
    prior_days: int = Field(ge=1)  # ... against those of the prior_days days just before them


def _plain_names(values: list[str] | dict[str, str], what: str) -> None:
    """Names passed to SQL inside a delimited string must not hold its delimiters."""
    names = [*values, *values.values()] if isinstance(values, dict) else list(values)
    bad = [n for n in names if not n or any(c in n for c in ",;=:")]
    if bad:
        raise ValueError(f"{what} may not be empty or contain , ; = or : ({bad})")


class DropAlert(_Section):
    window_days: int = Field(ge=1)
    min_points: float = Field(ge=0)
    min_z: float = Field(ge=0)
    dimensions: list[str]


class BelowParentAlert(_Section):
    window_days: int = Field(ge=1)
    min_points: float = Field(ge=0)
    dimensions: list[str]


class CompetitorAlert(_Section):
    window_days: int = Field(ge=1)
    baseline_days: int = Field(ge=1)
    min_losses: int = Field(ge=1)
    z: float = Field(ge=0)
    min_ratio: float = Field(ge=1)


class MixAlert(_Section):
    window_days: int = Field(ge=1)
    min_points: float = Field(ge=0)
    min_z: float = Field(ge=0)


class DriverAlerts(_Section):
    lookback_days: int = Field(ge=0)
    gap_days: int = Field(ge=0)
    drop: DropAlert
    below_parent: BelowParentAlert
    competitor: CompetitorAlert
    mix: MixAlert


class RepConsistency(_Section):
    weeks: int = Field(ge=2)
    min_closed_deals: int = Field(ge=1)
    prior_weeks: float = Field(ge=0)
    erratic_dispersion: float = Field(ge=1)


class WinRate(_Section):
    min_stage: str
    windows: list[WinRateWindow] = Field(min_length=1)
    interval_z: float = Field(gt=0)
    min_closed_deals: int = Field(ge=1)
    warmup_days: int = Field(ge=0)
    prior_deals_min: float = Field(ge=0)
    prior_deals_max: float = Field(gt=0)
    regions: dict[str, str]
    default_region: str = Field(min_length=1)
    funnel_window_days: int = Field(ge=1)
    velocity_window_days: int = Field(ge=1)
    velocity_trend_share: float = Field(gt=0)
    lost_reasons_window_days: int = Field(ge=1)
    coverage_ok_share: float = Field(ge=0, le=1)
    rep: RepConsistency
    alerts: DriverAlerts

    @model_validator(mode="after")
    def _consistent(self) -> WinRate:
        if self.min_stage not in WIN_RATE_STAGES:
            raise ValueError(f"min_stage must be one of {list(WIN_RATE_STAGES)}, got {self.min_stage!r}")
        if self.prior_deals_min > self.prior_deals_max:
            raise ValueError("prior_deals_min is above prior_deals_max")
        days = [w.days for w in self.windows]
        if len(set(days)) != len(days):
            raise ValueError(f"windows: each window length once, got {days}")
        for name in ("velocity_window_days",):
            if getattr(self, name) not in days:
                raise ValueError(f"{name} must be one of the windows' days {days}")
        for name in ("drop", "below_parent", "mix"):
            if getattr(self.alerts, name).window_days not in days:
                raise ValueError(f"alerts.{name}.window_days must be one of the windows' days {days}")
        for name in ("drop", "below_parent"):
            unknown = set(getattr(self.alerts, name).dimensions) - set(WIN_RATE_DIMENSIONS)
            if unknown:
                raise ValueError(f"alerts.{name}.dimensions: unknown {sorted(unknown)} ({list(WIN_RATE_DIMENSIONS)})")
        _plain_names(self.regions, "regions")
        _plain_names([self.default_region], "default_region")
        return self

    @property
    def lookback_days(self) -> int:
        """How far before the earliest as-of date closed deals are read: the longest window with its prior,
        the consultant weeks, plus the trailing dates the driver alerts look back over."""
        longest = max([w.days + w.prior_days for w in self.windows] + [self.funnel_window_days])
        longest = max(longest, 2 * self.lost_reasons_window_days, 7 * self.rep.weeks + 7)
        return longest + self.alerts.lookback_days

    def sql_params(self) -> dict[str, Any]:
        a = self.alerts
        return {
            "min_stage_rank": WIN_RATE_STAGES.index(self.min_stage),
            "win_rate_windows": ",".join(f"{w.days}:{w.prior_days}" for w in self.windows),
            "interval_z": self.interval_z,
            "min_closed_deals": self.min_closed_deals,
            "warmup_days": self.warmup_days,
            "prior_deals_min": self.prior_deals_min,
            "prior_deals_max": self.prior_deals_max,
            "state_regions": ";".join(f"{state}={region}" for state, region in self.regions.items()),
            "default_region": self.default_region,
            "closed_lookback_days": self.lookback_days,
            "funnel_window_days": self.funnel_window_days,
            "velocity_window_days": self.velocity_window_days,
            "velocity_trend_share": self.velocity_trend_share,
            "lost_window_days": self.lost_reasons_window_days,
            "coverage_ok_share": self.coverage_ok_share,
            "rep_weeks": self.rep.weeks,
            "rep_min_closed_deals": self.rep.min_closed_deals,
            "rep_prior_weeks": self.rep.prior_weeks,
            "erratic_dispersion": self.rep.erratic_dispersion,
            "alert_lookback_days": a.lookback_days,
            "episode_gap_days": a.gap_days,
            "drop_window_days": a.drop.window_days,
            "drop_min_points": a.drop.min_points,
            "drop_min_z": a.drop.min_z,
            "drop_dimensions": ",".join(a.drop.dimensions),
            "level_window_days": a.below_parent.window_days,
            "level_min_points": a.below_parent.min_points,
            "level_dimensions": ",".join(a.below_parent.dimensions),
            "competitor_window_days": a.competitor.window_days,
            "competitor_baseline_days": a.competitor.baseline_days,
            "competitor_min_losses": a.competitor.min_losses,
            "competitor_z": a.competitor.z,
            "competitor_min_ratio": a.competitor.min_ratio,
            "mix_window_days": a.mix.window_days,
            "mix_min_points": a.mix.min_points,
            "mix_min_z": a.mix.min_z,
        }


class Calibration(_Section):
    """``scv calibrate``: fitting the score's weights on the network's own history (docs/calibration.md)."""

    horizon_days: int = Field(ge=1)
    test_snapshots: int = Field(ge=2)
    min_train_snapshots: int = Field(ge=1)
    min_closed_deals: int = Field(ge=1)
    min_positives: int = Field(ge=1)
    l2_penalty: float = Field(ge=0)
    leak_set_at_close_share: float = Field(gt=0, le=1)
    leak_max_component_auc: float = Field(gt=0.5, le=1)
    backwards_max_auc: float = Field(ge=0, le=0.5)
    drift_max_weight_change: float = Field(gt=0, le=1)
    min_auc_gain: float = Field(ge=0)
    calibration_bins: int = Field(ge=2)


# --- accounts (docs/accounts.md) -----------------------------------------------------------------------------

HEALTH_COMPONENTS = ("cadence", "purchase_trend", "engagement", "sentiment", "open_pipeline")
HEALTH_CLASSES = ("Excellent", "Good", "Fair", "Poor")  # the thresholds' names; below Poor's is Critical


class RfmRule(_Section):
    segment: str = Field(min_length=1)
    r: list[int] = Field(min_length=2, max_length=2)  # inclusive score ranges within 1-5
    f: list[int] = Field(min_length=2, max_length=2)
    m: list[int] = Field(min_length=2, max_length=2)

    @model_validator(mode="after")
    def _ranges(self) -> RfmRule:
        for name in ("r", "f", "m"):
            low, high = getattr(self, name)
            if not 1 <= low <= high <= 5:
                raise ValueError(f"{self.segment}: {name} must be a range within 1-5, got [{low}, {high}]")
        return self


class Rfm(_Section):
    window_days: int = Field(ge=1)
    segments: list[RfmRule] = Field(min_length=1)
    default_segment: str = Field(min_length=1)

    @model_validator(mode="after")
    def _plain(self) -> Rfm:
        _plain_names([r.segment for r in self.segments] + [self.default_segment], "rfm segments")
        return self


class Churn(_Section):
    horizon_days: int = Field(ge=1)
    model: str
    penalizer: float = Field(ge=0)
    l2: float = Field(ge=0)
    min_accounts: int = Field(ge=2)
    top_share: float = Field(gt=0, le=1)
    high_risk: float = Field(ge=0, le=1)
    medium_risk: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> Churn:
        if self.model not in ("auto", "bgnbd", "trained"):
            raise ValueError(f"model must be auto, bgnbd or trained, got {self.model!r}")
        if self.medium_risk > self.high_risk:
            raise ValueError("medium_risk is above high_risk")
        return self


class Clv(_Section):
    horizon_days: int = Field(ge=1)
    model: str
    penalizer: float = Field(ge=0)

    @model_validator(mode="after")
    def _known(self) -> Clv:
        if self.model not in ("auto", "bgnbd_gg", "cadence"):
            raise ValueError(f"model must be auto, bgnbd_gg or cadence, got {self.model!r}")
        return self


class Affinity(_Section):
    window_days: int = Field(ge=1)
    min_pair_accounts: int = Field(ge=1)
    prior_accounts: float = Field(ge=0)
    min_lift: float = Field(ge=0)
    suggestions_per_account: int = Field(ge=1)


class SentimentLlm(_Section):
    enabled: bool
    max_notes: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    timeout_s: float = Field(gt=0)
    label_scores: dict[str, float]

    @model_validator(mode="after")
    def _labels(self) -> SentimentLlm:
        if set(self.label_scores) != {"positive", "neutral", "negative"}:
            raise ValueError("label_scores needs exactly positive, neutral and negative")
        return self


class Sentiment(_Section):
    recent_days: int = Field(ge=1)
    prior_days: int = Field(ge=1)
    min_calls: int = Field(ge=1)
    negative_below: float = Field(ge=-1, le=1)
    positive_above: float = Field(ge=-1, le=1)
    decline_points: float = Field(gt=0)
    outcome_scores: dict[str, float]
    lexicon: dict[str, float]
    negators: list[str]
    llm: SentimentLlm

    @model_validator(mode="after")
    def _consistent(self) -> Sentiment:
        if "default" not in self.outcome_scores:
            raise ValueError("outcome_scores needs a 'default' for outcomes it does not list")
        if self.negative_below > self.positive_above:
            raise ValueError("negative_below is above positive_above")
        bad = [t for t, w in self.lexicon.items() if not t.strip() or not -1 <= w <= 1]
        if bad:
            raise ValueError(f"lexicon terms must be non-empty with weights in [-1, 1]: {bad}")
        return self


class HealthEpisode(_Section):
    lookback_days: int = Field(ge=0)
    gap_days: int = Field(ge=0)


class Health(_Section):
    weights: dict[str, float]
    trend_days: int = Field(ge=1)
    min_orders: int = Field(ge=2)
    cadence_zero_ratio: float = Field(gt=1)
    full_answer_rate: float = Field(gt=0, le=1)
    sentiment_floor: float = Field(ge=-1, le=1)
    sentiment_full: float = Field(ge=-1, le=1)
    neutral_score: float = Field(ge=0, le=100)
    no_open_score: float = Field(ge=0, le=100)
    classes: dict[str, float]
    episode: HealthEpisode

    @model_validator(mode="after")
    def _consistent(self) -> Health:
        if set(self.weights) != set(HEALTH_COMPONENTS):
            raise ValueError(f"weights needs exactly {list(HEALTH_COMPONENTS)}")
        if not math.isclose(sum(self.weights.values()), 1.0, abs_tol=1e-9):
            raise ValueError(f"weights must sum to 1, they sum to {sum(self.weights.values()):g}")
        if set(self.classes) != set(HEALTH_CLASSES):
            raise ValueError(f"classes needs exactly {list(HEALTH_CLASSES)} (below Poor is Critical)")
        if self.sentiment_floor >= self.sentiment_full:
            raise ValueError("sentiment_floor must be below sentiment_full")
        bounds = [self.classes[c] for c in HEALTH_CLASSES]
        if bounds != sorted(bounds, reverse=True):
            raise ValueError("classes must fall from Excellent to Poor")
        return self


class Accounts(_Section):
    history_days: int = Field(ge=1)
    max_open_age_days: int = Field(ge=1)
    rfm: Rfm
    churn: Churn
    clv: Clv
    affinity: Affinity
    sentiment: Sentiment
    health: Health

    @property
    def call_lookback_days(self) -> int:
        """How far before the earliest as-of date account calls are read: the sentiment windows, plus the
        trailing dates of the health episodes."""
        return self.sentiment.recent_days + self.sentiment.prior_days + self.health.episode.lookback_days

    def sql_params(self) -> dict[str, Any]:
        rules = ";".join(
            f"{r.segment}:{r.r[0]}:{r.r[1]}:{r.f[0]}:{r.f[1]}:{r.m[0]}:{r.m[1]}" for r in self.rfm.segments
        )
        s, h = self.sentiment, self.health
        return {
            "account_history_days": self.history_days,
            # account_purchases reaches back the history of the earliest trailing date of the health episodes
            "account_reach_days": self.history_days + self.health.episode.lookback_days,
            "account_open_age_days": self.max_open_age_days,
            "rfm_window_days": self.rfm.window_days,
            "rfm_rules": rules,
            "rfm_default_segment": self.rfm.default_segment,
            "affinity_window_days": self.affinity.window_days,
            "affinity_min_pair_accounts": self.affinity.min_pair_accounts,
            "affinity_prior_accounts": self.affinity.prior_accounts,
            "affinity_min_lift": self.affinity.min_lift,
            "cross_sell_per_account": self.affinity.suggestions_per_account,
            "sentiment_recent_days": s.recent_days,
            "sentiment_prior_days": s.prior_days,
            "sentiment_min_calls": s.min_calls,
            "sentiment_negative_below": s.negative_below,
            "sentiment_positive_above": s.positive_above,
            "sentiment_decline_points": s.decline_points,
            "account_call_lookback_days": self.call_lookback_days,
            "health_trend_days": h.trend_days,
            "health_min_orders": h.min_orders,
        }


KPI_NAMES = ("leads", "hi_leads", "bookings", "retail_units", "retail_value")
KPI_LEVELS = ("company", "state", "district", "product_line", "dealer")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


ETS_MODEL = re.compile(r"[AMZ](?:[NZ]|[AMZ]d?)[ANMZ]")  # error, trend (d: damped), season


class KpiForecast(_Section):
    kpis: list[str] = Field(min_length=1)
    levels: list[str] = Field(min_length=1)
    history_days: dict[str, int]  # per level
    min_history_days: int = Field(ge=7)
    horizon_days: int = Field(ge=1)
    season_length: int = Field(ge=1)
    ets_model: dict[str, list[str]]  # per level, the AutoETS model strings to try (the backtest picks per series)
    spike_fence_iqr: float = Field(ge=0)  # a fit's history capped at Q3 + this x IQR; 0: not capped
    interval: int = Field(ge=50, le=99)
    refit_weekday: str
    refit_nightly: list[str]  # levels refitted every night (few series: the company, states, product lines)
    backtest_windows: int = Field(ge=1)
    backtest_horizon_days: int = Field(ge=1)
    # each origin and level's series are fitted in this many batches (the groups applyInPandas hands over);
    # how the work is split, not what it gives: not part of the fit key
    fit_batches: int = Field(default=8, ge=1)

    @model_validator(mode="after")
    def _known(self) -> KpiForecast:
        _known_names(self.kpis, KPI_NAMES, "kpis")
        _known_names(self.levels, KPI_LEVELS, "levels")
        if self.refit_weekday not in WEEKDAYS:
            raise ValueError(f"refit_weekday must be one of {list(WEEKDAYS)}, got {self.refit_weekday!r}")
        _known_names(self.refit_nightly, tuple(self.levels), "refit_nightly")
        for name, per_level in (("history_days", self.history_days), ("ets_model", self.ets_model)):
            missing = sorted(set(self.levels) - set(per_level))
            if missing:
                raise ValueError(f"{name}: no value for {missing}")
            _known_names(list(per_level), KPI_LEVELS, name)
        odd = {
            level: ms for level, ms in self.ets_model.items() if not ms or not all(ETS_MODEL.fullmatch(m) for m in ms)
        }
        if odd:
            raise ValueError(
                f"ets_model: {odd} are not AutoETS model strings (error, trend, d for a damped trend, season: "
                "e.g. ANA, AAdN)"
            )
        short = {level: days for level, days in self.history_days.items() if days < self.min_history_days}
        if short:
            raise ValueError(f"history_days: {short} below min_history_days ({self.min_history_days})")
        return self

    @property
    def longest_history(self) -> int:
        return max(self.history_days[level] for level in self.levels)

    def origin_of(self, day: date, level: str) -> date:
        """The latest origin of ``level``'s series on or before ``day``: the day itself for a level refitted
        nightly, else the latest ``refit_weekday``."""
        if level in self.refit_nightly:
            return day
        return day - timedelta(days=(day.weekday() - WEEKDAYS.index(self.refit_weekday)) % 7)

    def origins_before(self, days: Iterable[date], levels: Iterable[str]) -> list[date]:
        """Per forecast day and its series' level, the origin the day is read from: the latest before it."""
        return [self.origin_of(day - timedelta(days=1), level) for day, level in zip(days, levels, strict=True)]

    def levels_fitted_at(self, origin: date) -> list[str]:
        """The levels whose series are fitted at ``origin``: every level on the refit weekday, the levels
        refitted nightly on the other days."""
        return [level for level in self.levels if self.origin_of(origin, level) == origin]

    def days_ahead(self, level: str) -> int:
        """How far ahead ``level``'s shipped forecasts are read at most: 1 day when refitted nightly, else 7."""
        return 1 if level in self.refit_nightly else 7


class KpiAnomalies(_Section):
    kpis: list[str] = Field(min_length=1)
    levels: list[str] = Field(min_length=1)
    window_days: int = Field(ge=1)
    z: float = Field(gt=0)
    persist_days: int = Field(ge=1)
    persist_window_days: int = Field(ge=1)
    min_expected: float = Field(ge=0)
    min_gap_share: float = Field(ge=0)
    baseline_days: int = Field(ge=1)
    lookback_days: int = Field(ge=0)
    gap_days: int = Field(ge=0)
    severity_high: float = Field(gt=0)
    severity_medium: float = Field(gt=0)
    # a dealer is silent when it has sold nothing for silence_min_days days or more although its rate before
    # them made silence_min_expected units expected (docs/kpi.md); its district is then held to that rate
    silence_min_days: int = Field(default=3, ge=1)
    silence_min_expected: float = Field(default=10.0, gt=0)
    silence_max_days: int = Field(default=42, ge=1)  # a longer silence is the dealer's new normal

    @model_validator(mode="after")
    def _known(self) -> KpiAnomalies:
        _known_names(self.kpis, KPI_NAMES, "kpis")
        _known_names(self.levels, KPI_LEVELS, "levels")
        if self.persist_days > self.persist_window_days:
            raise ValueError("persist_days cannot exceed persist_window_days")
        if self.severity_medium > self.severity_high:
            raise ValueError("severity_medium is above severity_high")
        return self


class Kpi(_Section):
    conversion_days: int = Field(ge=1)
    cover_days: int = Field(ge=1)
    mover_days: int = Field(ge=1)
    active_rep_days: int = Field(ge=1)
    rep_roster_days: int = Field(ge=1)
    abc_days: int = Field(ge=1)
    abc_a_share: float = Field(gt=0, lt=1)
    abc_b_share: float = Field(gt=0, lt=1)
    slow_moving_days: list[int] = Field(min_length=1)
    seasonality_days: int = Field(ge=7)
    seasonality_min_days: int = Field(ge=1)
    forecast: KpiForecast
    anomalies: KpiAnomalies

    @model_validator(mode="after")
    def _consistent(self) -> Kpi:
        if self.abc_a_share + self.abc_b_share >= 1:
            raise ValueError("abc_a_share + abc_b_share must be below 1 (the rest is class C)")
        if sorted(set(self.slow_moving_days)) != self.slow_moving_days or min(self.slow_moving_days) < 1:
            raise ValueError(f"slow_moving_days must be increasing positive days, got {self.slow_moving_days}")
        return self

    @property
    def reach_days(self) -> int:
        """Days of daily facts before the earliest as-of date the KPI tables read (kpi_dealer_daily)."""
        a = self.anomalies
        anomaly_days = a.lookback_days + a.persist_window_days + a.window_days + a.baseline_days + 7
        return max(
            self.forecast.longest_history + 7 + a.lookback_days + a.persist_window_days + a.window_days,
            anomaly_days,
            self.conversion_days,
            self.cover_days,
            2 * self.mover_days,
            self.abc_days,
        )

    def sql_params(self) -> dict[str, Any]:
        return {
            "kpi_reach_days": self.reach_days,
            "kpi_conversion_days": self.conversion_days,
            "kpi_cover_days": self.cover_days,
            "kpi_mover_days": self.mover_days,
            "kpi_active_rep_days": self.active_rep_days,
            "kpi_rep_roster_days": self.rep_roster_days,
            "abc_days": self.abc_days,
            "abc_a_share": self.abc_a_share,
            "abc_b_share": self.abc_b_share,
            "slow_moving_days": ",".join(str(d) for d in self.slow_moving_days),
            "slow_moving_reach_days": max(self.slow_moving_days),
            "seasonality_days": self.seasonality_days,
            "seasonality_min_days": self.seasonality_min_days,
        }


def _known_names(values: list[str], known: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{what}: unknown {unknown} (choose from {list(known)})")


class PipelineSettings(_Section):
    pipeline: PipelineOptions
    windows: Windows
    hotspot: Hotspot
    supply: Supply
    scoring: Scoring
    operations: Operations
    win_rate: WinRate
    calibration: Calibration
    accounts: Accounts
    kpi: Kpi

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
            **self.win_rate.sql_params(),
            **self.accounts.sql_params(),
            **self.kpi.sql_params(),
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
