"""Where each source's export files live and which bad-record kinds can hit them."""

from __future__ import annotations

from dataclasses import dataclass

BRONZE_KINDS = ("wrong_field_count", "bad_encoding", "broken_quoting", "bad_json")
SILVER_KINDS = ("bad_date", "negative_duration", "unknown_code", "future_date")
HANDLING = {
    **{kind: "quarantine" for kind in BRONZE_KINDS + SILVER_KINDS},
    "duplicate_record": "corrected",
    "redelivered_file": "skipped",
    "late_file": "corrected",
}


@dataclass(frozen=True)
class SourceSpec:
    name: str  # canonical source name (conf/base/sources.yaml)
    folder: str
    prefix: str
    ext: str
    date_col: int  # column whose date bad_date / future_date corrupts
    date_style: str  # dmy | iso | ts | ts_t
    text_col: int  # column that gets invalid bytes
    unknown_codes: tuple[tuple[int, str], ...] = ()
    line_kinds: tuple[str, ...] = ()
    has_late_files: bool = False

    @property
    def is_jsonl(self) -> bool:
        return self.ext == "jsonl"

    def file_name(self, compact_day: str, suffix: str = "") -> str:
        """Path relative to the landing folder, e.g. dialer_calls/calls_20240105_resend.csv."""
        return f"{self.folder}/{self.prefix}_{compact_day}{suffix}.{self.ext}"


_CSV_KINDS = ("wrong_field_count", "bad_encoding", "broken_quoting", "bad_date", "future_date")

SOURCES = (
    SourceSpec(
        "customer_pipeline", "crm_opportunities", "crm_opportunities", "csv", 2, "dmy", 13,
        unknown_codes=((3, "C9"), (4, "TEPID")),
        line_kinds=(*_CSV_KINDS, "unknown_code", "duplicate_record"),
    ),
    SourceSpec(
        "customer_journey", "journey", "journey", "jsonl", 3, "ts_t", 2,
        unknown_codes=((2, "hologram_demo"),),
        line_kinds=("bad_json", "bad_encoding", "bad_date", "future_date", "unknown_code", "duplicate_record"),
        has_late_files=True,
    ),
    SourceSpec(
        "call_log", "dialer_calls", "calls", "csv", 2, "ts", 4,
        unknown_codes=((4, "VOICEMAIL_X"),),
        line_kinds=(*_CSV_KINDS, "negative_duration", "unknown_code", "duplicate_record"),
        has_late_files=True,
    ),
    SourceSpec(
        "stock", "dms_stock", "stock", "csv", 0, "iso", 2,
        line_kinds=(*_CSV_KINDS, "duplicate_record"),
    ),
    SourceSpec(
        "retail", "dms_retail", "retail", "csv", 2, "iso", 1,
        line_kinds=(*_CSV_KINDS, "duplicate_record"),
        has_late_files=True,
    ),
)  # fmt: skip
SOURCE_BY_NAME = {spec.name: spec for spec in SOURCES}
