"""Operations and quarantine: what every run did, which files it took, what it sent, and what it set aside."""

from __future__ import annotations

from ground.catalogue.table import Table, cols

OPS = [
    Table(
        "runs",
        "ops",
        cols(
            "run_id string, as_of_date date, step string, status string, rows_in bigint, "
            "rows_out bigint, rows_quarantined bigint, seconds double, message string, "
            "started_at timestamp, finished_at timestamp, first_as_of_date date"
        ),
        key=("run_id", "as_of_date", "step"),
        description="One row per pipeline step per run: rows in/out/quarantined, duration, status; a run "
        "covers first_as_of_date to as_of_date.",
    ),
    Table(
        "nights",
        "ops",
        cols(
            "as_of_date date, run_id string, status string, missing string, failed_steps string, "
            "message string, finished_at timestamp"
        ),
        key=("as_of_date", "run_id"),
        description="The verdict of each run on every as-of date it covered: complete, incomplete (an "
        "expected source missing, a rejected file outstanding) or failed. scv alert reads it before sending.",
    ),
    Table(
        "restatements",
        "ops",
        cols("as_of_date date, run_id string, reason string, requested_at timestamp, done_run_id string"),
        key=("as_of_date", "run_id"),
        description="The earlier dates a night's late rows reach, whose gold it rebuilds with its own "
        "(jobs/restate.py); done_run_id is the run whose gold phase rebuilt them, null while none has (a night "
        "that failed): the next night rebuilds them too.",
    ),
    Table(
        "ingested_files",
        "ops",
        cols(
            "source string, file_name string, content_sha256 string, run_id string, rows bigint, "
            "rows_quarantined bigint, ingested_at timestamp, size_bytes bigint, modified_at timestamp"
        ),
        key=("source", "content_sha256"),
        description="Every landing file taken into bronze. A file with the name, size and modification time of "
        "one taken (or of one in seen_files) is skipped without being read; otherwise one with a known hash is "
        "skipped after hashing.",
    ),
    Table(
        "seen_files",
        "ops",
        cols("source string, file_name string, content_sha256 string, size_bytes bigint, modified_at timestamp"),
        key=("source", "file_name"),
        description="Landing files not taken because their content was taken before under another name or "
        "modification time (a resend, a touched file): their name, size and time, so that later nights skip them "
        "without hashing them again. Not ingested: ingested_files keeps the name the content was taken under.",
    ),
    Table(
        "rejected_files",
        "ops",
        cols(
            "source string, file_name string, content_sha256 string, size_bytes bigint, reason string, "
            "status string, note string, run_id string, first_seen_at timestamp, updated_at timestamp"
        ),
        key=("source", "content_sha256"),
        description="Every landing file bronze could not take, once: outstanding (a warning each night), "
        "skipped (acknowledged with scv files skip) or superseded (a corrected delivery was ingested).",
    ),
    Table(
        "mapping_checks",
        "ops",
        cols(
            "run_id string, source string, status string, files bigint, blockers string, warnings string, "
            "checked_at timestamp"
        ),
        key=("run_id", "source"),
        description="The night's first step: per source, the files its pattern matched and whether the newest "
        "file's header holds the mapped columns (scv mapping check does the full check).",
    ),
    Table(
        "leases",
        "ops",
        cols("name string, token string, host string, pid bigint, acquired_at timestamp, expires_at timestamp"),
        key=("name",),
        description="Who writes the lake now: one row per lease (the nightly run, an alert run), taken and "
        "given back through Delta commits so that two runs never write at once.",
    ),
    Table(
        "silver_progress",
        "ops",
        cols("source string, ingested_through timestamp, run_id string, updated_at timestamp"),
        key=("source",),
        description="How far into bronze each silver table has been built.",
    ),
    Table(
        "alert_ledger",
        "ops",
        cols(
            "as_of_date date, alert_type string, recipient string, subject string, message_id string, "
            "run_id string, send_count bigint, sent_at timestamp"
        ),
        key=("as_of_date", "alert_type", "recipient"),
        description="Every alert email the SMTP server accepted: a rerun never sends the same one twice.",
    ),
    Table(
        "dq_results",
        "ops",
        cols(
            "run_id string, as_of_date date, table_name string, expectation string, column_name string, "
            "severity string, success boolean, unexpected_count bigint, checked_at timestamp"
        ),
        key=("run_id", "table_name", "expectation", "column_name"),
        description="Great Expectations results per table and expectation, warn and fail levels.",
    ),
]

QUARANTINE = [
    Table(
        "bronze",
        "quarantine",
        cols(
            "source string, source_file string, source_line bigint, reason string, raw_line string, "
            "run_id string, ingested_at timestamp, content_sha256 string, superseded_run_id string"
        ),
        key=("source", "source_file", "source_line", "content_sha256"),
        description="Records that could not be parsed: wrong field count, bad encoding, broken quoting, a "
        "repeated header. Keyed by delivery: a line bad in two deliveries of a file is kept twice; the rows "
        "of a delivery a later one replaced are closed (superseded_run_id).",
    ),
    Table(
        "silver",
        "quarantine",
        cols(
            "source string, source_file string, source_line bigint, rule string, column_name string, "
            "value string, record_key string, raw_record string, run_id string, quarantined_at timestamp, "
            "resolved_run_id string, content_sha256 string, superseded_run_id string"
        ),
        key=("source", "source_file", "source_line", "rule", "column_name", "content_sha256"),
        description="Rows that failed typing or a rule, with the rule and column, keyed by delivery. An orphan "
        "whose parent arrived later is retried and marked with the run that resolved it; the rows of a "
        "delivery a later one replaced are closed (superseded_run_id).",
    ),
]
