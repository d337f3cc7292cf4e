"""Scoring what a call says: the rule lexicon (conf ``accounts.sentiment``) and the optional LLM classifier.

The lexicon is the rule and the fallback: every term found in a note adds its weight (a negator up to two words
before it flips the sign), the sum clipped to -1..1. The LLM classifier follows the rules of the alert's
narrative: a note leaves only after names, numbers and addresses are removed from it (``redact``), the model
answers with one label per note, an answer that is not exactly that is discarded (``parse_labels``), and any
error keeps the lexicon's score. Pure functions, except ``ask_model`` (the HTTP call).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ground.llm import endpoint_from_env

LABELS = ("positive", "neutral", "negative")
_WORD = re.compile(r"[a-z']+")
_DIGITS = re.compile(r"\+?\d[\d\s().-]{3,}\d")  # a phone number, an account or vehicle number: 5+ digits
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Shri|Smt)\.?\s+", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'-]+")
SYSTEM_PROMPT = (
    "You label the sentiment of short notes a sales agent typed after calls with a business customer. For "
    "each numbered note answer positive, neutral or negative: negative means complaints, dissatisfaction, "
    "a competitor, cancelling or not buying. Answer with a JSON array of the labels only, one per note, in order."
)


def note_terms(text: str | None, lexicon: Mapping[str, float], negators: Iterable[str]) -> list[tuple[str, float]]:
    """The lexicon terms in ``text`` (whole words, case ignored) with their weights; after a negator, the
    negator and the term with the weight flipped ("not happy")."""
    if not text:
        return []
    tokens = _WORD.findall(text.lower())
    negating = {n.lower() for n in negators}
    found = []
    for term, weight in lexicon.items():
        words = term.lower().split()
        for i in range(len(tokens) - len(words) + 1):
            if tokens[i : i + len(words)] == words:
                negator = next((t for t in tokens[max(0, i - 2) : i] if t in negating), None)
                found.append((f"{negator} {term}", -weight) if negator else (term, weight))
    return found


def clip(value: float) -> float:
    return max(-1.0, min(1.0, value))


def score_note(text: str | None, lexicon: Mapping[str, float], negators: Iterable[str]) -> tuple[float, list[str]]:
    """The note's score (-1..1) and its negative terms."""
    found = note_terms(text, lexicon, negators)
    return clip(sum(w for _, w in found)), sorted({t for t, w in found if w < 0})


# ------------------------------------------------------------------------------------------ the LLM classifier
@dataclass(frozen=True)
class LlmEndpoint:
    base_url: str
    model: str
    api_key: str
    timeout_s: float


def endpoint(enabled: bool, timeout_s: float, env: Mapping[str, str] | None = None) -> LlmEndpoint | None:
    """The OpenAI-compatible endpoint every caller of a model uses (ground.llm: SCV_LLM_BASE_URL, SCV_LLM_MODEL,
    SCV_LLM_API_KEY), or None when it is not configured or turned off."""
    found = endpoint_from_env(env)
    if not enabled or found is None:
        return None
    return LlmEndpoint(found.base_url, found.model, found.api_key, timeout_s)


# Capitalised words a note may keep (sentence starters); any other capitalised word could be a name and is removed.
_COMMON = (
    "a an the i we he she they it this that these those is was are were will would can could should may might "
    "asked ask says said spoke called call calls discussed sent wants want needs need wanted told confirmed "
    "customer client manager owner fleet very still also again already please follow followed waiting visit "
    "visited meeting met next last new old today tomorrow yesterday week month year quarter order orders "
    "delivery payment finance quotation price service vehicle vehicles truck trucks van pickup requested "
    "complained unhappy happy satisfied angry breakdown not no never yes ok good bad nobody"
)
COMMON_WORDS = frozenset(_COMMON.split())


