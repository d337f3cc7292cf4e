"""Each shown taluka's lead trend: leads per day over ``alert.trend_days`` as a small PNG chart that mail
clients show (attached inline by Content-ID; no script, no external image), with alt text saying the same.

The counts come from gold ``taluka_daily_leads`` (leads per taluka and day as known on the as-of date, the
surge detector's input). matplotlib draws the chart with its Agg backend (no display needed).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from alert_agent.reasons import clean, plural


@dataclass(frozen=True)
class Trend:
    taluka: str
    days: tuple[date, ...]  # oldest first, ending on the as-of date
    leads: tuple[int, ...]  # leads created on each day (0 where the table has no row)


@dataclass(frozen=True)
class InlineImage:
    cid: str  # Content-ID without the angle brackets; the HTML refers to it as cid:<cid>
    png: bytes
    alt: str


def trend_for(taluka: str, as_of: date, counts: Mapping[date, int], days: int) -> Trend:
    span = tuple(as_of - timedelta(days=days - 1 - i) for i in range(days))
    return Trend(clean(taluka), span, tuple(int(counts.get(d, 0)) for d in span))


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


def trend_alt(trend: Trend, window_days: int) -> str:
    """The chart in words, for screen readers and mail clients that block images."""
    cur = sum(trend.leads[-window_days:])
    prev = sum(trend.leads[-2 * window_days : -window_days])
    return (
        f"Leads per day in {trend.taluka}, {_day(trend.days[0])} to {_day(trend.days[-1])}: "
        f"{min(trend.leads)} to {max(trend.leads)} a day; {plural(cur, 'lead')} in the last {window_days} days "
        f"against {prev:,} in the {window_days} before."
    )


def trend_png(trend: Trend, window_days: int, colour: str) -> bytes:
    """A 560 x 150 px bar chart (the email scales it to its column): the last ``window_days`` in the status
    colour, the days before in grey, the first day and the as-of date labelled."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.6, 1.5), dpi=100)
    axes = figure.add_axes((0.06, 0.24, 0.92, 0.68))
    n = len(trend.leads)
    colours = ["#98a2b3" if i < n - window_days else colour for i in range(n)]
    axes.bar(range(n), trend.leads, color=colours, width=0.8)
    axes.set_xlim(-0.6, n - 0.4)
    axes.set_ylim(0, max(max(trend.leads), 1) * 1.15)
    axes.set_xticks([0, n - 1], [_day(trend.days[0]), _day(trend.days[-1])])
    axes.tick_params(labelsize=14, colors="#475467", length=0)
    axes.locator_params(axis="y", nbins=3)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color("#d0d5dd")
    axes.grid(axis="y", color="#eaecf0", linewidth=0.8)
    axes.set_axisbelow(True)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def inline_images(
    trends: Sequence[Trend], window_days: int, colours: Sequence[str], as_of: date
) -> tuple[InlineImage, ...]:
    """One chart per shown taluka, in order; Content-IDs unique within the message."""
    return tuple(
        InlineImage(
            f"trend-{i}-{as_of.isoformat()}@scv.alert", trend_png(t, window_days, colour), trend_alt(t, window_days)
        )
        for i, (t, colour) in enumerate(zip(trends, colours, strict=True), start=1)
    )
