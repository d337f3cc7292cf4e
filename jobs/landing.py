"""Reading landing files line by line, so that one malformed line never stops the rest of the file.

The engine rejects a whole CSV read on one ragged line, so bronze parses exports here: every physical line
is decoded and parsed on its own, and a line that fails (bad encoding, broken quoting, wrong field count,
invalid JSON) becomes a ``BadLine`` with its 1-based line number while the good lines land.
Quoted fields spanning several lines are therefore not supported: such a record is quarantined.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jobs.mapping import SourceSpec, bronze_column


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
    rows: list[tuple[int, list[str | None]]] = field(default_factory=list)  # (line number, values)
    bad_lines: list[BadLine] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(landing_dir: Path, spec: SourceSpec) -> list[Path]:
    """Export files of one source, in name order (daily files sort by date)."""
    return sorted(p for p in landing_dir.glob(spec.path) if p.is_file())


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    # bytes.splitlines splits on \n, \r\n and \r only (str.splitlines would also split on \x0b, \x1c ...)
    yield from enumerate(data.splitlines(), start=1)


def _decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _printable(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def _parse_csv(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    lines = _lines(data.lstrip(b"\xef\xbb\xbf"))
    header_line = next(lines, None)
    header_text = _decode(header_line[1], spec.encoding) if header_line else None
    if not header_text or not header_text.strip():
        raise SourceFileError(f"{parsed.relative_name}: no header line")
    header = next(csv.reader([header_text], delimiter=spec.delimiter))
    export_columns = [h.strip() for h in header]
    missing = [c for c in spec.required_export_columns if c not in export_columns]
    if missing:
        raise SourceFileError(
            f"{parsed.relative_name}: required column(s) {missing} missing; the file has {export_columns}"
        )
    parsed.columns = [bronze_column(c) for c in export_columns]
    width = len(export_columns)
    for number, raw in lines:
        if not raw.strip():
            continue
        text = _decode(raw, spec.encoding)
        if text is None:
            parsed.bad_lines.append(BadLine(number, f"bad_encoding: not valid {spec.encoding}", _printable(raw)))
            continue
        try:
            values = next(csv.reader([text], delimiter=spec.delimiter, strict=True))
        except csv.Error as exc:
            parsed.bad_lines.append(BadLine(number, f"broken_quoting: {exc}", text))
            continue
        if len(values) != width:
            reason = f"wrong_field_count: expected {width} fields, found {len(values)}"
            parsed.bad_lines.append(BadLine(number, reason, text))
            continue
        parsed.rows.append((number, [v if v != "" else None for v in values]))


def _json_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _parse_jsonl(parsed: ParsedFile, data: bytes, spec: SourceSpec) -> None:
    records: list[tuple[int, dict[str, object]]] = []
    seen: dict[str, None] = {bronze_column(c.source): None for c in spec.columns if c.source}
    for number, raw in _lines(data.lstrip(b"\xef\xbb\xbf")):
        if not raw.strip():
            continue
        text = _decode(raw, spec.encoding)
        if text is None:
            parsed.bad_lines.append(BadLine(number, f"bad_encoding: not valid {spec.encoding}", _printable(raw)))
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            parsed.bad_lines.append(BadLine(number, f"bad_json: {exc.msg} at column {exc.colno}", text))
            continue
        if not isinstance(record, dict):
            parsed.bad_lines.append(BadLine(number, "bad_json: a line must hold one JSON object", text))
            continue
        normalised = {bronze_column(k): v for k, v in record.items()}
        seen.update(dict.fromkeys(normalised))
        records.append((number, normalised))
    parsed.columns = list(seen)
    for number, record in records:
        parsed.rows.append((number, [_json_value(record.get(c)) for c in parsed.columns]))


def parse_file(path: Path, landing_dir: Path, spec: SourceSpec) -> ParsedFile:
    """Parse one export file; raises SourceFileError when the file as a whole cannot be taken."""
    relative = path.relative_to(landing_dir).as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"{relative}: cannot be read: {exc}") from exc
    parsed = ParsedFile(path, relative, hashlib.sha256(data).hexdigest(), columns=[])
    if spec.format == "csv":
        _parse_csv(parsed, data, spec)
    else:
        _parse_jsonl(parsed, data, spec)
    return parsed
