"""What a call says: the rule lexicon, the redaction before a note may leave, the LLM classifier's validation
and fallback, and the per-call scoring (gold/account_notes.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from gold.account_notes import (
    LlmEndpoint,
    classify,
    endpoint,
    parse_labels,
    redact,
    score_note,
    scorer,
)
from testkit import base_config

LEXICON = {"happy": 0.6, "complained": -0.7, "another brand": -0.8, "delay": -0.4}
NEGATORS = ["not", "never"]
ENDPOINT = LlmEndpoint("http://127.0.0.1:9/v1", "test-model", "key", 1.0)


def test_the_lexicon_adds_whole_word_terms_and_flips_them_after_a_negator() -> None:
    assert score_note("Happy with the delivery", LEXICON, NEGATORS) == (0.6, [])
    assert score_note("Complained about a delay, considering another brand", LEXICON, NEGATORS) == (
        -1.0,  # -0.7 - 0.4 - 0.8, clipped
        ["another brand", "complained", "delay"],
    )
    assert score_note("not at all happy", LEXICON, NEGATORS) == (0.0 + 0.6, [])  # the negator is 3 words back
    assert score_note("not happy", LEXICON, NEGATORS) == (-0.6, ["not happy"])
    assert score_note("unhappy", LEXICON, NEGATORS) == (0.0, [])  # "happy" is not a word of it
    assert score_note(None, LEXICON, NEGATORS) == (0.0, [])


def test_redaction_removes_names_numbers_and_addresses() -> None:
    note = "Spoke to Mr Suresh Patil (Patil Transport), call back on +91 98765-43210 or suresh@patil.in. Happy"
    out = redact(note, ["Patil Transport (Haveli)"], keep=["happy"])
    assert out == "Spoke to [name] [name] ([name] [name]), call back on [number] or [email]. Happy"
    assert redact("Ramesh unhappy about the delay") == "[name] unhappy about the delay"  # a first word too


def test_labels_must_be_one_valid_label_per_note() -> None:
    assert parse_labels('["positive", "Negative"]', 2) == ["positive", "negative"]
    assert parse_labels('```json\n["neutral"]\n```', 1) == ["neutral"]
    for answer in ('["positive"]', '["positive", "angry"]', "positive, negative", '{"1": "positive"}'):
        with pytest.raises(ValueError):
            parse_labels(answer, 2)


def test_the_classifier_sends_redacted_notes_and_keeps_the_lexicon_on_a_bad_answer() -> None:
    sent: list[str] = []

    def complete(settings: LlmEndpoint, message: str) -> str:
        sent.append(message)
        return '["negative", "positive"]' if len(sent) == 1 else "I think they are all positive"

    notes = ["Asha Rao complained, call 9822012345", "Happy", "Delay again"]
    done = classify(notes, ENDPOINT, known_names=["Asha Rao"], batch_size=2, complete=complete)
    assert done.labels == {notes[0]: "negative", notes[1]: "positive"}  # the second batch fell back
    assert (done.batches, done.rejected) == (2, 1)
    assert sent[0] == "1. [name] [name] complained, call [number]\n2. Happy"
    assert not any(ch.isdigit() for ch in sent[0].replace("1. ", "").replace("2. ", ""))


def test_no_endpoint_without_the_environment_or_when_turned_off() -> None:
    env = {"SCV_LLM_BASE_URL": "http://x/v1", "SCV_LLM_MODEL": "m"}
    assert endpoint(True, 5.0, {}) is None
    assert endpoint(False, 5.0, env) is None
    assert endpoint(True, 5.0, env) == LlmEndpoint("http://x/v1", "m", "not-needed", 5.0)


def test_a_call_scores_its_outcome_plus_its_note() -> None:
    cfg = base_config().pipeline.accounts.sentiment
    score = scorer(cfg.lexicon, cfg.negators, cfg.outcome_scores, {"Fleet expanding": "positive"},
                   cfg.llm.label_scores)  # fmt: skip
    frame = pd.DataFrame(
        {
            "account_id": ["A", "A", "A"],
            "call_id": ["C1", "C2", "C3"],
            "call_date": ["2024-01-01"] * 3,
            "is_connected": [True, False, True],
            "outcome": ["Connected", "Switched Off", "Connected"],
            "notes": ["Unhappy with the service, very dissatisfied", None, "Fleet expanding"],
        }
    )
    out = next(iter(score([frame])))
    # the note -0.7 - 0.8 clipped to -1, plus 0.1 connected; switched off -0.3; 0.1 plus the LLM label 0.6
    assert out["call_score"].tolist() == pytest.approx([-0.9, -0.3, 0.7])
    assert out["scored_by"].tolist() == ["lexicon", "lexicon", "llm"]
    assert out["negative_terms"].tolist() == [["dissatisfied", "unhappy"], [], []]