def redact(text: str, known_names: Iterable[str] = (), keep: Iterable[str] = ()) -> str:
    """The note without what could identify a person: e-mail addresses, any number of five digits or more,
    known names (each of their words), honorifics, and every capitalised word that is not a common word (or in
    ``keep``: the lexicon's words), the first word of a sentence included."""
    out = _EMAIL.sub("[email]", text)
    out = _DIGITS.sub("[number]", out)
    words = sorted({w for name in known_names for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", name)}, key=len)
    for word in reversed(words):
        out = re.sub(rf"\b{re.escape(word)}\b", "[name]", out, flags=re.IGNORECASE)
    out = _HONORIFIC.sub("", out)
    allowed = COMMON_WORDS | {w.lower() for w in keep}
    return _CAPITALISED.sub(lambda m: m.group(0) if m.group(0).lower() in allowed else "[name]", out)


def parse_labels(answer: str, expected: int) -> list[str]:
    """The model's labels, or ValueError: exactly ``expected`` labels from LABELS in a JSON array, nothing else."""
    text = answer.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    labels = json.loads(text)
    if not isinstance(labels, list) or len(labels) != expected:
        raise ValueError(f"expected a JSON array of {expected} labels")
    cleaned = [str(label).strip().lower() for label in labels]
    unknown = sorted(set(cleaned) - set(LABELS))
    if unknown or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"unknown labels {unknown}")
    return cleaned


Complete = Callable[[LlmEndpoint, str], str]  # (endpoint, user message) -> the model's answer


def ask_model(settings: LlmEndpoint, message: str) -> str:
    from openai import OpenAI

    client = OpenAI(base_url=settings.base_url, api_key=settings.api_key, timeout=settings.timeout_s, max_retries=0)
    response = client.chat.completions.create(
        model=settings.model,
        messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": message}],
        temperature=0.0,
    )
    content = response.choices[0].message.content if response.choices else None
    if not isinstance(content, str):
        raise ValueError("no text in the completion")
    return content


@dataclass
class Classified:
    labels: dict[str, str]  # note -> label, for the notes the model labelled validly
    batches: int = 0
    rejected: int = 0  # batches discarded (error, or an invalid answer): their notes keep the lexicon
    detail: str = ""


def classify(
    notes: Sequence[str],
    settings: LlmEndpoint,
    known_names: Iterable[str] = (),
    batch_size: int = 40,
    complete: Complete | None = None,
    keep: Iterable[str] = (),
) -> Classified:
    """Label ``notes`` in batches; never raises. Only redacted notes leave, numbered 1..n."""
    complete = complete or ask_model
    names, kept = list(known_names), list(keep)
    result = Classified({})
    for start in range(0, len(notes), batch_size):
        batch = list(notes[start : start + batch_size])
        message = "\n".join(f"{i}. {redact(note, names, kept)}" for i, note in enumerate(batch, start=1))
        result.batches += 1
        try:
            labels = parse_labels(complete(settings, message), len(batch))
        except Exception as exc:  # any transport, protocol or validation error: keep the lexicon for the batch
            result.rejected += 1
            result.detail = f"{type(exc).__name__}: {exc}"[:200]
            continue
        result.labels.update(zip(batch, labels, strict=True))
    return result


def scorer(
    lexicon: Mapping[str, float],
    negators: Sequence[str],
    outcome_scores: Mapping[str, float],
    llm_labels: Mapping[str, str],
    label_scores: Mapping[str, float],
) -> Callable[[Iterable[Any]], Iterable[Any]]:
    """The mapInPandas function scoring account_calls rows: outcome plus note (the LLM's label where it gave
    one, else the lexicon), clipped to -1..1, with the note's negative terms."""
    import pandas as pd

    default = float(outcome_scores["default"])

    def score(frames: Iterable[pd.DataFrame]) -> Iterable[pd.DataFrame]:
        for frame in frames:
            rows = []
            for outcome, notes in zip(frame["outcome"], frame["notes"], strict=True):
                text = notes if isinstance(notes, str) and notes.strip() else None
                lexical, terms = score_note(text, lexicon, negators)
                label = llm_labels.get(text) if text else None
                note_score = float(label_scores[label]) if label else lexical
                outcome_score = float(outcome_scores.get(outcome, default)) if isinstance(outcome, str) else default
                rows.append((outcome_score, note_score, clip(outcome_score + note_score), terms,
                             "llm" if label else "lexicon"))  # fmt: skip
            scored = pd.DataFrame(
                rows, columns=["outcome_score", "note_score", "call_score", "negative_terms", "scored_by"]
            )
            keep = frame[["account_id", "call_id", "call_date", "is_connected"]].reset_index(drop=True)
            yield pd.concat([keep, scored], axis=1)

    return score


SCORED_DDL = (
    "account_id string, call_id string, call_date date, is_connected boolean, outcome_score double, "
    "note_score double, call_score double, negative_terms array<string>, scored_by string"
)
