"""A hostile landing zone: one file per kind of damage a real export brings, each with the outcome it must get.

``write_corpus(landing)`` writes the files; ``CASES`` says, per file, what the night must do with it:
``rejected`` (the file is refused once, with the reason in words), ``lines`` (bronze quarantines these lines
with these reasons and loads the rest), ``rules`` (silver quarantines these lines under these rules),
``rows`` (how many rows reach bronze) and ``warning`` (a step warning naming the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LEADS = (
    "Opty ID,Dealer Code,Created Date,Sales Stage,Lead Type,Enquiry Type,Customer Segment,PPL,Expected Closure,"
    "Taluka,District,State,Opty Status,Customer Name,Mobile,Last Updated"
)
CALLS = "CallRef,OptyId,CallStartTime,DurationSecs,Disposition,NextFollowUpDate"
RETAIL = "Invoice No,Dealer,Invoice Date,Product Line,Qty,Opty Ref"
STOCK = "Snapshot Date,Dealer,Product Line,Total Stock,Saleable Stock"


def lead(opty: str, stage: str = "C1", created: str = "05-01-2024", at: str = "2024-01-05 10:00:00") -> str:
    return (
        f"{opty},D1,{created},{stage},HOT,WALK-IN,Individual,Pickup,20-01-2024,Haveli,Pune,MH,OPEN,Asha,9000000001,{at}"
    )


def call(call_id: str, opty: str = "L1", seconds: str = "120", outcome: str = "ANSWERED") -> str:
    return f"{call_id},{opty},2024-01-05 12:00:00,{seconds},{outcome},2024-01-07"


def retail(invoice: str, qty: str = "1", day: str = "2024-01-05", product: str = "Pickup") -> str:
    return f"{invoice},D1,{day},{product},{qty},L1"


@dataclass(frozen=True)
class Case:
    path: str
    content: bytes
    damage: str
    rejected: str = ""  # a phrase of the rejection reason
    rows: int | None = None  # rows that reach bronze
    lines: tuple[tuple[int, str], ...] = ()  # (line, reason) quarantined in bronze
    rules: tuple[tuple[int, str], ...] = ()  # (line, rule) quarantined in silver
    warning: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def _csv(*lines: str, crlf: bool = False) -> bytes:
    return (("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")).encode()


CASES = [
    Case("crm_opportunities/leads_01_good.csv", _csv(LEADS, lead("L1"), lead("L2")), "none: the parents", rows=2),
    Case("crm_opportunities/leads_02_empty.csv", b"", "a 0-byte file", rejected="0 bytes"),
    Case(
        "crm_opportunities/leads_03_binary.csv", b"PK\x03\x04\x00\x00\x08\x00garbage\x00", "binary", rejected="binary"
    ),
    Case(
        "crm_opportunities/leads_04_semicolon.csv",
        _csv(LEADS.replace(",", ";"), lead("L9").replace(",", ";")),
        "semicolon-delimited (the mapping says delimiter: auto): read, and the step says so",
        rows=1,
        warning="read with delimiter ';'",
    ),
    Case(
        "dms_retail/retail_05_no_qty.csv",
        _csv(RETAIL.replace(",Qty", ""), "R50,D1,2024-01-05,Pickup,L1"),
        "a required column missing",
        rejected="required column(s) ['Qty'] missing",
    ),
    Case("dms_retail/retail_06_header_only.csv", _csv(RETAIL), "no activity: a header, no rows", rows=0),
    Case(
        "dialer_calls/calls_07_ragged.csv",
        _csv(CALLS, call("K70"), "K71,L1,2024-01-05 12:00:00,30", call("K72")),
        "a line with too few fields",
        rows=2,
        lines=((3, "wrong_field_count"),),
    ),
    Case(
        "dialer_calls/calls_08_unclosed_quote.csv",
        _csv(CALLS, 'K80,"L1,2024-01-05 12:00:00,30,ANSWERED,', call("K81")),
        "a quote that never closes",
        rows=1,
        lines=((2, "broken_quoting"),),
    ),
    Case(
        "dms_retail/retail_09_multiline.csv",
        _csv(RETAIL, 'R90,D1,2024-01-05,"Pickup', 'second line",1,L1', retail("R91")),
        "a quoted field spanning two lines: one record, no phantom row 'second line'",
        rows=2,
    ),
    Case(
        "dms_retail/retail_10_header_again.csv",
        _csv(RETAIL, retail("R100"), RETAIL, retail("R101")),
        "two exports concatenated: the header again mid-file",
        rows=2,
        lines=((3, "repeated_header"),),
    ),
    Case(
        "dialer_calls/calls_11_encoding.csv",
        _csv(CALLS, call("K110")).replace(b"K110,L1", b"K110,L\xff1") + _csv(call("K111")),
        "bytes that are not UTF-8",
        rows=1,
        lines=((2, "bad_encoding"),),
    ),
    Case(
        "dialer_calls/calls_12_bom_crlf.csv",
        b"\xef\xbb\xbf" + _csv(CALLS, call("K120"), "", call("K121"), crlf=True),
        "a byte-order mark, CRLF endings and a blank line",
        rows=2,
    ),
    Case(
        "dialer_calls/calls_13_values.csv",
        _csv(CALLS, call("K130", seconds="-5"), call("K131", outcome="HUNG_UP"), call("K132", opty="NOPE")),
        "a negative duration, an unknown code, an orphan",
        rows=3,
        rules=((2, "below_min"), (3, "unknown_code"), (4, "orphan_key")),
    ),
    Case(
        "dms_retail/retail_14_dates.csv",
        _csv(RETAIL, retail("R140", day="2024-02-31"), retail("R141", day="2099-01-05"), retail("R142")),
        "an impossible date and a future date",
        rows=3,
        rules=((2, "bad_date"), (3, "future_date")),
    ),
    Case(
        "dms_retail/retail_15_duplicate.csv",
        _csv(RETAIL, retail("R150"), retail("R150")),
        "the same record twice",
        rows=2,
        rules=((2, "duplicate_key"),),  # the later line wins; the earlier copy is set aside
    ),
    Case(
        "dms_retail/retail_16_huge_value.csv",
        _csv(RETAIL, retail("R160", product="P" * 2000), retail("R161")),
        "a 2,000-character value",
        rows=2,
        rules=((2, "too_long"),),
    ),
    Case(
        "dms_stock/stock_17_no_optional.csv",
        _csv(STOCK, "2024-01-05,D1,Pickup,5,3"),
        "none (stock maps no optional column); the pair of it is below",
        rows=1,
    ),
    Case(
        "dms_retail/retail_18_no_opty_ref.csv",
        _csv(RETAIL.replace(",Opty Ref", ""), "R180,D1,2024-01-05,Pickup,1"),
        "a mapped optional column absent",
        rows=1,
        warning="mapped column 'Opty Ref' is not in the file (opty_id)",
    ),
    Case(
        "journey/journey_19.jsonl",
        b'{"event_uid": "E1", "opportunity": "L1", "event": "enquiry", "ts": "2024-01-05T10:00:00"}\n'
        b"{not json\n"
        b'["an", "array"]\n'
        b'{"event_uid": "E2", "opportunity": "L2", "event": "teleport", "ts": "2024-01-05T11:00:00"}\n',
        "JSON lines: broken JSON, a line that is not an object, an unknown event",
        rows=2,
        lines=((2, "bad_json"), (3, "bad_json")),
        rules=((4, "unknown_code"),),
    ),
]

# delivered again on a later night: the same bytes (skipped), and a corrected file under the same name
REDELIVERED_SAME = "dialer_calls/calls_07_ragged.csv"
CORRECTED = Case(
    "dialer_calls/calls_13_values.csv",
    _csv(CALLS, call("K130", seconds="5"), call("K131"), call("K132")),
    "the corrected delivery of calls_13",
    rows=3,
)


def write_corpus(landing: Path, cases: list[Case] = CASES) -> None:
    for case in cases:
        path = landing / case.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.content)


def records_in(case: Case) -> int:
    """Records (not lines: a quoted field may span two) the file holds, header and blank lines excluded."""
    return case.extra.get("records", (case.rows or 0) + len(case.lines))  # type: ignore[return-value]
