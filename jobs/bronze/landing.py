"""Reading landing files line by line, so that one malformed line never stops the rest of the file.

The engine rejects a whole CSV read on one ragged line, so bronze parses exports here: every record is
decoded and parsed on its own, and one that fails (bad encoding, broken quoting, wrong field count, invalid
JSON, the header line repeated) becomes a ``BadLine`` with its 1-based line number while the good ones land.
A quoted field may span lines (RFC 4180): the record is then the lines up to the closing quote, numbered by
its first line. A quote that never closes into a record of the right width is a broken line on its own, and
parsing resumes on the next line, so one stray quote never swallows the rest of a file.

A file that cannot be taken at all raises ``SourceFileError`` saying why in words: 0 bytes, not text, no
header, a required column missing (with the delimiter the header seems to use, when it is not the mapped one).
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from ground.sources import SourceSpec, bronze_column


class SourceFileError(ValueError):
    """A landing file cannot be taken at all (unreadable, no header, a required column missing)."""


@dataclass
class BadLine:
    line: int
    reason: str
    raw: str


@dataclass
class ParsedFile:
    path: Path
    relative_name: str
    sha256: str
    columns: list[str]
    # the good rows: one string column per export column plus ``_source_line`` (1-based physical line)
    table: pa.Table | None = None
    bad_lines: list[BadLine] = field(default_factory=list)
    present_columns: set[str] = field(default_factory=set)  # bronze names of the columns the file really has
    delimiter: str = ","  # the one used (detected when the mapping says auto)

    @property
    def row_count(self) -> int:
        return self.table.num_rows if self.table is not None else 0

    @property
    def rows(self) -> list[tuple[int, list[str | None]]]:
        """(line number, values) per good row in line order; for tests and small files."""
        if self.table is None:
            return []
        values = [self.table.column(c).to_pylist() for c in self.columns]
        lines = self.table.column("_source_line").to_pylist()
        return sorted((line, [column[i] for column in values]) for i, line in enumerate(lines))


def _string_table(columns: list[str], values: list[list[str | None]], lines: list[int]) -> pa.Table:
    by_column = list(zip(*values, strict=True)) if values else [()] * len(columns)
    arrays = [pa.array(list(col), pa.string()) for col in by_column]
    return pa.table([*arrays, pa.array(lines, pa.int64())], names=[*columns, "_source_line"])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(landing_dir: Path, spec: SourceSpec) -> list[Path]:
    """Export files of one source, in name order (daily files sort by date). The pattern matches whatever the
    case of the names (``*.csv`` takes ``DAILY.CSV`` too)."""
    pattern = re.compile(fnmatch.translate(spec.path), re.IGNORECASE)
    if not landing_dir.is_dir():
        return []
    found = (p for p in landing_dir.rglob("*") if p.is_file())
    return sorted(p for p in found if pattern.match(p.relative_to(landing_dir).as_posix()))


def _decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _printable(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


MAX_RECORD_LINES = 200  # a quoted field spanning more lines than this is taken for a stray quote
DELIMITERS = (",", ";", "\t", "|")


def _found(fields: list[str], spec: SourceSpec) -> int:
    """How many of the mapping's export columns a header holds (names compared normalised)."""
    present = {bronze_column(f) for f in fields}
    return sum(bronze_column(c) in present for column in spec.columns for c in column.export_columns)


def detect_delimiter(header: str, spec: SourceSpec) -> str:
    """The delimiter of ``, ; tab |`` that splits the header into the most mapped columns (then the most
    fields); a comma when none splits it at all."""
    best, best_score = ",", (-1, 0)
    for candidate in DELIMITERS:
        try:
            fields = _split_csv_line(header, candidate)
        except csv.Error:
            continue
        score = (_found(fields, spec), len(fields))
        if score > best_score:
            best, best_score = candidate, score
    return best


