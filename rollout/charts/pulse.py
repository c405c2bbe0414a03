"""A wave's check-ins as a trend: the mean answer of one question per check-in, with its 95 %
interval, joined by a line (`checkins`). `PulsePoint` is one check-in's mean."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .common import BLUE, GRID_COLOUR, MUTED_TEXT, Chart
from .drawing import legend, show_message, wave_axis, wrap
from .texts import ChartText, Labels, Withheld, alt_text

__all__ = ["PulsePoint", "checkins"]


@dataclass(frozen=True)
class PulsePoint:
    """One check-in (`label`, e.g. "Day 3"): `n` answers, their mean and its interval (both
    ends or neither: one answer has no interval); `withheld` when its answers are hidden to keep
    an anonymous rollout's answers anonymous, or when it has not been sent (reason not_started)."""

    label: str
    n: int
    value: float | None
    low: float | None = None
    high: float | None = None
    withheld: Withheld | None = None

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"{self.label}: n must not be negative, got {self.n}")
        if (self.low is None) != (self.high is None):
            raise ValueError(f"{self.label}: give both ends of the interval or neither")
        if self.value is not None and self.low is not None and self.high is not None:
            if not self.low - 1e-9 <= self.value <= self.high + 1e-9:
                raise ValueError(f"{self.label}: the interval {self.low}..{self.high} must contain {self.value}")
        if self.withheld is not None and self.value is not None:
            raise ValueError(f"{self.label}: a withheld check-in has no value to show")


def checkins(points: Sequence[PulsePoint], scale: tuple[float, float] = (1.0, 5.0),
             labels: Labels | None = None) -> Chart:
    """The mean answer per check-in, in the order given (by day), on the question's `scale`."""
    least, most = scale
    if not least < most:
        raise ValueError("the scale's least value must be below its most")
    text = ChartText("checkins", labels)
    title = text("title")
    header = (text("col_checkin"), text("col_n"), text("col_value"), text("col_low"), text("col_high"))

    def cell(value: float | None) -> str:
        return text("missing") if value is None else text.number(value, 2)

    rows = tuple((p.label, text.integer(p.n), text.withheld(p.withheld) if p.withheld else cell(p.value),
                  cell(p.low), cell(p.high)) for p in points)
    sentences = []
    for p in points:
        n = text.integer(p.n)
        if p.withheld is not None:
            sentences.append(text.withheld_alt(p.label, p.withheld))
        elif p.value is None:
            sentences.append(text("alt_no_value", checkin=p.label, n=n))
        elif p.low is None or p.high is None:
            sentences.append(text("alt_value_no_interval", checkin=p.label, n=n, value=text.number(p.value, 2)))
        else:
            sentences.append(text("alt_value", checkin=p.label, n=n, value=text.number(p.value, 2),
                                  low=text.number(p.low, 2), high=text.number(p.high, 2)))
    if not points:
        sentences.append(text("no_data"))

    def draw(figure: Figure, axes: Axes) -> None:
        if not points:
            show_message(axes, text("no_data"), hide_axes=True)
            return
        ticks = [text.withheld_tick(p.withheld) if p.withheld else text("n_tick", n=text.integer(p.n)) for p in points]
        wave_axis(axes, [p.label for p in points], text("xlabel"), ticks)
        span = most - least
        axes.set_ylim(least - span * 0.05, most + span * 0.05)
        axes.yaxis.grid(True, color=GRID_COLOUR)
        axes.set_ylabel(text("ylabel"))
        known = [(x, p) for x, p in enumerate(points) if p.value is not None]
        if known:
            xs = [x for x, _p in known]
            values = [p.value for _x, p in known if p.value is not None]
            below = [max(0.0, p.value - p.low) if p.value is not None and p.low is not None else 0.0 for _x, p in known]
            above = [max(0.0, p.high - p.value) if p.value is not None and p.high is not None else 0.0 for _x, p in known]
            axes.plot(xs, values, color=BLUE, linewidth=1.5, zorder=2)
            axes.errorbar(xs, values, yerr=[below, above], fmt="o", color=BLUE, ecolor=BLUE, markersize=8,
                          elinewidth=1.8, capsize=6, capthick=1.8, label=text("value_legend"), zorder=3)
            for x, value in zip(xs, values, strict=True):
                axes.annotate(text.number(value, 1), (x, value), xytext=(9, 0), textcoords="offset points",
                              va="center", fontsize=9, zorder=4)
        for x, p in enumerate(points):
            if p.value is None and known:
                note = wrap(text.withheld(p.withheld), 28) if p.withheld else text("no_value")
                axes.text(x, least + span * 0.05, note, rotation=90, ha="center", va="bottom", fontsize=9,
                          color=MUTED_TEXT, style="italic")
        if not known:
            show_message(axes, text("no_data"), hide_axes=False)
        legend(figure, axes)

    return Chart(title, alt_text(title, sentences), (header, rows), draw)
