"""The OpenAI-compatible model endpoint the alert narrative and ``scv ask`` may use, and the check both apply to
its answers: every figure in the text must appear in the data it was given.

The endpoint comes from the environment only (``SCV_LLM_BASE_URL``, ``SCV_LLM_MODEL``, ``SCV_LLM_API_KEY``); when
it is not set, nothing is sent anywhere and the callers use their deterministic text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    api_key: str = field(repr=False)


def endpoint_from_env(env: Mapping[str, str] | None = None) -> Endpoint | None:
    env = os.environ if env is None else env
    base_url, model = env.get("SCV_LLM_BASE_URL", "").strip(), env.get("SCV_LLM_MODEL", "").strip()
    if not base_url or not model:
        return None
    return Endpoint(base_url, model, env.get("SCV_LLM_API_KEY", "") or "not-needed")


def _normalise(number: str) -> str:
    value = number.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


def numbers_in(text: str) -> set[str]:
    """Every number written in ``text``, normalised (``1,200`` -> ``1200``, ``2.50`` -> ``2.5``)."""
    return {_normalise(n) for n in _NUMBER.findall(text)}
