"""The waves' planned and actual dates as horizontal bars, with today
(`timeline`). `TimelineRow` is one wave's dates."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure

from .common import BLACK, BLUE, GRID_COLOUR, MUTED_TEXT, ORANGE, VERMILLION, Chart
from .drawing import centre_rows, legend, show_message, wrap
from .texts import ChartText, Labels, alt_text, sentence

__all__ = ["TimelineRow", "timeline"]


@dataclass(frozen=True)
class TimelineRow:
    """Planned and actual dates of one wave; None where not (yet) known.

    Dates are inclusive: a wave from 3 March to 3 March lasts one day. An
    `actual_start` without `actual_end` means the wave is still running.
    """

    label: str
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None



def timeline(rows: Sequence[TimelineRow], today: date, labels: Labels | None = None) -> Chart:
    """Planned and actual dates per wave as horizontal bars, first wave on top.

    A wave that started but has not ended is drawn up to and including
    `today`, hatched. Dates are shown as ISO dates (same in every language).
    """
    text = ChartText("timeline", labels)
    title = text("title")

    def iso(day: date | None) -> str:
        return text("missing") if day is None else day.isoformat()

    def span(start: date | None, end: date | None) -> str:
        if start is None:
            return text("alt_not_set")
        if end is None:
            return text("alt_running", start=iso(start))
        return text("alt_span", start=iso(start), end=iso(end))

    header = (text("col_wave"), text("col_planned_start"), text("col_planned_end"), text("col_actual_start"),
              text("col_actual_end"), text("col_delay"))
    table_rows = []
    sentences = []
    for row in rows:
        delay = (row.actual_start - row.planned_start).days if row.actual_start and row.planned_start else None
        running = row.actual_start is not None and row.actual_end is None
        table_rows.append((row.label, iso(row.planned_start), iso(row.planned_end), iso(row.actual_start),
                           text("cell_running") if running else iso(row.actual_end),
                           text("missing") if delay is None else text.integer(delay)))
        said = text("alt_row", wave=row.label, planned=span(row.planned_start, row.planned_end),
                    actual=span(row.actual_start, row.actual_end))
        if delay is not None:
            key = ("alt_start_on_time" if delay == 0 else
                   ("alt_start_late" if delay > 0 else "alt_start_early") + ("_one" if abs(delay) == 1 else ""))
            said = f"{sentence(said)} {text(key, days=text.integer(abs(delay)))}"
        sentences.append(said)
    if not rows:
        sentences.append(text("no_data"))
    elif any(row.actual_start is not None and row.actual_end is None for row in rows):
        sentences.append(text("alt_today", date=today.isoformat()))

    def draw(figure: Figure, axes: Axes) -> None:
        if not rows:
            show_message(axes, text("no_data"), hide_axes=True)
        else:
            _draw_timeline(figure, axes, text, rows, today)

    return Chart(title, alt_text(title, sentences), (header, tuple(table_rows)), draw)


_EPOCH = date(1970, 1, 1)  # matches the rc "date.epoch", so DateFormatter reads our numbers


def _day(day: date) -> float:
    return float((day - _EPOCH).days)


def _draw_timeline(figure: Figure, axes: Axes, text: ChartText, rows: Sequence[TimelineRow], today: date) -> None:
    axes.set_yticks(range(len(rows)), [wrap(row.label, 18) for row in rows])
    centre_rows(axes, len(rows))
    axes.tick_params(axis="y", length=0)
    axes.xaxis.grid(True, color=GRID_COLOUR)
    if text("xlabel"):
        axes.set_xlabel(text("xlabel"))
    height = 0.34
    days: list[date] = []
    legend_done: set[str] = set()

    def bar(y: float, start: date, end: date, key: str, **style: Any) -> None:
        # Dates are inclusive, so a bar runs from the start of `start` to the end of `end`.
        width = max(_day(end) + 1 - _day(start), 0.3)
        label = text(key) if key not in legend_done else None
        legend_done.add(key)
        axes.barh(y, width, left=_day(start), height=height, label=label, zorder=2, **style)
        days.extend((start, end))

    for y, row in enumerate(rows):
        if row.planned_start is not None:
            bar(y - height / 2 - 0.02, row.planned_start, row.planned_end or row.planned_start, "planned",
                color="white", edgecolor=BLUE, hatch="..", hatchcolor=BLUE, linewidth=1.2)
        if row.actual_start is not None:
            if row.actual_end is None:
                bar(y + height / 2 + 0.02, row.actual_start, max(today, row.actual_start), "running",
                    color=ORANGE, edgecolor=BLACK, hatch="//", hatchcolor=BLACK, linewidth=1.0)
            else:
                bar(y + height / 2 + 0.02, row.actual_start, row.actual_end, "actual",
                    color=BLUE, edgecolor=BLUE, linewidth=1.0)
        if row.planned_start is None and row.actual_start is None:
            axes.text(0.01, y, text("not_scheduled"), transform=axes.get_yaxis_transform(), va="center",
                      fontsize=9, color=MUTED_TEXT, style="italic")

    if days:
        days.append(today)
        axes.axvline(_day(today), color=VERMILLION, linestyle=":", linewidth=2,
                     label=text("today", date=today.isoformat()), zorder=3)
    first, last = min(days, default=today), max(days, default=today)
    extent = max(_day(last) + 1 - _day(first), 14.0)  # never zoom in to hours
    middle = (_day(first) + _day(last) + 1) / 2
    axes.set_xlim(middle - extent * 0.55, middle + extent * 0.55)
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=6))
    axes.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
    if not any(row.planned_start or row.actual_start for row in rows):
        show_message(axes, text("no_data"), hide_axes=False)
    legend(figure, axes, beside=True)
