"""Bronze parsing of landing files: every kind of bad line is caught with its line number, nothing else lost."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from jobs.bronze.landing import SourceFileError, parse_file
from testkit import base_config

HEADER = "CallRef,OptyId,CallStartTime,DurationSecs,Disposition,NextFollowUpDate\n"


@pytest.fixture(scope="module")
def sources():  # type: ignore[no-untyped-def]
    return base_config().sources


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_csv_bad_lines_are_reported_and_good_lines_kept(tmp_path: Path, sources) -> None:  # type: ignore[no-untyped-def]
    data = (
        HEADER.encode()
        + b"K1,O1,2024-01-05 12:00:00,120,ANSWERED,2024-01-07\n"  # line 2 good
        + b"K2,O1,2024-01-05 13:00:00,30\n"  # line 3 too few fields
        + b'K3,"O1,2024-01-05 13:00:00,30,BUSY,\n'  # line 4 unclosed quote
        + b"K4,O1,2024-01-05 14:00:00,\xff\xfe,BUSY,\n"  # line 5 invalid utf-8
        + b"\n"  # line 6 blank: ignored
        + b'K5,O2,2024-01-05 15:00:00,45,"NO_ANSWER",\n'  # line 7 good, quoted field
    )
    path = _write(tmp_path, "dialer_calls/calls_20240105.csv", data)
    parsed = parse_file(path, tmp_path, sources["call_log"])

    assert parsed.relative_name == "dialer_calls/calls_20240105.csv"
    assert parsed.columns == [
        "callref",
        "optyid",
        "callstarttime",
        "durationsecs",
        "disposition",
        "nextfollowupdate",
    ]
    assert parsed.rows == [
        (2, ["K1", "O1", "2024-01-05 12:00:00", "120", "ANSWERED", "2024-01-07"]),
        (7, ["K5", "O2", "2024-01-05 15:00:00", "45", "NO_ANSWER", None]),
    ]
    assert [(b.line, b.reason.split(":")[0]) for b in parsed.bad_lines] == [
        (3, "wrong_field_count"),
        (4, "broken_quoting"),
        (5, "bad_encoding"),
    ]
    assert "expected 6 fields, found 4" in parsed.bad_lines[0].reason
    assert parsed.bad_lines[2].raw.startswith("K4,O1")


def test_jsonl_bad_lines(tmp_path: Path, sources) -> None:  # type: ignore[no-untyped-def]
    data = (
        b'{"event_uid": "E1", "opportunity": "O1", "event": "enquiry", "ts": "2024-01-05T10:00:00"}\n'
        b'{"event_uid": "E2", "opportunity": "O1", "event": "test_dri\n'
        b"[1, 2]\n"
        b'{"event_uid": "E3", "opportunity": "O1", "event": "booking", "ts": "2024-01-06T10:00:00", "n": 3}\n'
    )
    path = _write(tmp_path, "journey/journey_20240105.jsonl", data)
    parsed = parse_file(path, tmp_path, sources["customer_journey"])

    assert parsed.columns == ["event_uid", "opportunity", "event", "ts", "n"]
    assert parsed.rows == [
        (1, ["E1", "O1", "enquiry", "2024-01-05T10:00:00", None]),
        (4, ["E3", "O1", "booking", "2024-01-06T10:00:00", "3"]),
    ]
    assert [(b.line, b.reason.split(":")[0]) for b in parsed.bad_lines] == [(2, "bad_json"), (3, "bad_json")]


def test_missing_required_column_names_file_and_column(tmp_path: Path, sources) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "dialer_calls/calls_20240106.csv", b"CallRef,OptyId\nK1,O1\n")
    with pytest.raises(SourceFileError) as error:
        parse_file(path, tmp_path, sources["call_log"])
    message = str(error.value)
    assert "dialer_calls/calls_20240106.csv" in message
    assert "CallStartTime" in message and "DurationSecs" in message


def test_json_array_document(tmp_path: Path, sources) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    spec = replace(sources["customer_journey"], format="json", path="journey/*.json")
    data = (
        b'{"exported_at": "2024-01-06", "records": ['
        b'{"event_uid": "E1", "opportunity": "O1", "event": "enquiry", "ts": "2024-01-05T10:00:00"}, 42,'
        b'{"event_uid": "E2", "opportunity": "O1", "event": "booking", "ts": "2024-01-06T10:00:00", "x": {"a": 1}}'
        b"]}"
    )
    parsed = parse_file(_write(tmp_path, "journey/journey_20240106.json", data), tmp_path, spec)
    assert parsed.rows == [
        (1, ["E1", "O1", "enquiry", "2024-01-05T10:00:00", None]),
        (3, ["E2", "O1", "booking", "2024-01-06T10:00:00", '{"a": 1}']),
    ]
    assert [(b.line, b.reason.split(":")[0], b.raw) for b in parsed.bad_lines] == [(2, "bad_json", "42")]
    with pytest.raises(SourceFileError, match="journey/broken.json: not a valid JSON document"):
        parse_file(_write(tmp_path, "journey/broken.json", b'[{"event_uid": "E1"'), tmp_path, spec)


RETAIL_HEADER = "Invoice No,Dealer,Invoice Date,Product Line,Qty,Opty Ref\n"


def test_a_quoted_field_may_span_lines_and_a_stray_quote_breaks_one_line(tmp_path: Path, sources) -> None:  # type: ignore[no-untyped-def]
    data = (
        RETAIL_HEADER
        + 'R1,D1,2024-01-05,"Pickup\nsecond line",1,\n'  # lines 2-3: one record
        + 'R2,"D1,2024-01-05,Van,2,\n'  # line 4: a quote that never closes
        + "R3,D1,2024-01-05,Van,2,\n"  # line 5: parsing resumes here
    ).encode()
    parsed = parse_file(_write(tmp_path, "dms_retail/r.csv", data), tmp_path, sources["retail"])
    assert [(line, values[0], values[3]) for line, values in parsed.rows] == [
        (2, "R1", "Pickup\nsecond line"),
        (5, "R3", "Van"),
    ]
    assert [(b.line, b.reason.split(":")[0]) for b in parsed.bad_lines] == [(4, "broken_quoting")]


def test_a_repeated_header_is_recognised_not_loaded(tmp_path: Path, sources) -> None:  # type: ignore[no-untyped-def]
    data = (RETAIL_HEADER + "R1,D1,2024-01-05,Van,1,\n" + RETAIL_HEADER + "R2,D1,2024-01-05,Van,1,\n").encode()
    parsed = parse_file(_write(tmp_path, "dms_retail/r.csv", data), tmp_path, sources["retail"])
    assert [values[0] for _, values in parsed.rows] == ["R1", "R2"]
    assert [(b.line, b.reason) for b in parsed.bad_lines] == [(3, "repeated_header: the header line again")]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "dms_retail/r.csv: 0 bytes: the file is empty, not even a header line"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "dms_retail/r.csv: not text (binary)"),
        (
            RETAIL_HEADER.replace(",", ";").encode(),
            "the delimiter looks like ';', the mapping says ',' (set delimiter, or delimiter: auto)",
        ),
        (
            RETAIL_HEADER.replace(",", "\t").encode(),
            "the delimiter looks like tab, the mapping says ','",
        ),
        (b"\n" + RETAIL_HEADER.encode(), "no header line (the first line is blank)"),
    ],
)
def test_a_file_that_cannot_be_taken_says_why_in_words(tmp_path: Path, sources, data: bytes, says: str) -> None:  # type: ignore[no-untyped-def]
    comma = replace(sources["retail"], delimiter=",")  # a mapping that names its delimiter
    with pytest.raises(SourceFileError, match=re.escape(says)):
        parse_file(_write(tmp_path, "dms_retail/r.csv", data), tmp_path, comma)


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_the_delimiter_is_detected_and_headers_match_whatever_their_case_and_spaces(
    tmp_path: Path, sources, delimiter: str
) -> None:  # type: ignore[no-untyped-def]
    header = " invoice no ,DEALER,Invoice Date, Product Line ,QTY,Opty Ref".replace(",", delimiter)
    data = (header + "\n" + "R1,D1,2024-01-05,Van,1,".replace(",", delimiter) + "\n").encode()
    parsed = parse_file(_write(tmp_path, "dms_retail/R.CSV", data), tmp_path, sources["retail"])
    assert parsed.delimiter == delimiter
    assert parsed.rows == [(2, ["R1", "D1", "2024-01-05", "Van", "1", None])]
    assert parsed.columns == ["invoice_no", "dealer", "invoice_date", "product_line", "qty", "opty_ref"]
