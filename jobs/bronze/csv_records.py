"""CSV records of one export file, line by line in meaning and in bulk in cost.

The rules (``jobs/bronze/landing.py`` says why): a line that cannot be decoded is ``bad_encoding``; a blank line
is skipped; a line without quotes must hold exactly ``width - 1`` delimiters (else ``wrong_field_count``) and
must not be the header again (``repeated_header``); a line with quotes is read by the csv module, over several
lines when a quoted field holds line breaks (RFC 4180; the record is numbered by its first line), and a quote
that never closes into one record of the right width is ``broken_quoting`` on its own.

Only the lines with quotes (and the undecodable ones) are walked one by one in Python, because a record may
take the lines after it. Every other line is classified with Arrow compute kernels over the whole file at once
and its fields are split by Arrow's CSV reader; the few lines those kernels flag (wrong width, maybe the header
again) are checked in Python. The outcome is the same as walking every line in turn.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

MAX_RECORD_LINES = 200  # a quoted field spanning more lines than this is taken for a stray quote

# every character str.strip() removes (str.isspace); tests/test_landing.py checks the list against Python
PY_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"  # noqa: E501
_BLANK = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]*$"


@dataclass
class CsvRecords:
    """The good records (string columns plus ``_source_line``) and the bad lines as (line, reason, raw)."""

    table: pa.Table
    bad_lines: list[tuple[int, str, str]] = field(default_factory=list)


def split_csv_line(text: str, delimiter: str) -> list[str]:
    """Fields of one record (it may hold line breaks inside quotes); csv.Error on broken quoting or when the
    text is not exactly one record. Lines without quotes take the fast path."""
    if '"' not in text:
        return text.split(delimiter)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    if len(rows) != 1:
        raise csv.Error("not one record")
    return rows[0]


def string_table(columns: list[str], values: list[list[str | None]], lines: list[int]) -> pa.Table:
    by_column = list(zip(*values, strict=True)) if values else [()] * len(columns)
    arrays = [pa.array(list(col), pa.string()) for col in by_column]
    return pa.table([*arrays, pa.array(lines, pa.int64())], names=[*columns, "_source_line"])


def _multiline_record(texts: list[str | None], first: int, width: int, delimiter: str) -> tuple[list[str], int] | None:
    """A record whose quoted field starts on line index ``first`` and spans lines: its fields and how many
    following lines it took, or None when the quote never closes into one record of ``width`` fields (then
    the first line is broken alone)."""
    text = texts[first]
    assert text is not None
    quotes = text.count('"')
    for taken in range(1, min(MAX_RECORD_LINES, len(texts) - first)):
        more = texts[first + taken]
        if more is None:
            return None
        text, quotes = f"{text}\n{more}", quotes + more.count('"')
        if quotes % 2 == 0:
            try:
                values = split_csv_line(text, delimiter)
            except csv.Error:
                return None
            return (values, taken) if len(values) == width else None
    return None


class _Walk:
    """The sequential part: the lines with quotes and the undecodable ones, in order."""

    def __init__(self, texts: list[str | None], raws: list[bytes], header: list[str], delimiter: str) -> None:
        self.texts, self.raws, self.header, self.delimiter = texts, raws, header, delimiter
        self.width = len(header)
        self.values: list[list[str | None]] = []
        self.lines: list[int] = []
        self.bad: list[tuple[int, str, str]] = []
        self.taken: list[tuple[int, int]] = []  # (first, last) line indexes a multi-line record took after its own

    def run(self, indexes: np.ndarray, encoding: str) -> None:
        next_free = 0
        for index in indexes.tolist():
            if index < next_free:  # taken by the record before
                continue
            text = self.texts[index]
            if text is None:
                printable = self.raws[index].decode("utf-8", errors="backslashreplace")
                self.bad.append((index + 1, f"bad_encoding: not valid {encoding}", printable))
                continue
            next_free = index + 1 + self._record(index, text)

    def _record(self, index: int, text: str) -> int:
        """Read the quoted record on line ``index``; returns how many following lines it took."""
        taken = 0
        if text.count('"') % 2 == 1:  # a quoted field goes on past the end of this line
            record = _multiline_record(self.texts, index, self.width, self.delimiter)
            if record is None:
                self.bad.append((index + 1, "broken_quoting: a quote that does not close into one record", text))
                return 0
            values, taken = record
            self.taken.append((index + 1, index + taken))
        else:
            try:
                values = split_csv_line(text, self.delimiter)
            except csv.Error as exc:
                self.bad.append((index + 1, f"broken_quoting: {exc}", text))
                return 0
        if len(values) != self.width:
            self.bad.append((index + 1, f"wrong_field_count: expected {self.width} fields, found {len(values)}", text))
        elif [v.strip() for v in values] == self.header:
            self.bad.append((index + 1, "repeated_header: the header line again", text))
        else:
            self.values.append([v if v != "" else None for v in values])
            self.lines.append(index + 1)
        return taken


def _mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def parse_records(
    texts: list[str | None], raws: list[bytes], header: list[str], columns: list[str], delimiter: str, encoding: str
) -> CsvRecords:
    """The records after the header line (``texts[0]``): ``texts`` holds each physical line decoded (None when
    it cannot be), ``raws`` its bytes, ``header`` the header's fields stripped, ``columns`` their bronze names."""
    width = len(header)
    lines = pa.array(texts, pa.string())
    is_special = _mask(pc.or_kleene(lines.is_null(), pc.match_substring(lines, '"')))
    is_special[0] = False
    walk = _Walk(texts, raws, header, delimiter)
    walk.run(np.flatnonzero(is_special), encoding)
    is_plain = ~is_special & ~_mask(pc.match_substring_regex(lines, _BLANK))
    is_plain[0] = False
    for first, last in walk.taken:
        is_plain[first : last + 1] = False
    fields = pc.fill_null(pc.count_substring(lines, delimiter), 0).to_numpy(zero_copy_only=False)
    bad = list(walk.bad)
    for index in np.flatnonzero(is_plain & (fields != width - 1)).tolist():
        found = int(fields[index]) + 1
        bad.append((index + 1, f"wrong_field_count: expected {width} fields, found {found}", texts[index] or ""))
    is_plain &= fields == width - 1
    probe = max(header, key=len)  # a line that is the header again holds its longest field
    for index in np.flatnonzero(is_plain & _mask(pc.match_substring(lines, probe))).tolist():
        text = texts[index] or ""
        if [f.strip() for f in text.split(delimiter)] == header:
            bad.append((index + 1, "repeated_header: the header line again", text))
            is_plain[index] = False
    tables = [string_table(columns, walk.values, walk.lines)]
    plain = np.flatnonzero(is_plain)
    if plain.size:
        tables.append(_bulk_parse(lines.take(pa.array(plain)), plain + 1, columns, delimiter))
    return CsvRecords(pa.concat_tables(tables), sorted(bad))


def _bulk_parse(texts: pa.Array, lines: np.ndarray, columns: list[str], delimiter: str) -> pa.Table:
    """Arrow's CSV reader over lines already known to be plain: every value a string, empty is null."""
    names = [f"c{i}" for i in range(len(columns))]
    joined = pc.binary_join_element_wise(texts, pa.scalar("\n"), "")  # each line with its line break
    _, offsets_buffer, data = joined.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[joined.offset : joined.offset + len(joined) + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    table = pa_csv.read_csv(
        pa.BufferReader(data.slice(start, end - start)),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True, null_values=[""]
        ),
    )
    return pa.table([*table.columns, pa.array(lines, pa.int64())], names=[*columns, "_source_line"])
