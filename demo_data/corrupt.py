"""Bad copies of good rows, one function per kind; each returns the bad physical line (a str whose lone
surrogates encode to invalid UTF-8 bytes with ``surrogateescape``)."""

from __future__ import annotations

import csv
import io

import numpy as np

from demo_data.layout import SourceSpec

INVALID_BYTES = "\udcff\udcfe"  # b"\xff\xfe" once encoded with surrogateescape


def render_csv(rows: list[list[str]] | object) -> list[str]:
    """Physical lines of rows, quoted only where needed (no field holds a newline)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)  # type: ignore[arg-type]
    return buffer.getvalue().split("\n")[:-1]


def render_jsonl(cols: list[list[str]], names: tuple[str, ...]) -> list[str]:
    """JSON lines with json.dumps' default layout; values are plain ASCII ids, codes and timestamps."""
    a, b, c, d = names
    return [f'{{"{a}": "{w}", "{b}": "{x}", "{c}": "{y}", "{d}": "{z}"}}' for w, x, y, z in zip(*cols, strict=True)]


def render_row(spec: SourceSpec, fields: list[str], names: tuple[str, ...]) -> str:
    if spec.is_jsonl:
        return render_jsonl([[f] for f in fields], names)[0]
    return render_csv([fields])[0]


def _bad_date(value: str, style: str, rng: np.random.Generator) -> str:
    if rng.random() < 0.3:
        return "not-a-date"
    if style == "dmy":
        return f"31-02-{value[6:10]}"
    return f"{value[:4]}-02-30{value[10:]}"


def _future_date(value: str, style: str) -> str:
    """The same day and month in 2099 (29 February becomes the 28th: 2099 is no leap year)."""
    if style == "dmy":
        day_month = "28-02" if value[:5] == "29-02" else value[:5]
        return f"{day_month}-2099{value[10:]}"
    month_day = "02-28" if value[5:10] == "02-29" else value[5:10]
    return f"2099-{month_day}{value[10:]}"


def corrupt(kind: str, spec: SourceSpec, fields: list[str], names: tuple[str, ...], rng: np.random.Generator) -> str:
    """The bad line of ``kind`` made from a copy of a good row's fields."""
    fields = list(fields)
    if kind == "wrong_field_count":
        fields = fields[:-1] if rng.random() < 0.5 else [*fields, "EXTRA"]
        return render_csv([fields])[0]
    if kind == "bad_encoding":
        value = fields[spec.text_col]
        cut = len(value) // 2
        fields[spec.text_col] = value[:cut] + INVALID_BYTES + value[cut:]
    elif kind == "broken_quoting":
        line = render_csv([fields])[0]
        comma = line.index(",") + 1
        return line[:comma] + '"' + line[comma:]
    elif kind == "bad_json":
        line = render_row(spec, fields, names)
        return line[: max(1, len(line) // 2)]
    elif kind == "bad_date":
        fields[spec.date_col] = _bad_date(fields[spec.date_col], spec.date_style, rng)
    elif kind == "future_date":
        fields[spec.date_col] = _future_date(fields[spec.date_col], spec.date_style)
    elif kind == "unknown_code":
        col, code = spec.unknown_codes[int(rng.integers(len(spec.unknown_codes)))]
        fields[col] = code
    elif kind == "negative_duration":
        fields[3] = str(-max(int(fields[3]), 1))
    else:
        raise ValueError(f"not a line kind: {kind}")
    return render_row(spec, fields, names)
