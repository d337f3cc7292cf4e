"""Configuration: committed defaults in conf/base, environment overrides in conf/<SCV_ENV>, paths from env.

Every YAML file in ``conf/base/`` is merged into one mapping; then every YAML file in ``conf/<env>/`` is merged
over it (``SCV_ENV``, default ``local``; ``conf/local/`` is not tracked). ``SCV_CONF_DIR`` points at another
configuration folder (one holding ``base/``). The file each key came from is remembered, so an error names
it: ``conf/base/pipeline.yaml: scoring.weights: ...``.

Sections are validated by the module that owns them: ``paths`` and ``engine`` here, the pipeline sections in
``ground.settings``, ``sources`` in ``ground.sources`` (both when the configuration is loaded, before any
engine starts), ``alert`` in ``alert_agent``, ``app`` in ``app``. Secrets never live in YAML: they are read
from the environment where they are used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ground.errors import ConfigError, Origins
from ground.settings import PipelineSettings, pipeline_settings
from ground.sources import SourceSpec, load_sources

PROJECT_ROOT = Path(__file__).resolve().parents[1]

PATH_ENV_VARS = {
    "lake_root": "SCV_LAKE_ROOT",
    "landing_dir": "SCV_LANDING_DIR",
    "outbox_dir": "SCV_OUTBOX_DIR",
    "truth_dir": "SCV_TRUTH_DIR",
}


__all__ = ["Config", "ConfigError", "EngineConfig", "Paths", "load_config"]


def conf_dir() -> Path:
    return Path(os.environ.get("SCV_CONF_DIR") or PROJECT_ROOT / "conf")


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


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _record_origins(content: Any, file: str, origins: dict[str, str], prefix: str = "") -> None:
    """Remember ``file`` as the origin of every key (nested keys dotted) that ``content`` sets."""
    if not isinstance(content, dict):
        return
    for key, value in content.items():
        dotted = f"{prefix}{key}"
        origins[dotted] = file
        _record_origins(value, file, origins, f"{dotted}.")


def _read_yaml_dir(folder: Path, origins: dict[str, str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if not folder.is_dir():
        return merged
    for path in sorted(folder.glob("*.yaml")):
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{_shown(path)}: not valid YAML: {exc}") from exc
        if not isinstance(content, dict):
            raise ConfigError(f"{_shown(path)}: expected a mapping at the top level")
        _record_origins(content, _shown(path), origins)
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


@dataclass(frozen=True)
class EngineConfig:
    remote: str | None = None
    shuffle_partitions: int = 4
    udf_processes: int = 0  # embedded: worker processes for the Python UDFs' work, 0 one per core (ground/udf_pool.py)
    spark_conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    env: str
    paths: Paths
    engine: EngineConfig
    raw: dict[str, Any]
    origins: Origins = field(default_factory=Origins)  # dotted key -> the file that set it

    def section(self, name: str) -> dict[str, Any]:
        """One top-level section of the merged YAML (empty when absent)."""
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise self.error(name, "must be a mapping")
        return value

    def error(self, key: str, message: str) -> ConfigError:
        """``<file>: <key>: <message>``, the form every configuration mistake is reported in."""
        return self.origins.error(key, message)

    @cached_property
    def pipeline(self) -> PipelineSettings:
        """The pipeline sections (pipeline, windows, hotspot, supply, scoring), typed and validated."""
        return pipeline_settings(self.raw, self.origins)

    @cached_property
    def sources(self) -> dict[str, SourceSpec]:
        """The source mapping, validated against the catalogue."""
        return load_sources(self.raw, self.origins)

    def validate(self) -> Config:
        """Validate every section the pipeline reads; raises ConfigError naming the file and the key."""
        _ = self.pipeline, self.sources
        return self

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with top-level sections deep-merged (used by tests and one-off runs)."""
        override_origins: dict[str, str] = {}
        _record_origins(overrides, "override", override_origins)
        origins = _merged_origins(self.origins, override_origins, overrides)
        return build_config(merge_layers(self.raw, overrides), env=self.env, origins=origins).validate()


def build_config(raw: dict[str, Any], env: str = "local", origins: dict[str, str] | None = None) -> Config:
    paths_raw = raw.get("paths", {})
    paths: dict[str, str] = {}
    for name, env_var in PATH_ENV_VARS.items():
        value = os.environ.get(env_var) or paths_raw.get(name)
        if not value:
            raise ConfigError(f"paths.{name} is not configured (set it in conf/ or via {env_var})")
        paths[name] = resolve_location(str(value))
    engine_raw = raw.get("engine", {}) or {}
    remote = os.environ.get("SCV_SPARK_REMOTE") or engine_raw.get("remote")
    udf_processes = int(engine_raw.get("udf_processes", 0))
    if udf_processes < 0:
        raise Origins(origins or {}).error("engine.udf_processes", "must be 0 (one per core) or more")
    engine = EngineConfig(
        remote=remote or None,
        shuffle_partitions=int(engine_raw.get("shuffle_partitions", 4)),
        udf_processes=udf_processes,
        spark_conf={str(k): str(v) for k, v in (engine_raw.get("spark_conf") or {}).items()},
    )
    return Config(env=env, paths=Paths(**paths), engine=engine, raw=raw, origins=Origins(origins or {}))


def load_config(env: str | None = None, folder: Path | None = None, *, only_base: bool = False) -> Config:
    """Load conf/base merged with conf/<env>, apply the path environment variables and validate.

    ``only_base`` ignores every environment folder (the tests' configuration: a developer's conf/local must
    not leak in).
    """
    env = env or os.environ.get("SCV_ENV", "local")
    folder = folder or conf_dir()
    base = folder / "base"
    if not base.is_dir():
        raise ConfigError(f"configuration folder {base} does not exist")
    origins: dict[str, str] = {}
    raw = _read_yaml_dir(base, origins)
    if not only_base:
        env_origins: dict[str, str] = {}
        env_raw = _read_yaml_dir(folder / env, env_origins)
        raw = merge_layers(raw, env_raw)
        origins = _merged_origins(origins, env_origins, env_raw)
    return build_config(raw, env=env, origins=origins).validate()


def _merged_origins(base: dict[str, str], override: dict[str, str], override_raw: dict[str, Any]) -> dict[str, str]:
    """Origins after ``merge_layers``: a source mapping the override replaces keeps none of the base's keys."""
    replaced = [f"sources.{name}." for name in (override_raw.get("sources") or {})]
    kept = {k: v for k, v in base.items() if not any(k.startswith(prefix) for prefix in replaced)}
    return {**kept, **override}
