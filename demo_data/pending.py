"""Events planned for future days, bucketed by day, so the generator streams one day at a time."""

from __future__ import annotations

import numpy as np

from demo_data.render import Batch

KINDS = ("lead", "call", "journey", "won", "natural_won")


class Pending:
    def __init__(self, days: int) -> None:
        self.days = days
        self.by_day: dict[int, dict[str, list[Batch]]] = {}

    def push(self, created: int, events: dict[str, dict[str, np.ndarray]]) -> int:
        """Bucket the events of leads created on ``created`` by day (dropping days past the range);
        return the last day any of them falls on."""
        last = created
        for kind, arrays in events.items():
            day = arrays["day"]
            keep = np.flatnonzero(day < self.days)
            if not len(keep):
                continue
            keep = keep[np.argsort(day[keep], kind="stable")]
            sorted_days = day[keep]
            starts = np.flatnonzero(np.r_[True, sorted_days[1:] != sorted_days[:-1]])
            ends = np.r_[starts[1:], len(keep)]
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                rows = keep[start:end]
                bucket = self.by_day.setdefault(int(sorted_days[start]), {k: [] for k in KINDS})
                bucket[kind].append((created, {name: values[rows] for name, values in arrays.items()}))
            last = max(last, int(sorted_days[-1]))
        return last

    def pop(self, day: int) -> dict[str, list[Batch]]:
        return self.by_day.pop(day, {k: [] for k in KINDS})
