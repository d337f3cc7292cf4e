"""Tables the field app writes (through delta-rs, never Spark) and the nightly job reads.

``lead_actions`` is append-only: one row per thing a rep did with a lead (a call with its outcome, done,
snoozed until a date, a note), with who and when. The app never updates or deletes a row, so concurrent
writers only ever append, which Delta commits without conflict. The night reads it as an input of the score
(declared in ``ground/catalogue/gold.py``): a done lead leaves the list, a logged call counts as contact.
"""

from __future__ import annotations

from ground.catalogue.table import Table, cols, in_set, not_null

LEAD_ACTIONS = ("called", "done", "snoozed", "note")
# a logged call's outcome, in the canonical words of call_log.outcome (conf/base/sources.yaml, call_outcome)
CALL_OUTCOMES = ("Connected", "No Answer", "Busy", "Switched Off", "Wrong Number")

APP = [
    Table(
        "lead_actions",
        "app",
        cols(
            "action_id string, opty_id string, dealer_code string, action string, outcome string, "
            "snoozed_until date, note string, user_name string, acted_at timestamp, acted_date date"
        ),
        key=("action_id",),
        partition_by=("acted_date",),
        description="What reps did with their leads in the app, append-only: called (with the outcome), done, "
        "snoozed until a date, a note; with the user and the time. Read by the next night's score.",
        checks=(
            in_set("action", LEAD_ACTIONS),
            in_set("outcome", CALL_OUTCOMES),
            not_null("opty_id"),
            not_null("user_name"),
            not_null("acted_at"),
        ),
    ),
]
