"""``scv ask --eval``: the evaluation set (ask/questions.yaml) against a model, scored per question: the expected
catalogue question called with the expected arguments and a checked answer; a question outside the scope or
the catalogue refused (nothing shown but the refusal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ask.answer import Answer, with_model
from ask.settings import AskSettings
from ask.tools import Reader
from ground.llm import Endpoint

QUESTIONS = Path(__file__).with_name("questions.yaml")


def questions() -> list[dict[str, Any]]:
    return list(yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"])


def is_correct(item: dict[str, Any], answer: Answer) -> bool:
    expected_tool = item.get("tool")
    if item["kind"] in ("scope", "refusal") or expected_tool is None:
        # refused: no result outside the scope or the catalogue was shown, and the person was told why
        return answer.status == "fallback" and not any(r.tool == expected_tool for r in answer.results)
    if answer.status != "ok" or not answer.results:
        return False
    first = answer.results[0]
    wanted = {k: str(v) for k, v in (item.get("args") or {}).items()}
    got = {k: str(v) for k, v in first.arguments.items()}
    return first.tool == expected_tool and all(got.get(k, "").lower() == v.lower() for k, v in wanted.items())


def evaluate(endpoint: Endpoint, lake_root: str, settings: AskSettings, http_client: Any = None) -> dict[str, Any]:
    rows = []
    for item in questions():
        reader = Reader("manager", item["as_manager"]) if item.get("as_manager") else Reader("leader")
        answer = with_model(
            item["q"],
            endpoint,
            lake_root,
            reader,
            timeout_s=settings.timeout_s,
            max_tokens=settings.max_tokens,
            max_chars=settings.max_chars,
            max_rounds=settings.max_rounds,
            http_client=http_client,
        )
        rows.append(
            {
                "question": item["q"],
                "kind": item["kind"],
                "correct": is_correct(item, answer),
                "status": answer.status,
                "tools": [r.tool for r in answer.results],
                "message": answer.message,
            }
        )
    kinds = sorted({r["kind"] for r in rows})
    return {
        "questions": len(rows),
        "correct": sum(r["correct"] for r in rows),
        "share_correct": round(sum(r["correct"] for r in rows) / len(rows), 3),
        "by_kind": {
            k: f"{sum(r['correct'] for r in rows if r['kind'] == k)}/{sum(r['kind'] == k for r in rows)}" for k in kinds
        },  # fmt: skip
        "wrong": [r for r in rows if not r["correct"]],
    }
