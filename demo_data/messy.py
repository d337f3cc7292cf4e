"""Messy data on purpose: bad copies of good rows, duplicates, redelivered and late files, each recorded.

A bad line is always an extra line beside good data (a corrupted copy placed just before the row it copies),
so the planted truth never depends on a bad line. A broken-quoting line is the last line of its file, so that
a reader that lets an open quote swallow the following lines loses nothing else. With a rate above 0, every
applicable (source, kind) pair is forced at least once, on a seeded day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_data.corrupt import corrupt, render_csv, render_jsonl
from demo_data.layout import HANDLING, SOURCES, SourceSpec
from demo_data.render import Table
from demo_data.rhythm import Calendar

FILE_RATE_FACTOR = 5.0  # whole-file mishaps (resend, late) per file = rate x this


@dataclass(frozen=True)
class BadRecord:
    source: str
    file: str
    line: int
    kind: str
    key: str

    @property
    def expected_handling(self) -> str:
        return HANDLING[self.kind]


@dataclass
class FileOut:
    path: str  # relative to the landing folder
    lines: list[str]
    data_rows: int


def render_lines(table: Table) -> list[str]:
    if table.is_jsonl:
        return render_jsonl(table.cols, table.header)
    return render_csv(zip(*table.cols, strict=True))


def _concat(tables: list[Table]) -> Table:
    first = tables[0]
    cols = [[v for t in tables for v in t.cols[i]] for i in range(len(first.cols))]
    return Table(first.header, cols, [k for t in tables for k in t.keys], first.is_jsonl)


class Mess:
    def __init__(self, seed: int, rate: float, calendar: Calendar) -> None:
        self.seed = seed
        self.rate = rate
        self.calendar = calendar
        self.last = calendar.days - 1
        self.file_p = min(1.0, rate * FILE_RATE_FACTOR)
        self.forced: list[tuple[int, str, str]] = []  # (due day, source, kind), applied once possible
        self.dups: dict[tuple[str, int], list[tuple[str, str]]] = {}
        self.late: dict[tuple[str, int], list[Table]] = {}
        if rate > 0:
            rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
            hi = max(1, calendar.days - 3)
            for spec in SOURCES:
                kinds = [*spec.line_kinds, "redelivered_file"] + (["late_file"] if spec.has_late_files else [])
                for kind in kinds:
                    self.forced.append((int(rng.integers(min(1, hi), hi + 1)), spec.name, kind))

    def _feasible(self, kind: str, day: int, rows: int) -> bool:
        if kind == "late_file":
            return rows >= 2 and day + 2 <= self.last
        if kind == "duplicate_record":
            return rows >= 1 and day + 1 <= self.last
        return kind == "redelivered_file" or rows >= 1

    def _take_forced(self, source: str, day: int, rows: int) -> list[str]:
        taken, kept = [], []
        for item in self.forced:
            due, name, kind = item
            if name == source and due <= day and self._feasible(kind, day, rows):
                taken.append(kind)
            else:
                kept.append(item)
        self.forced = kept
        return taken

    def files(
        self, spec: SourceSpec, index: int, day: int, table: Table, extra: Table | None = None
    ) -> tuple[list[FileOut], list[BadRecord]]:
        """The day's file for one source (plus any resend or late file) and the bad records in them.

        ``extra`` rows (the repeat-buying accounts') are appended clean after the others, before a broken last
        line, so the draws that place bad records are the ones made without them."""
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 4, day, index]))
        compact = self.calendar.compact[day]
        name = spec.file_name(compact)
        forced = self._take_forced(spec.name, day, len(table))
        wants_late = "late_file" in forced or (self.rate > 0 and rng.random() < self.file_p)
        if spec.has_late_files and wants_late and self._feasible("late_file", day, len(table)):
            table = self._hold_back(rng, spec, day, table)
        n = len(table)
        base = render_lines(table)
        kinds = [k for k in forced if k in spec.line_kinds]
        if self.rate > 0 and n:
            kinds += [str(k) for k in rng.choice(list(spec.line_kinds), size=int(rng.binomial(n, self.rate)))]
        inserts: list[tuple[int, int, str, str, str]] = []  # (before row, order, line, kind, key)
        has_broken = False
        for kind in kinds:
            r = int(rng.integers(n))
            if kind == "duplicate_record":
                target = min(day + int(rng.integers(1, 3)), self.last)
                if target > day:
                    self.dups.setdefault((spec.name, target), []).append((base[r], table.keys[r]))
                continue
            if kind == "broken_quoting" and has_broken:
                kind = "wrong_field_count"
            has_broken |= kind == "broken_quoting"
            line = corrupt(kind, spec, table.row(r), table.header, rng)
            where = (n, 2) if kind == "broken_quoting" else (r, 0)
            inserts.append((*where, line, kind, table.keys[r]))
        for line, key in self.dups.pop((spec.name, day), []):
            inserts.append((int(rng.integers(n + 1)), 1, line, "duplicate_record", key))
        inserts.sort(key=lambda item: (item[0], item[1]))
        lines = [] if spec.is_jsonl else render_csv([table.header])
        records = []
        previous = 0
        for position, _, line, kind, key in inserts:
            lines.extend(base[previous:position])
            previous = position
            lines.append(line)
            records.append(BadRecord(spec.name, name, len(lines), kind, key))
        lines.extend(base[previous:])
        data_rows = n + len(inserts)
        if extra is not None and len(extra):
            appended = render_lines(extra)
            if has_broken:  # the broken line stays last: move it (and its record) after the appended rows
                lines[-1:-1] = appended
                records = [
                    BadRecord(r.source, r.file, r.line + len(appended), r.kind, r.key)
                    if r.kind == "broken_quoting" else r
                    for r in records
                ]  # fmt: skip
            else:
                lines.extend(appended)
            data_rows += len(extra)
        outs = [FileOut(name, lines, data_rows)]
        if "redelivered_file" in forced or (self.rate > 0 and rng.random() < self.file_p):
            resend = spec.file_name(compact, "_resend")
            outs.append(FileOut(resend, lines, data_rows))
            records.append(BadRecord(spec.name, resend, 0, "redelivered_file", ""))
        held = self.late.pop((spec.name, day), [])
        if held:
            late_table = _concat(held)
            late_name = spec.file_name(compact, "_late")
            header = [] if spec.is_jsonl else render_csv([late_table.header])
            outs.append(FileOut(late_name, header + render_lines(late_table), len(late_table)))
            records.append(BadRecord(spec.name, late_name, 0, "late_file", ""))
        return outs, records

    def _hold_back(self, rng: np.random.Generator, spec: SourceSpec, day: int, table: Table) -> Table:
        """Move some of the day's rows to a '_late' file delivered 2 to 4 days later."""
        target = min(day + int(rng.integers(2, 5)), self.last)
        n = len(table)
        held = rng.random(n) < rng.uniform(0.1, 0.3)
        held[int(rng.integers(n))] = True
        if held.all():
            held[0] = False
        index = np.arange(n)
        self.late.setdefault((spec.name, target), []).append(table.take(index[held].tolist()))
        return table.take(index[~held].tolist())
