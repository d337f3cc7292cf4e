"""The ``alert`` configuration section and the SMTP / LLM settings from the environment, validated."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from typing import Any

from ground.config import Config, ConfigError
from ground.llm import endpoint_from_env

ALERT_STATUSES = ("HOTSPOT", "EMERGING", "STABLE", "NOISE")
SECURITY_MODES = ("starttls", "ssl", "none")
_ADDRESS_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def check_address(address: str) -> str:
    """A plain ``user@domain`` address, lower-cased; anything else (names, lists, line breaks) is refused."""
    value = address.strip()
    if not _ADDRESS_RE.match(value):
        raise ConfigError(f"not a plain e-mail address: {address!r}")
    return value.lower()


def parse_sender(value: str) -> tuple[str, str]:
    """(From header, envelope address) of ``alerts@example.com`` or ``SCV Alerts <alerts@example.com>``."""
    display_name, address = parseaddr(value)
    address = check_address(address)
    return formataddr((display_name, address)), address


@dataclass(frozen=True)
class RankingWeights:
    status_points: dict[str, float] = field(default_factory=lambda: {"HOTSPOT": 50.0, "EMERGING": 25.0})
    lead_growth: float = 10.0
    intent_growth: float = 15.0
    growth_cap: float = 2.0
    lead_volume: float = 10.0
    volume_ref_leads: float = 50.0
    supply_gap: float = 20.0
    supply_gap_min_hi_leads: int = 3
    excess_stock: float = -15.0
    excess_stock_cover: float = 2.0


@dataclass(frozen=True)
class DistrictManager:
    email: str
    districts: tuple[str, ...]


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3
    backoff_s: float = 2.0
    backoff_factor: float = 2.0

    def delays(self) -> list[float]:
        """Seconds to wait before each retry."""
        return [self.backoff_s * self.backoff_factor**i for i in range(self.retries)]


@dataclass(frozen=True)
class AlertSettings:
    app_url: str = ""  # app.public_url: the email links to the app only when it is set
    top_n: int = 3
    alert_statuses: tuple[str, ...] = ("HOTSPOT", "EMERGING")
    when_empty: str = "all_clear"
    district_view_max_districts: int = 5
    weights: RankingWeights = field(default_factory=RankingWeights)
    leadership: tuple[str, ...] = ()
    district_managers: tuple[DistrictManager, ...] = ()
    operators: tuple[str, ...] = ()
    smtp_timeout_s: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    llm_enabled: bool = True
    llm_timeout_s: float = 20.0
    llm_max_chars: int = 600
    llm_max_tokens: int = 220
    window_days: int = 5
    high_intent_classes: tuple[str, ...] = ("Hot", "Warm", "Live Deal")
    watch_min_surge_score: float = 0.7  # a taluka this close to the surge bound (1.0) is on the watch list
    watch_max: int = 5  # entries on the watch list
    trend_days: int = 30  # days in each top taluka's lead trend chart
    surge_window_days: int = 3  # hotspot.surge_window_days: the detector's recent window
    accounts_top_n: int = 5  # accounts turning Critical listed in the daily email (the rest: a count)


def _mapping(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"alert.{key} must be a mapping")
    return value


def _number(raw: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}.{key} must be a number, got {value!r}")
    return float(value)


def _weights(raw: Mapping[str, Any]) -> RankingWeights:
    base = RankingWeights()
    points = raw.get("status_points", base.status_points)
    if not isinstance(points, Mapping) or not set(points) <= set(ALERT_STATUSES):
        raise ConfigError(f"alert.ranking.status_points must map statuses {ALERT_STATUSES} to numbers")
    where = "alert.ranking"
    weights = RankingWeights(
        status_points={str(k): _number(points, k, 0, f"{where}.status_points") for k in points},
        **{
            name: _number(raw, name, getattr(base, name), where)
            for name in (
                "lead_growth",
                "intent_growth",
                "growth_cap",
                "lead_volume",
                "volume_ref_leads",
                "supply_gap",
                "excess_stock",
                "excess_stock_cover",
            )
        },
        supply_gap_min_hi_leads=int(_number(raw, "supply_gap_min_hi_leads", base.supply_gap_min_hi_leads, where)),
    )
    if weights.growth_cap <= 0 or weights.volume_ref_leads <= 0 or weights.excess_stock_cover <= 0:
        raise ConfigError(f"{where}: growth_cap, volume_ref_leads and excess_stock_cover must be positive")
    return weights


def _managers(raw: Any) -> tuple[DistrictManager, ...]:
    if not isinstance(raw, list):
        raise ConfigError("alert.recipients.district_managers must be a list of {email, districts}")
    managers = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("districts"), list):
            raise ConfigError(f"alert.recipients.district_managers: bad entry {item!r}")
        districts = tuple(str(d) for d in item["districts"])
        managers.append(DistrictManager(check_address(str(item.get("email", ""))), districts))
    return tuple(managers)


def alert_settings(config: Config) -> AlertSettings:
    """Parse and validate ``alert`` (plus the window length and high-intent classes it reports on)."""
    raw = config.section("alert")
    recipients, smtp, llm = _mapping(raw, "recipients"), _mapping(raw, "smtp"), _mapping(raw, "llm")
    statuses = tuple(str(s) for s in raw.get("alert_statuses", ("HOTSPOT", "EMERGING")))
    if not set(statuses) <= set(ALERT_STATUSES):
        raise ConfigError(f"alert.alert_statuses: unknown status in {statuses}")
    when_empty = str(raw.get("when_empty", "all_clear"))
    if when_empty not in ("all_clear", "skip"):
        raise ConfigError(f"alert.when_empty must be all_clear or skip, got {when_empty!r}")
    top_n = int(_number(raw, "top_n", 3, "alert"))
    if top_n < 1:
        raise ConfigError("alert.top_n must be at least 1")
    if "app_url" in raw:
        raise ConfigError("alert.app_url has moved to app.public_url (the address people open the app at)")
    app_url = public_url(config)
    watch = _mapping(raw, "watch")
    hotspot = config.section("hotspot")
    return AlertSettings(
        app_url=app_url,
        top_n=top_n,
        alert_statuses=statuses,
        when_empty=when_empty,
        district_view_max_districts=int(_number(raw, "district_view_max_districts", 5, "alert")),
        weights=_weights(_mapping(raw, "ranking")),
        leadership=tuple(check_address(str(a)) for a in recipients.get("leadership") or ()),
        district_managers=_managers(recipients.get("district_managers") or []),
        operators=tuple(check_address(str(a)) for a in recipients.get("operators") or ()),
        smtp_timeout_s=_number(smtp, "timeout_s", 30.0, "alert.smtp"),
        retry=RetryPolicy(
            retries=int(_number(smtp, "retries", 3, "alert.smtp")),
            backoff_s=_number(smtp, "backoff_s", 2.0, "alert.smtp"),
            backoff_factor=_number(smtp, "backoff_factor", 2.0, "alert.smtp"),
        ),
        llm_enabled=bool(llm.get("enabled", True)),
        llm_timeout_s=_number(llm, "timeout_s", 20.0, "alert.llm"),
        llm_max_chars=int(_number(llm, "max_chars", 600, "alert.llm")),
        llm_max_tokens=int(_number(llm, "max_tokens", 220, "alert.llm")),
        window_days=int(config.section("windows").get("window_days", 5)),
        high_intent_classes=tuple(hotspot.get("high_intent_classes", AlertSettings.high_intent_classes)),
        watch_min_surge_score=_number(watch, "min_surge_score", 0.7, "alert.watch"),
        watch_max=int(_number(watch, "max_talukas", 5, "alert.watch")),
        trend_days=int(_number(raw, "trend_days", 30, "alert")),
        surge_window_days=int(hotspot.get("surge_window_days", 3)),
        accounts_top_n=max(1, int(_number(raw, "accounts_top_n", 5, "alert"))),
    )


def public_url(config: Config) -> str:
    """``app.public_url``: where people open the app (http or https), or '' when it is not set."""
    value = config.section("app").get("public_url")
    if value in (None, ""):
        return ""
    url = str(value).strip()
    if not url.startswith(("http://", "https://")) or any(c.isspace() or c in "<>\"'" for c in url):
        raise ConfigError(f"app.public_url must be an http(s) URL, got {value!r}")
    return url


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None = field(repr=False)
    sender: str  # the From header, e.g. "SCV Alerts <alerts@example.com>"
    sender_address: str  # the envelope sender
    ca_file: str | None = None
    timeout_s: float = 30.0


def smtp_settings(timeout_s: float = 30.0, env: Mapping[str, str] | None = None) -> SmtpSettings:
    """SMTP settings from ``SCV_SMTP_*``; raises ConfigError naming the variable that is missing or wrong."""
    env = os.environ if env is None else env
    host = env.get("SCV_SMTP_HOST", "").strip()
    if not host:
        raise ConfigError("SMTP is not configured: set SCV_SMTP_HOST (and SCV_SMTP_FROM), or use --dry-run")
    security = env.get("SCV_SMTP_SECURITY", "starttls").strip().lower()
    if security not in SECURITY_MODES:
        raise ConfigError(f"SCV_SMTP_SECURITY must be one of {SECURITY_MODES}, got {security!r}")
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
    port_text = env.get("SCV_SMTP_PORT", "").strip() or str(default_port)
    if not port_text.isdigit():
        raise ConfigError(f"SCV_SMTP_PORT must be a port number, got {port_text!r}")
    user = env.get("SCV_SMTP_USER") or None
    password = env.get("SCV_SMTP_PASSWORD") or None
    if user and not password:
        raise ConfigError("SCV_SMTP_USER is set but SCV_SMTP_PASSWORD is not")
    if user and security == "none":
        raise ConfigError("refusing to send SMTP credentials without TLS: set SCV_SMTP_SECURITY=starttls or ssl")
    sender = env.get("SCV_SMTP_FROM", "").strip()
    if not sender:
        raise ConfigError("SCV_SMTP_FROM (the sender address) is not set")
    sender_header, sender_address = parse_sender(sender)
    return SmtpSettings(
        host=host,
        port=int(port_text),
        security=security,
        user=user,
        password=password,
        sender=sender_header,
        sender_address=sender_address,
        ca_file=env.get("SCV_SMTP_CA_FILE") or None,
        timeout_s=timeout_s,
    )


@dataclass(frozen=True)
class LlmSettings:
    base_url: str
    model: str
    api_key: str = field(repr=False)
    timeout_s: float
    max_chars: int
    max_tokens: int


def llm_settings(settings: AlertSettings, env: Mapping[str, str] | None = None) -> LlmSettings | None:
    """The narrative endpoint, or None when it is not configured or turned off."""
    endpoint = endpoint_from_env(env)
    if not settings.llm_enabled or endpoint is None:
        return None
    return LlmSettings(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=endpoint.api_key,
        timeout_s=settings.llm_timeout_s,
        max_chars=settings.llm_max_chars,
        max_tokens=settings.llm_max_tokens,
    )
