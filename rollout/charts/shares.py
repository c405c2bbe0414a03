"""Shares per wave, each with its 95 % interval and a gate line: how many are
satisfied (`satisfaction`, points with whiskers) and how many responded
(`response_rate`, bars with whiskers). `WaveShare` is one wave's share."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from .common import BLACK, BLUE, GRID_COLOUR, MUTED_TEXT, VERMILLION, Chart
from .drawing import check_gate, legend, show_message, wave_axis, wrap
from .texts import ChartText, Labels, Withheld, alt_text

__all__ = ["WaveShare", "response_rate", "satisfaction"]


@dataclass(frozen=True)
class WaveShare:
    """A share (0..1) for one wave, out of `n`, with its 95 % interval.

    `value` is None when there is nothing to divide by yet (n = 0); `low` and
    `high` are the interval's ends (e.g. Wilson), both given or both None.
    `withheld` says why a wave has no value although it may have an n (it has
    not started; its anonymous answers are hidden): then `value` is None.
    """

    label: str
    n: int
    value: float | None
    low: float | None = None
    high: float | None = None
    withheld: Withheld | None = None

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"{self.label}: n must not be negative, got {self.n}")
        for name in ("value", "low", "high"):
            share = getattr(self, name)
            if share is not None and not 0.0 <= share <= 1.0:
                raise ValueError(f"{self.label}: {name} must be a share between 0 and 1, got {share!r}")
        if (self.low is None) != (self.high is None):
            raise ValueError(f"{self.label}: give both ends of the interval or neither")
        if self.value is not None and self.low is not None and self.high is not None:
            if not self.low - 1e-9 <= self.value <= self.high + 1e-9:
                raise ValueError(f"{self.label}: the interval {self.low}..{self.high} must contain {self.value}")
        if self.withheld is not None and (self.value is not None or self.low is not None):
            raise ValueError(f"{self.label}: a withheld wave ({self.withheld.reason}) has no value to show")



def satisfaction(waves: Sequence[WaveShare], gate: float | None = None, labels: Labels | None = None) -> Chart:
    """Satisfied share per wave: points with their 95 % interval, and the gate line.

    `gate` is the minimum satisfied share (0..1) a wave needs, drawn as a
    dashed line; None draws no line.
    """
    return _share_chart("satisfaction", waves, gate, labels, bars=False)


def response_rate(waves: Sequence[WaveShare], gate: float | None = None, labels: Labels | None = None) -> Chart:
    """Response rate per wave (`n` = invited): bars with 95 % interval whiskers, and the gate line."""
    return _share_chart("response_rate", waves, gate, labels, bars=True)


def _share_chart(kind: str, waves: Sequence[WaveShare], gate: float | None, labels: Labels | None, *, bars: bool) -> Chart:
    check_gate(gate)
    text = ChartText(kind, labels)
    title = text("title")
    header = (text("col_wave"), text("col_n"), text("col_value"), text("col_low"), text("col_high"))

    def cell(share: float | None) -> str:
        return text("missing") if share is None else text.percent(share)

    rows = tuple((w.label, text.integer(w.n), text.withheld(w.withheld) if w.withheld else cell(w.value),
                  cell(w.low), cell(w.high)) for w in waves)
    sentences = []
    for w in waves:
        n = text.integer(w.n)
        if w.withheld is not None:
            sentences.append(text.withheld_alt(w.label, w.withheld))
        elif w.value is None:
            sentences.append(text("alt_no_value", wave=w.label, n=n))
        elif w.low is None or w.high is None:
            sentences.append(text("alt_value_no_interval", wave=w.label, n=n, value=text.percent(w.value)))
        else:
            sentences.append(text("alt_value", wave=w.label, n=n, value=text.percent(w.value),
                                  low=text.percent(w.low), high=text.percent(w.high)))
    if not waves:
        sentences.append(text("no_data"))
    if gate is not None:
        sentences.append(text("alt_gate", gate=text.percent(gate)))

    def draw(figure: Figure, axes: Axes) -> None:
        if not waves:
            show_message(axes, text("no_data"), hide_axes=True)
            return
        _draw_shares(axes, text, waves, bars=bars)
        if gate is not None:
            axes.axhline(gate * 100, color=VERMILLION, linestyle="--", linewidth=2,
                         label=text("gate_legend", gate=text.percent(gate)), zorder=1.5)
        if all(w.value is None for w in waves):
            show_message(axes, text("no_data"), hide_axes=False)
        legend(figure, axes)

    return Chart(title, alt_text(title, sentences), (header, rows), draw)


def _draw_shares(axes: Axes, text: ChartText, waves: Sequence[WaveShare], *, bars: bool) -> None:
    ticks = [text.withheld_tick(w.withheld) if w.withheld else text("n_tick", n=text.integer(w.n)) for w in waves]
    wave_axis(axes, [w.label for w in waves], text("xlabel"), ticks)
    axes.set_ylim(0, 100)
    axes.yaxis.set_major_locator(MultipleLocator(20))
    axes.yaxis.set_major_formatter(FuncFormatter(text.axis_percent))
    axes.yaxis.grid(True, color=GRID_COLOUR)
    axes.set_ylabel(text("ylabel"))

    known = [(x, w) for x, w in enumerate(waves) if w.value is not None]
    xs = [x for x, _ in known]
    values = [w.value * 100 for _, w in known if w.value is not None]
    # max(0, ...): WaveShare tolerates a value a rounding error outside its interval; errorbar does not.
    below = [max(0.0, (w.value - w.low) * 100) if w.value is not None and w.low is not None else 0.0 for _, w in known]
    above = [max(0.0, (w.high - w.value) * 100) if w.value is not None and w.high is not None else 0.0 for _, w in known]
    has_interval = [w.low is not None for _, w in known]
    if bars:
        if xs:
            axes.bar(xs, values, width=0.6, color=BLUE, edgecolor=BLUE, label=text("value_legend"), zorder=2)
            if any(has_interval):
                axes.errorbar(xs, values, yerr=[below, above], fmt="none", ecolor=BLACK, elinewidth=1.5,
                              capsize=6, capthick=1.5, label=text("interval_legend"), zorder=3)
    elif xs:
        points = axes.errorbar(xs, values, yerr=[below, above], fmt="o", color=BLUE, ecolor=BLUE,
                               markersize=8, elinewidth=1.8, capsize=6, capthick=1.8,
                               label=text("value_legend"), zorder=3)
        for artist in points.get_children():
            artist.set_clip_on(False)  # a point at 100 % is drawn whole
        for x, w in known:
            if w.value is not None:
                axes.annotate(text.percent(w.value), (x, w.value * 100), xytext=(9, 0), textcoords="offset points",
                              va="center", fontsize=9, color=BLACK, zorder=4)
    for x, w in enumerate(waves):
        if w.value is None and known:  # with no value at all, one "no data yet" says it
            note = wrap(text.withheld(w.withheld), 28) if w.withheld else text("no_value")
            axes.text(x, 3, note, rotation=90, ha="center", va="bottom", fontsize=9,
                      color=MUTED_TEXT, style="italic")