def describe_delimiter(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _split_csv_line(text: str, delimiter: str) -> list[str]:
    """Fields of one record (it may hold line breaks inside quotes); csv.Error on broken quoting or when the
    text is not exactly one record. Lines without quotes take the fast path."""
    if '"' not in text:
        return text.split(delimiter)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    if len(rows) != 1:
        raise csv.Error("not one record")
    return rows[0]


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def _delimiter_hint(header: str, spec: SourceSpec, used: str) -> str:
    """'; the delimiter looks like ';' ...' when another delimiter would split the header into more mapped
    columns than the one used."""
    if spec.delimiter == "auto":
        return ""
    better = detect_delimiter(header, spec)
    if better != used and _found(header.split(better), spec) > _found(header.split(used), spec):
        return (
            f"; the delimiter looks like {describe_delimiter(better)}, the mapping says {describe_delimiter(used)}"
            " (set delimiter, or delimiter: auto)"
        )
    return ""


def missing_columns(columns: list[str], spec: SourceSpec) -> list[str]:
    """The required export columns a header lacks (for a fallback chain: all of its columns), names
    compared whatever their case and surrounding spaces."""
    present = {bronze_column(c) for c in columns}
    return [
        " or ".join(group)
        for group in spec.required_export_columns
        if not any(bronze_column(c) in present for c in group)
    ]


def check_file(relative: str, data: bytes, spec: SourceSpec) -> None:
    """Refuse, in words, a file that cannot be an export of this source at all."""
    if not data:
        raise SourceFileError(f"{relative}: 0 bytes: the file is empty, not even a header line")
    if _looks_binary(data):
        raise SourceFileError(f"{relative}: not text (binary): it holds NUL bytes; an export must be CSV or JSON")


def _decoded_lines(data: bytes, encoding: str) -> Iterator[tuple[int, str | None, bytes]]:
    """(line number, text or None when it cannot be decoded, raw bytes) for every physical line."""
    raw_lines = data.splitlines()
    try:
        texts: list[str | None] = list(data.decode(encoding).splitlines())
        if len(texts) != len(raw_lines):  # str.splitlines also splits on \x1c, \u2028 ...: decode per line
            raise UnicodeDecodeError(encoding, b"", 0, 1, "line boundaries differ")
    except UnicodeDecodeError:
        texts = [_decode(raw, encoding) for raw in raw_lines]
    for number, (text, raw) in enumerate(zip(texts, raw_lines, strict=True), start=1):
        yield number, text, raw


def _multiline_record(
    first: tuple[int, str], rest: list[tuple[int, str | None, bytes]], start: int, width: int, delimiter: str
) -> tuple[list[str], int] | None:
    """A record whose quoted field spans lines: its fields and how many following lines it took, or None
    when the quote never closes into one record of ``width`` fields (then the first line is broken alone)."""
    text, quotes = first[1], first[1].count('"')
    for taken in range(1, min(MAX_RECORD_LINES, len(rest) - start + 1)):
        _, more, _ = rest[start + taken - 1]
        if more is None:
            return None
        text, quotes = f"{text}\n{more}", quotes + more.count('"')
        if quotes % 2 == 0:
            try:
                values = _split_csv_line(text, delimiter)
            except csv.Error:
                return None
            return (values, taken) if len(values) == width else None
    return None


def _parse_csv(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    """Plain lines (no quote, the right number of delimiters) are parsed in bulk by Arrow; records with
    quotes go through the csv module one by one (several lines when a quoted field holds line breaks);
    everything else is a bad line."""
    lines = list(_decoded_lines(data.lstrip(b"\xef\xbb\xbf"), spec.encoding))
    header_text = lines[0][1] if lines else None
    if header_text is None:
        raise SourceFileError(f"{parsed.relative_name}: the header line is not valid {spec.encoding}")
    if not header_text.strip():
        raise SourceFileError(f"{parsed.relative_name}: no header line (the first line is blank)")
    delimiter = detect_delimiter(header_text, spec) if spec.delimiter == "auto" else spec.delimiter
    parsed.delimiter = delimiter
    export_columns = [h.strip() for h in _split_csv_line(header_text, delimiter)]
    missing = missing_columns(export_columns, spec)
    if missing:
        raise SourceFileError(
            f"{parsed.relative_name}: required column(s) {missing} missing; the file has {export_columns}"
            + _delimiter_hint(header_text, spec, delimiter)
        )
    parsed.columns = [bronze_column(c) for c in export_columns]
    parsed.present_columns = set(parsed.columns)
    width = len(export_columns)
    header_fields = export_columns
    plain_text: list[str] = []
    plain_lines: list[int] = []
    quoted_values: list[list[str | None]] = []
    quoted_lines: list[int] = []
    index = 1
    while index < len(lines):
        number, text, raw = lines[index]
        index += 1
        if text is None:
            parsed.bad_lines.append(BadLine(number, f"bad_encoding: not valid {spec.encoding}", _printable(raw)))
            continue
        if not text.strip():
            continue
        if '"' not in text:
            if text.count(delimiter) != width - 1:
                reason = f"wrong_field_count: expected {width} fields, found {text.count(delimiter) + 1}"
                parsed.bad_lines.append(BadLine(number, reason, text))
            elif [f.strip() for f in text.split(delimiter)] == header_fields:
                parsed.bad_lines.append(BadLine(number, "repeated_header: the header line again", text))
            else:
                plain_text.append(text)
                plain_lines.append(number)
            continue
        if text.count('"') % 2 == 1:  # a quoted field goes on past the end of this line
            record = _multiline_record((number, text), lines, index, width, delimiter)
            if record is None:
                reason = "broken_quoting: a quote that does not close into one record"
                parsed.bad_lines.append(BadLine(number, reason, text))
                continue
            values, taken = record
            index += taken
        else:
            try:
                values = _split_csv_line(text, delimiter)
            except csv.Error as exc:
                parsed.bad_lines.append(BadLine(number, f"broken_quoting: {exc}", text))
                continue
        if len(values) != width:
            reason = f"wrong_field_count: expected {width} fields, found {len(values)}"
            parsed.bad_lines.append(BadLine(number, reason, text))
            continue
        if [v.strip() for v in values] == header_fields:
            parsed.bad_lines.append(BadLine(number, "repeated_header: the header line again", text))
            continue
        quoted_values.append([v if v != "" else None for v in values])
        quoted_lines.append(number)
    tables = [_string_table(parsed.columns, quoted_values, quoted_lines)]
    if plain_text:
        tables.append(_bulk_parse(plain_text, plain_lines, parsed.columns, delimiter))
    parsed.table = pa.concat_tables(tables)


def _bulk_parse(texts: list[str], lines: list[int], columns: list[str], delimiter: str) -> pa.Table:
    """Arrow's CSV reader over lines already known to be plain: every value a string, empty is null."""
    names = [f"c{i}" for i in range(len(columns))]
    table = pa_csv.read_csv(
        io.BytesIO("\n".join(texts).encode("utf-8")),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True, null_values=[""]
        ),
    )
    return pa.table([*table.columns, pa.array(lines, pa.int64())], names=[*columns, "_source_line"])


def _json_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _parse_jsonl(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    records: list[tuple[int, dict[str, object]]] = []
    for number, text, raw in _decoded_lines(data.lstrip(b"\xef\xbb\xbf"), spec.encoding):
        if text is None:
            parsed.bad_lines.append(BadLine(number, f"bad_encoding: not valid {spec.encoding}", _printable(raw)))
            continue
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            parsed.bad_lines.append(BadLine(number, f"bad_json: {exc.msg} at column {exc.colno}", text))
            continue
        if not isinstance(record, dict):
            parsed.bad_lines.append(BadLine(number, "bad_json: a line must hold one JSON object", text))
            continue
        records.append((number, record))
    _records_table(parsed, records, spec)


def _records_table(parsed: ParsedFile, records: list[tuple[int, dict[str, object]]], spec: SourceSpec) -> None:
    """JSON records to string columns: keys normalised, nested values kept as JSON text."""
    seen: dict[str, None] = {name: None for c in spec.columns for name in c.bronze_names}
    normalised = [(number, {bronze_column(k): v for k, v in record.items()}) for number, record in records]
    for _, record in normalised:
        seen.update(dict.fromkeys(record))
        parsed.present_columns.update(record)
    parsed.columns = list(seen)
    values = [[_json_value(record.get(c)) for c in parsed.columns] for _, record in normalised]
    parsed.table = _string_table(parsed.columns, values, [number for number, _ in normalised])


def _parse_json(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    """A JSON document holding an array of objects (or an object with one such array). The line of a
    record is its 1-based position in the array; an element that is not an object is a bad line."""
    try:
        document = json.loads(data.lstrip(b"\xef\xbb\xbf").decode(spec.encoding))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFileError(f"{parsed.relative_name}: not a valid JSON document: {exc}") from exc
    if isinstance(document, dict):
        arrays = [v for v in document.values() if isinstance(v, list)]
        document = arrays[0] if len(arrays) == 1 else None
    if not isinstance(document, list):
        raise SourceFileError(f"{parsed.relative_name}: expected an array of records (or an object holding one)")
    records: list[tuple[int, dict[str, object]]] = []
    for number, record in enumerate(document, start=1):
        if isinstance(record, dict):
            records.append((number, record))
        else:
            text = json.dumps(record, ensure_ascii=False)[:4000]
            parsed.bad_lines.append(BadLine(number, "bad_json: a record must be a JSON object", text))
    _records_table(parsed, records, spec)


def parse_file(path: Path, landing_dir: Path, spec: SourceSpec) -> ParsedFile:
    """Parse one export file; raises SourceFileError when the file as a whole cannot be taken."""
    relative = path.relative_to(landing_dir).as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"{relative}: cannot be read: {exc}") from exc
    check_file(relative, data, spec)
    parsed = ParsedFile(path, relative, hashlib.sha256(data).hexdigest(), columns=[])
    parsers = {"csv": _parse_csv, "jsonl": _parse_jsonl, "json": _parse_json}
    parsers[spec.format](parsed, data, spec)
    return parsed
