"""The optional LLM narrative against a local fake OpenAI-compatible server: a good answer is used, garbage,
markup, errors and timeouts fall back to the deterministic paragraph, and only aggregates leave the machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alert_helpers import FakeOpenAI, make_config, realistic_rows, write_realistic_gold

from alert_agent.narrative import facts, generate, numbers_in, validate
from alert_agent.rank import TalukaSignal, rank_talukas
from alert_agent.settings import AlertSettings, LlmSettings, llm_settings
from alert_agent.view import clean
from testkit.rows import AS_OF

GOOD = (
    "Haveli in Pune is the most urgent HOTSPOT: high-intent leads rose 100% to 30 with 0 retail units, "
    "a clear supply gap. Sinnar in Nashik shows the same gap, with 20 high-intent leads and no saleable stock."
)
TOP3 = rank_talukas([TalukaSignal.from_row(r) for r in realistic_rows()], AlertSettings().weights)[:3]


def llm(base_url: str, timeout_s: float = 5.0, max_chars: int = 600) -> LlmSettings:
    return LlmSettings(base_url=base_url, model="m1", api_key="test-key", timeout_s=timeout_s,
                       max_chars=max_chars, max_tokens=200)  # fmt: skip


def test_a_valid_answer_is_used_and_the_request_carries_aggregates_only() -> None:
    with FakeOpenAI(GOOD) as fake:
        result = generate(TOP3, "2026-11-21", 5, llm(fake.base_url))
    assert (result.status, result.text) == ("ok", GOOD)
    (request,) = fake.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer test-key"
    body = request["json"]
    assert (body["model"], body["max_tokens"]) == ("m1", 200)
    sent = json.loads(body["messages"][1]["content"])
    assert sent == facts(TOP3, "2026-11-21", 5)
    assert set(sent["talukas"][0]) == {
        "rank", "taluka", "district", "state", "status", "dealers", "leads", "leads_previous_window",
        "lead_growth_pct", "high_intent_leads", "high_intent_leads_previous_window", "high_intent_growth_pct",
        "retail_units", "saleable_stock", "total_stock", "supply_gap", "excess_stock",
    }  # fmt: skip
    assert not any(word in json.dumps(body).lower() for word in ("customer", "phone", "opty", "dealer_code"))


@pytest.mark.parametrize(
    "answer,reason",
    [
        ("Haveli will sell 250 trucks next week, up 340% on last year, so order more stock now.", "250"),
        ("<b>Act now</b> in Haveli, where high-intent leads are 30 and retail is 0.", "markup"),
        ("Haveli leads the list. **Order stock** for Pune and follow up with the dealers today.", "markdown"),
        ("See https://evil.example.com for details about Haveli and the other talukas.", "link"),
        ("", "empty"),
        ("ok 30", "not prose"),
        ("Haveli is the top taluka with 30 high-intent leads. " * 20, "characters"),
    ],
)
def test_garbage_answers_are_rejected(answer: str, reason: str) -> None:
    with FakeOpenAI(answer) as fake:
        result = generate(TOP3, "2026-11-21", 5, llm(fake.base_url))
    assert result.status == "rejected" and result.text is None
    assert reason in result.detail


def test_server_errors_and_timeouts_fall_back() -> None:
    with FakeOpenAI(GOOD, status=500) as fake:
        failed = generate(TOP3, "2026-11-21", 5, llm(fake.base_url))
    assert failed.status == "error" and "InternalServerError" in failed.detail
    with FakeOpenAI(GOOD, delay_s=1.5) as slow:
        timed_out = generate(TOP3, "2026-11-21", 5, llm(slow.base_url, timeout_s=0.3))
    assert timed_out.status == "error" and "Timeout" in timed_out.detail
    refused = generate(TOP3, "2026-11-21", 5, llm("http://127.0.0.1:9/v1"))
    assert refused.status == "error" and "Connection" in refused.detail


def test_validation_of_figures() -> None:
    input_facts = facts(TOP3, "2026-11-21", 5)
    assert {"64", "40", "60", "100", "2026", "11", "21", "5", "1"} <= numbers_in(json.dumps(input_facts))
    assert numbers_in("1,200 units, 2.50x and 75%") == {"1200", "2.5", "75"}
    assert validate("  Haveli   has 64 leads,\n up 60% on 40 before in the last 5 days. ", input_facts, 600) == (
        "Haveli has 64 leads, up 60% on 40 before in the last 5 days."
    )
    with pytest.raises(ValueError, match=r"not in the data: \['61'\]"):
        validate("Haveli has 64 leads, up 61% on the previous window there.", input_facts, 600)


def test_not_configured_or_turned_off_means_no_call() -> None:
    assert llm_settings(AlertSettings(), env={}) is None
    env = {"SCV_LLM_BASE_URL": "http://127.0.0.1:1/v1", "SCV_LLM_MODEL": "m"}
    assert llm_settings(AlertSettings(llm_enabled=False), env=env) is None
    assert llm_settings(AlertSettings(), env=env).api_key == "not-needed"
    assert generate(TOP3, "2026-11-21", 5, None).status == "disabled"
    assert generate([], "2026-11-21", 5, llm("http://127.0.0.1:1/v1")).status == "disabled"


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeOpenAI) -> tuple[str, object]:
    from alert_agent.run import run_alert

    cfg = make_config(tmp_path, monkeypatch, recipients={
        "leadership": ["ceo@example.com", "cro@example.com"],
        "district_managers": [{"email": "pune@example.com", "districts": ["Pune"]}]})  # fmt: skip
    write_realistic_gold(cfg.paths.lake_root)
    env = {"SCV_LLM_BASE_URL": fake.base_url, "SCV_LLM_MODEL": "m1", "SCV_LLM_API_KEY": "k"}
    run = run_alert(cfg, is_dry_run=True, env=env)
    html = (Path(cfg.paths.outbox_dir) / AS_OF.isoformat() / "hotspot_top--ceo_at_example.com.html").read_text()
    return html, run


def test_the_email_uses_a_valid_narrative_once_per_set_of_talukas(tmp_path, monkeypatch) -> None:
    with FakeOpenAI(GOOD) as fake:
        html, run = _run(tmp_path, monkeypatch, fake)
    assert clean(GOOD) in html and "Written by the language model m1" in html
    assert len(fake.requests) == 2  # leadership (two recipients, same talukas) and the Pune manager


def test_the_email_is_complete_without_a_usable_narrative(tmp_path, monkeypatch) -> None:
    with FakeOpenAI("Haveli will sell 999 trucks tomorrow, trust me on this one, boss.") as fake:
        html, run = _run(tmp_path, monkeypatch, fake)
    assert "999" not in html and "language model" not in html
    assert "2 talukas are HOTSPOT and 2 are EMERGING as of 2026-11-21." in html
    assert {r.status for r in run.narratives.values()} == {"rejected"}
