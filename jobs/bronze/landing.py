"""Reading landing files record by record, so that one malformed line never stops the rest of the file.

The engine rejects a whole CSV read on one ragged line, so bronze parses exports itself: every record is
decoded and parsed on its own, and one that fails (bad encoding, broken quoting, wrong field count, invalid
JSON, the header line repeated) becomes a ``BadLine`` with its 1-based line number while the good ones land.
A quoted field may span lines (RFC 4180): the record is then the lines up to the closing quote, numbered by
its first line. A quote that never closes into a record of the right width is a broken line on its own, and
parsing resumes on the next line, so one stray quote never swallows the rest of a file.

A file that cannot be taken at all raises ``SourceFileError`` saying why in words: 0 bytes, not text, no
header, a required column missing (with the delimiter the header seems to use, when it is not the mapped one).

Everything here is pure (bytes in, rows out): the nightly job runs ``parse_bytes`` on the engine's workers
(``jobs/bronze/engine.py``); ``parse_file`` reads one file on this machine for ``scv mapping check``.
The CSV rules live in ``csv_records.py``, the JSON ones in ``json_records.py``.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ground.sources import SourceSpec, bronze_column
from jobs.bronze.csv_records import parse_records, split_csv_line
from jobs.bronze.json_records import parse_lines, records_table


class SourceFileError(ValueError):
    """A landing file cannot be taken at all (unreadable, no header, a required column missing)."""


@dataclass
class BadLine:
    line: int
    reason: str
    raw: str


@dataclass
class ParsedFile:
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
            fields = split_csv_line(header, candidate)
        except csv.Error:
            continue
        score = (_found(fields, spec), len(fields))
        if score > best_score:
            best, best_score = candidate, score
    return best


def describe_delimiter(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


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


def decoded_lines(data: bytes, encoding: str) -> tuple[list[str | None], list[bytes]]:
    """Every physical line decoded (None where it cannot be), and its bytes."""
    raws = data.splitlines()
    try:
        texts: list[str | None] = list(data.decode(encoding).splitlines())
        if len(texts) != len(raws):  # str.splitlines also splits on \x1c, \u2028 ...: decode per line
            raise UnicodeDecodeError(encoding, b"", 0, 1, "line boundaries differ")
    except UnicodeDecodeError:
        texts = [_decode(raw, encoding) for raw in raws]
    return texts, raws


def _decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _parse_csv(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    texts, raws = decoded_lines(data.lstrip(b"\xef\xbb\xbf"), spec.encoding)
    header_text = texts[0] if texts else None
    if header_text is None:
        raise SourceFileError(f"{parsed.relative_name}: the header line is not valid {spec.encoding}")
    if not header_text.strip():
        raise SourceFileError(f"{parsed.relative_name}: no header line (the first line is blank)")
    delimiter = detect_delimiter(header_text, spec) if spec.delimiter == "auto" else spec.delimiter
    parsed.delimiter = delimiter
    export_columns = [h.strip() for h in split_csv_line(header_text, delimiter)]
    missing = missing_columns(export_columns, spec)
    if missing:
        raise SourceFileError(
            f"{parsed.relative_name}: required column(s) {missing} missing; the file has {export_columns}"
            + _delimiter_hint(header_text, spec, delimiter)
        )
    parsed.columns = [bronze_column(c) for c in export_columns]
    parsed.present_columns = set(parsed.columns)
    records = parse_records(texts, raws, export_columns, parsed.columns, delimiter, spec.encoding)
    parsed.table = records.table
    parsed.bad_lines = [BadLine(*bad) for bad in records.bad_lines]


def _take_records(parsed: ParsedFile, records: list[tuple[int, dict[str, object]]], spec: SourceSpec) -> None:
    mapped = [name for c in spec.columns for name in c.bronze_names]
    parsed.table, parsed.columns, parsed.present_columns = records_table(records, mapped, bronze_column)


def _parse_jsonl(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    texts, raws = decoded_lines(data.lstrip(b"\xef\xbb\xbf"), spec.encoding)
    records, bad = parse_lines(texts, raws, spec.encoding)
    parsed.bad_lines = [BadLine(*b) for b in bad]
    _take_records(parsed, records, spec)


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
    _take_records(parsed, records, spec)


PARSERS = {"csv": _parse_csv, "jsonl": _parse_jsonl, "json": _parse_json}


def parse_bytes(relative: str, data: bytes, spec: SourceSpec, sha256: str | None = None) -> ParsedFile:
    """Parse one export file's bytes; raises SourceFileError when the file as a whole cannot be taken. Pure:
    the engine's workers call it on the files they read (``jobs/bronze/engine.py``)."""
    check_file(relative, data, spec)
    parsed = ParsedFile(relative, sha256 or hashlib.sha256(data).hexdigest(), columns=[])
    PARSERS[spec.format](parsed, data, spec)
    return parsed


def parse_file(path: Path, landing_dir: Path, spec: SourceSpec) -> ParsedFile:
    """Parse one export file on this machine (``scv mapping check``, tests)."""
    relative = path.relative_to(landing_dir).as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"{relative}: cannot be read: {exc}") from exc
    return parse_bytes(relative, data, spec)
