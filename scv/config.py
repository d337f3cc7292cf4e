"""Configuration: committed defaults in conf/base, environment overrides in conf/<SCV_ENV>, paths from env.

Every YAML file in ``conf/base/`` is merged into one mapping; then every YAML file in ``conf/<env>/`` is merged
over it (``SCV_ENV``, default ``local``; ``conf/local/`` is not tracked). Sections are validated by the module
that owns them: ``paths`` and ``engine`` here, ``sources`` in ``jobs.mapping``, ``alert`` in ``alert_agent``,
``app`` in ``app``. Secrets never live in YAML: they are read from the environment where they are used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = Path(os.environ.get("SCV_CONF_DIR", PROJECT_ROOT / "conf"))

PATH_ENV_VARS = {
    "lake_root": "SCV_LAKE_ROOT",
    "landing_dir": "SCV_LANDING_DIR",
    "outbox_dir": "SCV_OUTBOX_DIR",
    "truth_dir": "SCV_TRUTH_DIR",
}


class ConfigError(ValueError):
    """A configuration file or value is missing or malformed."""


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged in; nested mappings merge, everything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_layers(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge a configuration layer over another. A source mapping (``sources.<name>``) in the override
    replaces the base one whole: a new export format must not inherit the old format's columns."""
    merged = deep_merge(base, override)
    for name, mapping in (override.get("sources") or {}).items():
        merged["sources"][name] = mapping
    return merged


def _read_yaml_dir(folder: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if not folder.is_dir():
        return merged
    for path in sorted(folder.glob("*.yaml")):
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(content, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        merged = deep_merge(merged, content)
    return merged


def resolve_location(value: str) -> str:
    """Resolve a relative path against the project root; URIs such as s3://bucket/lake pass through."""
    if "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (PROJECT_ROOT / path).resolve())


@dataclass(frozen=True)
class Paths:
    lake_root: str
    landing_dir: str
    outbox_dir: str
    truth_dir: str

    def lake(self, *parts: str) -> str:
        """Location of a table under the lake root, e.g. ``lake("gold", "dealer_stock")``."""
        return "/".join([self.lake_root.rstrip("/"), *parts])


@dataclass(frozen=True)
class EngineConfig:
    remote: str | None = None
    shuffle_partitions: int = 4
    spark_conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    env: str
    paths: Paths
    engine: EngineConfig
    raw: dict[str, Any]

    def section(self, name: str) -> dict[str, Any]:
        """One top-level section of the merged YAML (empty when absent)."""
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"configuration section {name!r} must be a mapping")
        return value

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with top-level sections deep-merged (used by tests and one-off runs)."""
        return build_config(merge_layers(self.raw, overrides), env=self.env)


def build_config(raw: dict[str, Any], env: str = "local") -> Config:
    paths_raw = raw.get("paths", {})
    paths: dict[str, str] = {}
    for name, env_var in PATH_ENV_VARS.items():
        value = os.environ.get(env_var) or paths_raw.get(name)
        if not value:
            raise ConfigError(f"paths.{name} is not configured (set it in conf/ or via {env_var})")
        paths[name] = resolve_location(str(value))
    engine_raw = raw.get("engine", {}) or {}
    remote = os.environ.get("SCV_SPARK_REMOTE") or engine_raw.get("remote")
    engine = EngineConfig(
        remote=remote or None,
        shuffle_partitions=int(engine_raw.get("shuffle_partitions", 4)),
        spark_conf={str(k): str(v) for k, v in (engine_raw.get("spark_conf") or {}).items()},
    )
    return Config(env=env, paths=Paths(**paths), engine=engine, raw=raw)


def load_config(env: str | None = None, conf_dir: Path | None = None) -> Config:
    """Load conf/base merged with conf/<env>, then apply the path environment variables."""
    env = env or os.environ.get("SCV_ENV", "local")
    conf_dir = conf_dir or CONF_DIR
    base = conf_dir / "base"
    if not base.is_dir():
        raise ConfigError(f"configuration folder {base} does not exist")
    raw = merge_layers(_read_yaml_dir(base), _read_yaml_dir(conf_dir / env))
    return build_config(raw, env=env)
