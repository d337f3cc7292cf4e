"""Reading landing files line by line, so that one malformed line never stops the rest of the file.

The engine rejects a whole CSV read on one ragged line, so bronze parses exports here: every physical line
is decoded and parsed on its own, and a line that fails (bad encoding, broken quoting, wrong field count,
invalid JSON) becomes a ``BadLine`` with its 1-based line number while the good lines land.
Quoted fields spanning several lines are therefore not supported: such a record is quarantined.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
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
    """Export files of one source, in name order (daily files sort by date)."""
    return sorted(p for p in landing_dir.glob(spec.path) if p.is_file())


def _decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _printable(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def _split_csv_line(text: str, delimiter: str) -> list[str]:
    """Fields of one line; csv.Error on broken quoting. Lines without quotes take the fast path."""
    if '"' not in text:
        return text.split(delimiter)
    return next(csv.reader([text], delimiter=delimiter, strict=True))


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


def _parse_csv(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    """Plain lines (no quote, the right number of delimiters) are parsed in bulk by Arrow; lines with
    quotes go through the csv module one by one; everything else is a bad line."""
    lines = _decoded_lines(data.lstrip(b"\xef\xbb\xbf"), spec.encoding)
    header_line = next(lines, None)
    header_text = header_line[1] if header_line else None
    if not header_text or not header_text.strip():
        raise SourceFileError(f"{parsed.relative_name}: no header line")
    export_columns = [h.strip() for h in _split_csv_line(header_text, spec.delimiter)]
    missing = [c for c in spec.required_export_columns if c not in export_columns]
    if missing:
        raise SourceFileError(
            f"{parsed.relative_name}: required column(s) {missing} missing; the file has {export_columns}"
        )
    parsed.columns = [bronze_column(c) for c in export_columns]
    width = len(export_columns)
    delimiter = spec.delimiter
    plain_text: list[str] = []
    plain_lines: list[int] = []
    quoted_values: list[list[str | None]] = []
    quoted_lines: list[int] = []
    for number, text, raw in lines:
        if text is None:
            parsed.bad_lines.append(BadLine(number, f"bad_encoding: not valid {spec.encoding}", _printable(raw)))
            continue
        if not text.strip():
            continue
        if '"' not in text:
            if text.count(delimiter) == width - 1:
                plain_text.append(text)
                plain_lines.append(number)
            else:
                reason = f"wrong_field_count: expected {width} fields, found {text.count(delimiter) + 1}"
                parsed.bad_lines.append(BadLine(number, reason, text))
            continue
        try:
            values = _split_csv_line(text, delimiter)
        except csv.Error as exc:
            parsed.bad_lines.append(BadLine(number, f"broken_quoting: {exc}", text))
            continue
        if len(values) != width:
            reason = f"wrong_field_count: expected {width} fields, found {len(values)}"
            parsed.bad_lines.append(BadLine(number, reason, text))
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
    seen: dict[str, None] = {bronze_column(c.source): None for c in spec.columns if c.source}
    normalised = [(number, {bronze_column(k): v for k, v in record.items()}) for number, record in records]
    for _, record in normalised:
        seen.update(dict.fromkeys(record))
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
    parsed = ParsedFile(path, relative, hashlib.sha256(data).hexdigest(), columns=[])
    parsers = {"csv": _parse_csv, "jsonl": _parse_jsonl, "json": _parse_json}
    parsers[spec.format](parsed, data, spec)
    return parsed
