"""The calendar of a run: day indexes, date strings, weekly rhythm and seasonal / festive peaks."""

from __future__ import annotations

import datetime as dt

import numpy as np

# Monday .. Sunday: showrooms are quieter on Sundays.
WEEKDAY_FACTOR = np.array([1.05, 1.0, 1.0, 1.0, 1.02, 1.12, 0.55])

# (month, day, relative amplitude, width in days): smooth bumps, so that no 5-day window jumps by more than a
# few percent from seasonality alone; hotspots are the only surges.
SEASONAL_BUMPS = (
    (10, 24, 0.38, 16.0),  # Navratri / Dussehra / Diwali buying season
    (3, 20, 0.15, 14.0),  # financial-year end: fleet and institutional purchases
    (4, 30, 0.10, 8.0),  # Akshaya Tritiya (approximate)
    (8, 1, -0.12, 20.0),  # monsoon lull
)

SECONDS_PER_DAY = 86_400
TIME_OF_DAY = np.array(
    [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)], dtype=object
)


class Calendar:
    """Day index 0 is the first day of the range; ``span`` extra days cover dates planned past its end."""

    def __init__(self, end_date: dt.date, days: int, span: int = 200) -> None:
        if days < 1:
            raise ValueError("days must be at least 1")
        self.days = days
        self.end_date = end_date
        self.start_date = end_date - dt.timedelta(days=days - 1)
        dates = [self.start_date + dt.timedelta(days=i) for i in range(days + span)]
        self.dates = dates
        self.iso = np.array([d.isoformat() for d in dates], dtype=object)  # yyyy-MM-dd
        self.dmy = np.array([d.strftime("%d-%m-%Y") for d in dates], dtype=object)  # dd-MM-yyyy
        self.compact = [d.strftime("%Y%m%d") for d in dates]  # file names
        self.weekday = np.array([d.weekday() for d in dates])
        self.season = np.array([season_factor(d) for d in dates])

    def demand_factor(self, day: int) -> float:
        """Weekly rhythm times season for one day."""
        return float(WEEKDAY_FACTOR[self.weekday[day]] * self.season[day])

    def is_sunday(self, days: np.ndarray) -> np.ndarray:
        return np.asarray(self.weekday[days] == 6)


def season_factor(day: dt.date) -> float:
    """1.0 plus the smooth seasonal bumps around this date (nearest year's occurrence)."""
    factor = 1.0
    for month, mday, amplitude, width in SEASONAL_BUMPS:
        best = min(abs((day - dt.date(year, month, mday)).days) for year in (day.year - 1, day.year, day.year + 1))
        factor += amplitude * float(np.exp(-0.5 * (best / width) ** 2))
    return factor


def timestamps(day_text: str, seconds: np.ndarray, sep: str = " ") -> list[str]:
    """'yyyy-MM-dd HH:mm:ss' strings for seconds of one day (``sep`` 'T' for ISO)."""
    prefix = day_text + sep
    return [prefix + t for t in TIME_OF_DAY[seconds].tolist()]
