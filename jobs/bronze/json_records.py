"""JSON records of one export file: JSON lines (one object per line) or a document holding an array of objects.

Rules: a line that cannot be decoded is ``bad_encoding``; a blank line is skipped; a line that is not valid
JSON is ``bad_json`` (with the parser's message and column), one that is valid but not an object is
``bad_json`` too. Keys are normalised to bronze names (the last of two keys with one name wins); a string value
is kept as it is, any other value as its JSON text.

A file whose lines all parse takes the fast path: every line through ``json.loads`` in one pass, then one
column at a time into Arrow. The first bad line sends the file down the line-by-line path, which says what is
wrong with each line. Both give the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import pyarrow as pa

Record = dict[str, object]
BadLine = tuple[int, str, str]
Parsed = tuple[list[tuple[int, Record]], list[BadLine]]


def json_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_lines(texts: list[str | None], raws: list[bytes], encoding: str) -> Parsed:
    """(line number, object) per good line, and the bad lines."""
    numbers = [i for i, text in enumerate(texts, start=1) if text is not None and text.strip()]
    if None not in texts:  # every line decodes: try the fast path
        try:
            records = [json.loads(texts[n - 1]) for n in numbers]  # type: ignore[arg-type]
        except json.JSONDecodeError:
            records = []
        else:
            if all(type(record) is dict for record in records):
                return list(zip(numbers, records, strict=True)), []
    return _line_by_line(texts, raws, encoding)


def _line_by_line(texts: list[str | None], raws: list[bytes], encoding: str) -> Parsed:
    records: list[tuple[int, Record]] = []
    bad: list[BadLine] = []
    for number, (text, raw) in enumerate(zip(texts, raws, strict=True), start=1):
        if text is None:
            bad.append((number, f"bad_encoding: not valid {encoding}", raw.decode("utf-8", errors="backslashreplace")))
            continue
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            bad.append((number, f"bad_json: {exc.msg} at column {exc.colno}", text))
            continue
        if not isinstance(record, dict):
            bad.append((number, "bad_json: a line must hold one JSON object", text))
            continue
        records.append((number, record))
    return records, bad


def records_table(
    records: list[tuple[int, Record]], mapped: Iterable[str], normalise: Callable[[str], str]
) -> tuple[pa.Table, list[str], set[str]]:
    """The records as string columns plus ``_source_line``: the mapped bronze names first, then every other
    key in the order met. Returns the table, its columns and the columns the records really hold."""
    names: dict[str, str] = {}  # export key -> bronze name

    def bronze(key: str) -> str:
        if key not in names:
            names[key] = normalise(key)
        return names[key]

    groups: dict[tuple[str, ...], list[tuple[int, Record]]] = {}  # records by their keys, in order met
    for entry in records:
        groups.setdefault(tuple(entry[1]), []).append(entry)
    columns: dict[str, None] = dict.fromkeys(mapped)
    present: set[str] = set()
    layouts = []
    for keys, group in groups.items():
        layout = {bronze(k): k for k in keys}  # the last key wins when two keys share a bronze name
        columns.update(dict.fromkeys(layout))
        present.update(layout)
        layouts.append((layout, group))
    tables = [_group_table(list(columns), layout, group) for layout, group in layouts]
    if not tables:
        empty = [pa.array([], pa.string()) for _ in columns]
        return pa.table([*empty, pa.array([], pa.int64())], names=[*columns, "_source_line"]), list(columns), present
    return pa.concat_tables(tables), list(columns), present


def _group_table(columns: list[str], layout: dict[str, str], group: list[tuple[int, Record]]) -> pa.Table:
    arrays = []
    for column in columns:
        key = layout.get(column)
        if key is None:
            arrays.append(pa.nulls(len(group), pa.string()))
            continue
        values = [record[key] for _, record in group]
        try:
            arrays.append(pa.array(values, pa.string()))
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers, booleans, nested values: their JSON text
            arrays.append(pa.array([json_value(v) for v in values], pa.string()))
    arrays.append(pa.array([number for number, _ in group], pa.int64()))
    return pa.table(arrays, names=[*columns, "_source_line"])
