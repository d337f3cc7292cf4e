"""account_sentiment: the trend of what accounts say on calls.

Every call on an account's opportunities (the ``account_calls`` view) is scored here: its outcome
(``accounts.sentiment.outcome_scores``) plus its notes, scored by the rule lexicon in conf or, when an LLM is
configured, by the model's label for the note (``gold.account_notes``: names and numbers removed before a note
leaves, invalid answers discarded, the lexicon as the fallback). The scored calls are staged once per run
(``account_call_scores``: account_health reads them again for its trailing dates) and
``sql/gold/account_sentiment.sql`` turns them into each account's recent mean against its prior, label and trend.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gold.account_notes import SCORED_DDL, Classified, classify, endpoint, scorer
from ground.catalogue import GOLD_TABLES
from ground.run import StepResult
from ground.spark_io import replace_dates, stage

if TYPE_CHECKING:
    from gold.graph import GoldRun

TABLE = "account_sentiment"
SCORES = "account_call_scores"  # the staged scored calls, registered under this name for the run


def _llm_labels(run: GoldRun, calls_df: DataFrame) -> tuple[dict[str, str], str]:
    """The model's labels of the distinct notes of the run's recent windows (at most llm.max_notes), and what
    happened; empty when no endpoint is configured."""
    cfg = run.ctx.settings.accounts.sentiment
    settings = endpoint(cfg.llm.enabled, cfg.llm.timeout_s)
    if settings is None:
        return {}, ""
    first = min(run.dates)
    recent = calls_df.where(F.col("call_date") > F.date_sub(F.lit(first), cfg.recent_days))
    notes = [
        r.notes
        for r in recent.where(F.length(F.trim("notes")) > 0).select("notes").distinct().orderBy("notes")
        .limit(cfg.llm.max_notes).collect()
    ]  # fmt: skip
    if not notes:
        return {}, ""
    names = [r.name for r in run.spark.sql(
        "select account_name as name from accounts where account_name is not null union "
        "select customer_name as name from customer_pipeline where account_id is not null and customer_name is not null"
    ).collect()]  # fmt: skip
    keep = [w for term in cfg.lexicon for w in term.split()] + list(cfg.negators)
    done: Classified = classify(notes, settings, names, cfg.llm.batch_size, keep=keep)
    message = f"LLM labelled {len(done.labels)} of {len(notes)} notes"
    if done.rejected:
        message += f" ({done.rejected} of {done.batches} batches fell back to the lexicon: {done.detail})"
    return done.labels, message


def score_calls(calls_df: DataFrame, run: GoldRun, llm_labels: dict[str, str]) -> DataFrame:
    cfg = run.ctx.settings.accounts.sentiment
    score = scorer(cfg.lexicon, cfg.negators, cfg.outcome_scores, llm_labels, cfg.llm.label_scores)
    return calls_df.select("account_id", "call_id", "call_date", "is_connected", "outcome", "notes").mapInPandas(
        score, SCORED_DDL
    )


def build(run: GoldRun) -> list[StepResult]:
    from gold.graph import run_sql

    started = time.perf_counter()
    calls_df = run.spark.table("account_calls")
    labels, message = _llm_labels(run, calls_df)
    scored_df = stage(run.spark, score_calls(calls_df, run, labels), run.lake_root, SCORES)
    run.register(SCORES, scored_df)
    table = GOLD_TABLES[TABLE]
    replace_dates(run_sql(run.spark, TABLE, run.params), table, run.lake_root, run.dates)
    written = (
        run.spark.read.format("delta").load(table.location(run.lake_root)).where(F.col("as_of_date").isin(*run.dates))
    )
    run.register(TABLE, written)
    return [StepResult(f"gold:{TABLE}", rows_out=written.count(), seconds=time.perf_counter() - started,
                       message=message)]  # fmt: skip
