"""Optional LLM narrative: a short interpretation of the aggregated taluka figures, validated before use.

The model sees only ``facts()``: taluka, district and state names, statuses and aggregate counts. No customer
names, phone numbers or lead ids exist in that input. An answer is used only when it is plain text, no longer
than ``max_chars`` and every number in it appears in the input; otherwise (or on any error or timeout) the
caller keeps the deterministic paragraph.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alert_agent.rank import ScoredTaluka
from alert_agent.reasons import whole_percent
from alert_agent.settings import LlmSettings
from ground.llm import numbers_in

SYSTEM_PROMPT = (
    "You are a sales operations analyst. Write one short paragraph (at most 3 sentences, plain text, no "
    "lists, no markdown, no links) telling leadership what the taluka figures below mean and where to act "
    "first. Use only numbers that appear in the data, exactly as written there; do not compute new figures."
)


@dataclass(frozen=True)
class NarrativeResult:
    status: str  # ok | disabled | rejected | error
    text: str | None = None
    detail: str = ""


def facts(talukas: Sequence[ScoredTaluka], as_of: str, window_days: int) -> dict[str, Any]:
    """The aggregated, non-personal figures the model may see (and the only numbers it may quote)."""
    return {
        "as_of_date": as_of,
        "window_days": window_days,
        "talukas": [
            {
                "rank": t.rank,
                "taluka": t.signal.taluka,
                "district": t.signal.district,
                "state": t.signal.state,
                "status": t.signal.status,
                "dealers": t.signal.dealer_count,
                "leads": t.signal.leads_cur,
                "leads_previous_window": t.signal.leads_prev,
                "lead_growth_pct": whole_percent(t.signal.lead_growth),
                "high_intent_leads": t.signal.hi_leads_cur,
                "high_intent_leads_previous_window": t.signal.hi_leads_prev,
                "high_intent_growth_pct": whole_percent(t.signal.hi_lead_growth),
                "retail_units": t.signal.retail_cur,
                "saleable_stock": t.signal.saleable_stock,
                "total_stock": t.signal.total_stock,
                "supply_gap": t.is_supply_gap,
                "excess_stock": t.is_excess_stock,
            }
            for t in talukas
        ],
    }


def validate(answer: str, input_facts: dict[str, Any], max_chars: int) -> str:
    """The cleaned answer, or ValueError saying why it cannot be used."""
    text = " ".join(answer.split())
    if not text:
        raise ValueError("empty answer")
    if len(text) > max_chars:
        raise ValueError(f"answer is {len(text)} characters, the limit is {max_chars}")
    if re.search(r"[<>{}\[\]`*#|]|https?://|www\.", text):
        raise ValueError("answer contains markup, markdown or a link")
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 5:
        raise ValueError("answer is not prose")
    unknown = numbers_in(text) - numbers_in(json.dumps(input_facts, ensure_ascii=False))
    if unknown:
        raise ValueError(f"answer quotes figures that are not in the data: {sorted(unknown)}")
    return text


def generate(
    talukas: Sequence[ScoredTaluka],
    as_of: str,
    window_days: int,
    settings: LlmSettings | None,
    http_client: Any = None,
) -> NarrativeResult:
    """Ask the configured OpenAI-compatible endpoint; never raises (the email does not depend on it)."""
    if settings is None:
        return NarrativeResult(
            "disabled", detail="SCV_LLM_BASE_URL and SCV_LLM_MODEL not set, or alert.llm.enabled false"
        )
    if not talukas:
        return NarrativeResult("disabled", detail="nothing to interpret")
    input_facts = facts(talukas, as_of, window_days)
    try:
        answer = _complete(settings, input_facts, http_client)
    except Exception as exc:  # any transport, protocol or parsing error: fall back, with the cause
        return NarrativeResult("error", detail=f"{type(exc).__name__}: {exc}"[:300])
    try:
        return NarrativeResult("ok", text=validate(answer, input_facts, settings.max_chars))
    except ValueError as exc:
        return NarrativeResult("rejected", detail=str(exc)[:300])


def ask(
    input_facts: dict[str, Any], settings: LlmSettings | None, system_prompt: str, http_client: Any = None
) -> NarrativeResult:
    """Another email's narrative from its own facts: the same endpoint, rules and validation (never raises)."""
    if settings is None:
        return NarrativeResult(
            "disabled", detail="SCV_LLM_BASE_URL and SCV_LLM_MODEL not set, or alert.llm.enabled false"
        )
    try:
        answer = _complete(settings, input_facts, http_client, system_prompt)
    except Exception as exc:  # any transport, protocol or parsing error: fall back, with the cause
        return NarrativeResult("error", detail=f"{type(exc).__name__}: {exc}"[:300])
    try:
        return NarrativeResult("ok", text=validate(answer, input_facts, settings.max_chars))
    except ValueError as exc:
        return NarrativeResult("rejected", detail=str(exc)[:300])


def _complete(
    settings: LlmSettings, input_facts: dict[str, Any], http_client: Any, system_prompt: str = SYSTEM_PROMPT
) -> str:
    from openai import OpenAI

    client = OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key,
        timeout=settings.timeout_s,
        max_retries=0,
        http_client=http_client,
    )
    response = client.chat.completions.create(
        model=settings.model,
        messages=[
            {"role": "system", "content": system_prompt},
            {"role": "user", "content": json.dumps(input_facts, ensure_ascii=False, indent=1)},
        ],
        max_tokens=settings.max_tokens,
        temperature=0.2,
    )
    content = response.choices[0].message.content if response.choices else None
    if not isinstance(content, str):
        raise ValueError("no text in the completion")
    return content
