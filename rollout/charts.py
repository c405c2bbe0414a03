"""Charts of a rollout's results: plain data in, SVG or PNG bytes out.

Each builder (`satisfaction`, `response_rate`, `problems`, `lessons`,
`timeline`, `distribution`) takes plain Python data -- the dataclasses below,
lists, dicts, dates -- and returns a `Chart`: its title, the plain text
alternative for the image (`alt`), the same numbers as a data table (`table`)
to show beside it, and the matplotlib `Figure`, drawn only when first asked
for (a results page needs the texts of every chart, not their pictures).
`render(chart, "svg" | "png")` turns the figure into bytes. Nothing here knows
about Flask, the database or the request, so a chart can be tested,
benchmarked or rendered from the CLI without an app.

All human-readable text comes from a `Labels` mapping passed by the caller
(the web app passes its translated strings and its locale's separators);
every key has an English default in `DEFAULT_LABELS` (rollout.chart_text), so
a caller passes only what it translates. Values are `str.format` templates;
the placeholders each key may use are the ones in its default (an unknown
placeholder is left as is instead of failing the page). Every number, in the
picture as in the texts, is written with the labels' separators.

Output is deterministic: the same data and labels give byte-identical SVG and
PNG (fixed figure size, fixed rc settings, a fixed SVG hash salt, no dates or
software versions in the file metadata), so the app can cache a chart on
`fingerprint(...)` of its inputs and use that as the ETag.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import textwrap
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, ScalarFormatter

from .chart_text import DEFAULT_LABELS, ChartText, Labels, Withheld, alt_text, sentence

__all__ = [
    "CHART_VERSION",
    "DEFAULT_LABELS",
    "FORMATS",
    "MEDIA_TYPES",
    "Chart",
    "Labels",
    "Table",
    "TimelineRow",
    "WaveShare",
    "Withheld",
    "distribution",
    "fingerprint",
    "lessons",
    "problems",
    "render",
    "response_rate",
    "satisfaction",
    "timeline",
]

#: Bump whenever a change here changes the pictures, so cached charts and
#: their ETags (see `fingerprint`) are invalidated.
CHART_VERSION = 3

FORMATS = ("svg", "png")
MEDIA_TYPES: Mapping[str, str] = {"svg": "image/svg+xml", "png": "image/png"}

WIDTH_INCHES = 8.0
HEIGHT_INCHES = 4.5
DPI = 100  # PNG is WIDTH_INCHES * DPI x HEIGHT_INCHES * DPI = 800 x 450 pixels

#: Okabe & Ito's palette, distinguishable with the common colour-vision
#: deficiencies; series are also told apart by hatch or marker (below), so
#: colour is never the only carrier.
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY_BLUE, YELLOW, BLACK = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY_BLUE, YELLOW, BLACK)
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
GRID_COLOUR = "#DDDDDD"
MUTED_TEXT = "#444444"

#: (header row, data rows); every cell is display text, formatted like the alt text.
Table = tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]


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


@dataclass(eq=False)
class Chart:
    """A built chart: its title, text alternative and data table, and its figure, drawn on first use.

    `draw(figure, axes)` fills a new figure (already titled); the title, alt
    text and table never need it, so describing a chart costs no drawing.
    """

    title: str
    alt: str
    table: Table
    draw: Callable[[Figure, Axes], None] = field(repr=False)
    _figure: Figure | None = field(default=None, init=False, repr=False)

    @property
    def drawn(self) -> bool:
        """Whether the figure has been drawn yet."""
        return self._figure is not None

    @property
    def figure(self) -> Figure:
        if self._figure is None:
            with _matplotlib():
                if self._figure is None:  # another thread may have drawn it while this one waited
                    figure, axes = _new_figure(self.title)
                    self.draw(figure, axes)
                    self._figure = figure
        return self._figure


# --- matplotlib state ---------------------------------------------------------

# Threads: matplotlib is not thread-safe. Separate Figures share module-level
# caches (fonts -- one FT2Font object per file, used by every renderer --,
# text layout, mathtext), and deterministic SVG needs `svg.hashsalt`, which
# the SVG backend reads only from the global rcParams (savefig has no
# parameter for it). `rc_context` sets and restores those global rcParams, so
# two threads inside it would restore each other's values half-way through a
# draw. We therefore guard every piece of matplotlib work -- drawing a figure
# (on the first use of `Chart.figure`) and rendering it -- with one
# module-level lock and apply our settings with rc_context inside it. The lock
# is not reentrant: `render` has the figure drawn first and takes the lock for
# saving after, never the one inside the other. Rendering is CPU-bound Python
# under the GIL, so the lock costs little throughput, and the rendered bytes
# are cached by the app anyway. Only this module uses matplotlib in the app,
# so nothing else sees our rc values while the lock is held.
_LOCK = threading.Lock()

# Start from matplotlib's built-in defaults rather than whatever matplotlibrc
# the server has, so the pictures (and their bytes) do not depend on the host.
_RC: dict[Any, Any] = {
    key: value
    for key, value in matplotlib.rcParamsDefault.items()
    if not key.startswith(("backend", "interactive", "webagg", "toolbar"))
}
_RC.update({
    "svg.hashsalt": f"rollout-charts-{CHART_VERSION}",  # stable ids for clip paths, hatches, glyphs
    "svg.fonttype": "path",  # glyphs as paths: looks the same without the font installed
    "font.family": "DejaVu Sans",  # ships with matplotlib; has å ä ö
    "font.size": 10,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "hatch.linewidth": 1.0,
    "date.epoch": "1970-01-01T00:00:00",
    "timezone": "UTC",
    # labels are the rollout's own words (categories, options, wave names): drawn as text, never
    # as mathtext, so that "$5 or $10" is a label and not a formula that breaks the drawing
    "text.parse_math": False,
})


@contextmanager
def _matplotlib() -> Iterator[None]:
    with _LOCK, matplotlib.rc_context(_RC):
        yield


def _new_figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    # A figure title (not an axes title), so a legend can sit between it and the plot.
    figure.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    axes = figure.add_subplot()
    return figure, axes


def _show_message(axes: Axes, message: str, *, hide_axes: bool) -> None:
    if hide_axes:
        axes.set_axis_off()
    axes.text(
        0.5, 0.5, message, transform=axes.transAxes, ha="center", va="center", fontsize=14,
        color=MUTED_TEXT, bbox={"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": GRID_COLOUR},
    )


def _style(index: int) -> tuple[str, str]:
    """Colour and hatch of series `index`; pairs stay distinct well past 8 series."""
    return PALETTE[index % len(PALETTE)], HATCHES[(index + index // len(PALETTE)) % len(HATCHES)]


def _ink_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (hatch lines, labels)."""
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # WCAG contrast: white wins below a relative luminance of about 0.179.
    return "white" if (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05) else "black"


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width=width, break_long_words=False) or text


_MIN_SLOTS = 4


def _centre_rows(axes: Axes, count: int) -> None:
    """Rows top to bottom, first wave on top; a few rows stay as thick as with _MIN_SLOTS."""
    pad = max(0.0, (_MIN_SLOTS - count) / 2)
    axes.set_ylim(count - 0.5 + pad, -0.5 - pad)


def _wave_axis(axes: Axes, waves: Sequence[str], xlabel: str, second_lines: Sequence[str] = ()) -> None:
    """One tick per wave, labelled with its (wrapped) name and an optional second line such as n."""
    count = len(waves)
    width = 24 if count <= 5 else 10
    tick_labels = [_wrap(wave, width) for wave in waves]
    if second_lines:
        tick_labels = [f"{label}\n{line}" for label, line in zip(tick_labels, second_lines, strict=True)]
    axes.set_xticks(range(count), tick_labels, fontsize=10 if count <= 6 else 9)
    pad = max(0.0, (_MIN_SLOTS - count) / 2)  # one or two waves do not get bars half the chart wide
    axes.set_xlim(-0.6 - pad, count - 0.4 + pad)
    axes.tick_params(axis="x", length=0)
    if xlabel:
        axes.set_xlabel(xlabel)


def _legend(figure: Figure, axes: Axes, title: str = "", *, beside: bool = False) -> None:
    """The legend above the plot, in up to four columns, or `beside` it on the right.

    Charts with waves along x keep their full width for the wave labels; charts
    with waves down the y axis keep their full height.
    """
    handles, names = axes.get_legend_handles_labels()
    if not handles:
        return
    if beside:
        figure.legend(handles, [_wrap(name, 22) for name in names], title=title or None, loc="outside right upper")
    else:
        # An axes legend anchored just above the plot: constrained layout makes
        # room for it below the figure title (a figure legend would overlap it).
        axes.legend(handles, [_wrap(name, 30) for name in names], title=title or None, alignment="left",
                    loc="lower left", bbox_to_anchor=(0.0, 1.02), borderaxespad=0.0, ncols=min(len(handles), 4))


class _LocaleTicks(ScalarFormatter):
    """matplotlib's usual tick numbers (as many decimals as the step needs), in the chart's locale."""

    def __init__(self, text: ChartText) -> None:
        super().__init__(useOffset=False)
        self.set_scientific(False)
        self._text = text

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._text.localise(super().__call__(x, pos))


def _check_lengths(waves: Sequence[str], **series: Sequence[object]) -> None:
    for name, values in series.items():
        if len(values) != len(waves):
            raise ValueError(f"{name} has {len(values)} values for {len(waves)} waves")


def _check_gate(gate: float | None) -> None:
    if gate is not None and not 0.0 <= gate <= 1.0:
        raise ValueError(f"gate must be a share between 0 and 1, got {gate!r}")


# --- rendering ----------------------------------------------------------------


def render(chart: Chart, fmt: str) -> bytes:
    """The chart as SVG or PNG bytes; the same chart data always gives the same bytes.

    PNG is WIDTH_INCHES x HEIGHT_INCHES at DPI (800 x 450 pixels). Raises
    ValueError for any format other than "svg" and "png".
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}; expected one of {', '.join(FORMATS)}")
    # No date, no software version in the file: the bytes depend on the data only.
    metadata: dict[str, str | None] = (
        {"Date": None, "Creator": None, "Title": chart.title} if fmt == "svg" else {"Software": None}
    )
    buffer = io.BytesIO()
    figure = chart.figure  # drawn now if not yet, under the lock, which is free again before we take it below
    with _matplotlib():
        # savefig hands SVG to backend_svg's FigureCanvasSVG and PNG to Agg, then
        # puts the figure's FigureCanvasAgg back.
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def fingerprint(*data: object) -> str:
    """A stable SHA-256 hex digest of `data` and CHART_VERSION, for caching and ETags.

    Pass everything the picture depends on: the chart's name, its data, the
    labels (i.e. the language), the format and, for the timeline, today.
    Dataclasses, dates, tuples, lists, mappings and sets are understood. The
    matplotlib version is included too, since an upgrade changes the bytes.
    """
    payload = json.dumps(
        [CHART_VERSION, matplotlib.__version__, list(data)],
        default=_jsonable, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _jsonable(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **{f.name: getattr(value, f.name) for f in fields(value)}}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


# --- the charts -------------------------------------------------------------


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
    _check_gate(gate)
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
            _show_message(axes, text("no_data"), hide_axes=True)
            return
        _draw_shares(axes, text, waves, bars=bars)
        if gate is not None:
            axes.axhline(gate * 100, color=VERMILLION, linestyle="--", linewidth=2,
                         label=text("gate_legend", gate=text.percent(gate)), zorder=1.5)
        if all(w.value is None for w in waves):
            _show_message(axes, text("no_data"), hide_axes=False)
        _legend(figure, axes)

    return Chart(title, alt_text(title, sentences), (header, rows), draw)


def _draw_shares(axes: Axes, text: ChartText, waves: Sequence[WaveShare], *, bars: bool) -> None:
    ticks = [text.withheld_tick(w.withheld) if w.withheld else text("n_tick", n=text.integer(w.n)) for w in waves]
    _wave_axis(axes, [w.label for w in waves], text("xlabel"), ticks)
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
            note = _wrap(text.withheld(w.withheld), 28) if w.withheld else text("no_value")
            axes.text(x, 3, note, rotation=90, ha="center", va="bottom", fontsize=9,
                      color=MUTED_TEXT, style="italic")


def problems(
    waves: Sequence[str],
    categories: Sequence[str],
    per_100: Mapping[str, Sequence[float | None]],
    labels: Labels | None = None,
    *,
    totals: Sequence[float | None] | None = None,
    withheld: Sequence[Withheld | None] | None = None,
) -> Chart:
    """Problem reports per 100 members, by category, per wave: stacked bars with the total on top.

    `per_100[category][i]` belongs to `waves[i]`; a category missing from
    `per_100` counts as no reports, and None means no members to divide by.
    `totals[i]` is the wave's total per 100 members as the caller shows it
    elsewhere: from the wave's count of reports, rounded once -- not the sum of
    the rounded parts, which may differ by a tenth or two. Without `totals`
    the parts are added up. `withheld[i]` says why wave i has no members yet
    (it has not started), in place of "no members".
    """
    text = ChartText("problems", labels)
    title = text("title")
    series = {category: list(per_100.get(category, [0.0] * len(waves))) for category in categories}
    _check_lengths(waves, **series)
    for category, values in series.items():
        if any(v is not None and (v < 0 or math.isnan(v)) for v in values):
            raise ValueError(f"{category}: problems per 100 members must not be negative")
    why = _per_wave(waves, withheld)
    if totals is not None:
        _check_lengths(waves, totals=totals)
    wave_totals = [_problem_total(wave, [series[c][i] for c in categories], totals is not None,
                                  None if totals is None else totals[i], why[i])
                   for i, wave in enumerate(waves)]

    header = (text("col_wave"), *categories, text("col_total"))
    rows = []
    sentences = []
    for i, wave in enumerate(waves):
        known = [(c, series[c][i]) for c in categories if series[c][i] is not None]
        total = wave_totals[i]
        rows.append((wave, *(text("missing") if series[c][i] is None else text.number(series[c][i] or 0.0)
                             for c in categories),
                     text.withheld(why[i]) if why[i] else text("missing") if total is None else text.number(total)))
        if why[i] is not None:
            sentences.append(text.withheld_alt(wave, why[i]))
        elif total is None:
            sentences.append(text("alt_no_value", wave=wave))
        elif total == 0:
            sentences.append(text("alt_wave_zero", wave=wave))
        else:
            parts = ", ".join(text("alt_part", category=c, value=text.number(v or 0.0)) for c, v in known)
            sentences.append(text("alt_wave", wave=wave, total=text.number(total), parts=parts))
    if not waves or not categories:
        sentences.append(text("no_data"))

    def draw(figure: Figure, axes: Axes) -> None:
        if not waves or not categories:
            _show_message(axes, text("no_data"), hide_axes=True)
            return
        _wave_axis(axes, waves, text("xlabel"))
        axes.set_ylabel(text("ylabel"))
        axes.yaxis.grid(True, color=GRID_COLOUR)
        axes.yaxis.set_major_formatter(_LocaleTicks(text))
        bottoms = [0.0] * len(waves)
        for index, category in enumerate(categories):
            colour, hatch = _style(index)
            heights = [v or 0.0 for v in series[category]]
            axes.bar(range(len(waves)), heights, bottom=bottoms, width=0.6, color=colour, hatch=hatch,
                     edgecolor="white", hatchcolor=_ink_on(colour), linewidth=0.8, label=category, zorder=2)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        highest = max((t for t in wave_totals if t is not None), default=0.0)
        axes.set_ylim(0, highest * 1.15 if highest > 0 else 1.0)
        any_known = any(t is not None for t in wave_totals)
        for x, total in enumerate(wave_totals):
            if total is None:
                if any_known:  # with no value at all, one "no data yet" says it
                    note = _wrap(text.withheld(why[x]), 28) if why[x] else text("no_value")
                    axes.text(x, 0.03, note, rotation=90, ha="center", va="bottom", fontsize=9,
                              color=MUTED_TEXT, style="italic", transform=axes.get_xaxis_transform())
            elif highest > 0:
                # at the top of the stacked parts, which may add up to a tenth more or less than the total
                axes.annotate(text.number(total), (x, max(total, bottoms[x])), xytext=(0, 3),
                              textcoords="offset points", ha="center", va="bottom", fontsize=9)
        if not any_known:
            _show_message(axes, text("no_data"), hide_axes=False)
        elif highest == 0:
            _show_message(axes, text("all_zero"), hide_axes=False)
        _legend(figure, axes, text("legend_title"))

    return Chart(title, alt_text(title, sentences), (header, tuple(rows)), draw)


def _problem_total(wave: str, parts: Sequence[float | None], given: bool, total: float | None,
                   why: Withheld | None) -> float | None:
    known = [part for part in parts if part is not None]
    if why is not None and (known or total is not None):
        raise ValueError(f"{wave}: a withheld wave ({why.reason}) has no problems per 100 members to show")
    if not given:
        return sum(known) if known else None
    if total is None:
        if known:
            raise ValueError(f"{wave}: problems per 100 members {known} without a total")
        return None
    if parts and not known:
        raise ValueError(f"{wave}: a total of {total} for a wave without members")
    if total < 0 or math.isnan(total) or abs(total - sum(known)) > 0.05 * (len(known) + 1) + 1e-9:
        raise ValueError(f"{wave}: the total {total} is not the sum of its parts {known}, each rounded")
    return total


def _per_wave(waves: Sequence[str], withheld: Sequence[Withheld | None] | None) -> list[Withheld | None]:
    if withheld is None:
        return [None] * len(waves)
    _check_lengths(waves, withheld=withheld)
    return list(withheld)


def lessons(
    waves: Sequence[str],
    raised: Sequence[int],
    applied: Sequence[int],
    verified: Sequence[int],
    labels: Labels | None = None,
) -> Chart:
    """Lessons raised, applied and verified per wave: grouped bars with their counts.

    `raised[i]` counts the lessons learnt in `waves[i]` (its retrospective);
    `applied[i]` and `verified[i]` those targeted at it that were applied before
    it (verified ones included) and that were verified in it, either way. Read
    along the waves, the bars show lessons carried forward.
    """
    text = ChartText("lessons", labels)
    title = text("title")
    _check_lengths(waves, raised=raised, applied=applied, verified=verified)
    groups = (("raised", raised), ("applied", applied), ("verified", verified))
    if any(count < 0 for _, counts in groups for count in counts):
        raise ValueError("lesson counts must not be negative")

    number = text.integer
    header = (text("col_wave"), text("raised"), text("applied"), text("verified"))
    rows = tuple((wave, number(raised[i]), number(applied[i]), number(verified[i])) for i, wave in enumerate(waves))
    sentences = [text("alt_wave", wave=wave, raised=number(raised[i]), applied=number(applied[i]),
                      verified=number(verified[i])) for i, wave in enumerate(waves)]
    if not waves:
        sentences.append(text("no_data"))

    def draw(figure: Figure, axes: Axes) -> None:
        if not waves:
            _show_message(axes, text("no_data"), hide_axes=True)
            return
        _wave_axis(axes, waves, text("xlabel"))
        axes.set_ylabel(text("ylabel"))
        axes.yaxis.grid(True, color=GRID_COLOUR)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(_LocaleTicks(text))
        width = 0.8 / len(groups)
        for index, (key, counts) in enumerate(groups):
            colour, hatch = _style(index)
            xs = [x + (index - 1) * width for x in range(len(waves))]
            axes.bar(xs, counts, width=width, color=colour, hatch=hatch, edgecolor="white",
                     hatchcolor=_ink_on(colour), linewidth=0.8, label=text(key), zorder=2)
            for x, count in zip(xs, counts, strict=True):
                if count:
                    axes.annotate(number(count), (x, count), xytext=(0, 2), textcoords="offset points",
                                  ha="center", va="bottom", fontsize=8)
        highest = max(max(counts, default=0) for _, counts in groups)
        axes.set_ylim(0, highest * 1.15 if highest > 0 else 1.0)
        if highest == 0:
            _show_message(axes, text("all_zero"), hide_axes=False)
        _legend(figure, axes)

    return Chart(title, alt_text(title, sentences), (header, rows), draw)


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
            _show_message(axes, text("no_data"), hide_axes=True)
        else:
            _draw_timeline(figure, axes, text, rows, today)

    return Chart(title, alt_text(title, sentences), (header, tuple(table_rows)), draw)


_EPOCH = date(1970, 1, 1)  # matches the rc "date.epoch", so DateFormatter reads our numbers


def _day(day: date) -> float:
    return float((day - _EPOCH).days)


def _draw_timeline(figure: Figure, axes: Axes, text: ChartText, rows: Sequence[TimelineRow], today: date) -> None:
    axes.set_yticks(range(len(rows)), [_wrap(row.label, 18) for row in rows])
    _centre_rows(axes, len(rows))
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
        _show_message(axes, text("no_data"), hide_axes=False)
    _legend(figure, axes, beside=True)


def distribution(
    waves: Sequence[str],
    options: Sequence[str],
    counts: Mapping[str, Sequence[int]],
    labels: Labels | None = None,
    *,
    withheld: Sequence[Withheld | None] | None = None,
) -> Chart:
    """How one question was answered, per wave: 100 %-stacked horizontal bars, first wave on top.

    `options` are the answer options in their natural order (e.g. rating 1..5);
    `counts[option][i]` is how many chose it in `waves[i]`; a missing option counts 0.
    `withheld[i]` says why wave i shows no answers (not started; hidden, with
    how many have answered), in place of "n = 0"; its counts must be 0.
    """
    text = ChartText("distribution", labels)
    title = text("title")
    series = {option: list(counts.get(option, [0] * len(waves))) for option in options}
    _check_lengths(waves, **series)
    if any(count < 0 for values in series.values() for count in values):
        raise ValueError("answer counts must not be negative")
    totals = [sum(series[option][i] for option in options) for i in range(len(waves))]
    why = _per_wave(waves, withheld)
    for wave, total, reason in zip(waves, totals, why, strict=True):
        if reason is not None and total:
            raise ValueError(f"{wave}: a withheld wave ({reason.reason}) has no answers to show")

    def share(option: str, i: int) -> float:
        return series[option][i] / totals[i]

    def answers(i: int) -> str:
        reason = why[i]
        if reason is None:
            return text.integer(totals[i])
        if reason.reason == "hidden":
            return text("cell_n_hidden", n=text.integer(reason.answered), hidden=text.withheld(reason))
        return text.withheld(reason)

    header = (text("col_wave"), text("col_n"), *options)
    rows = tuple(
        (wave, answers(i), *(text("cell", count=text.integer(series[o][i]), percent=text.percent(share(o, i)))
                             if totals[i] else text("missing") for o in options))
        for i, wave in enumerate(waves)
    )
    sentences = []
    for i, wave in enumerate(waves):
        if why[i] is not None:
            sentences.append(text.withheld_alt(wave, why[i]))
        elif totals[i] == 0:
            sentences.append(text("alt_no_value", wave=wave))
        else:
            parts = ", ".join(text("alt_part", option=o, count=text.integer(series[o][i]),
                                   percent=text.percent(share(o, i))) for o in options)
            sentences.append(text("alt_wave", wave=wave, n=text.integer(totals[i]), parts=parts))
    if not waves or not options:
        sentences.append(text("no_data"))

    def draw(figure: Figure, axes: Axes) -> None:
        if not waves or not options:
            _show_message(axes, text("no_data"), hide_axes=True)
        else:
            _draw_distribution(figure, axes, text, waves, options, series, totals, why)

    return Chart(title, alt_text(title, sentences), (header, rows), draw)


def _draw_distribution(
    figure: Figure, axes: Axes, text: ChartText, waves: Sequence[str], options: Sequence[str],
    series: Mapping[str, Sequence[int]], totals: Sequence[int], why: Sequence[Withheld | None],
) -> None:
    ticks = [text.withheld_tick(reason) if reason else text("n_tick", n=text.integer(n))
             for n, reason in zip(totals, why, strict=True)]
    tick_labels = [f"{_wrap(wave, 18)}\n{tick}" for wave, tick in zip(waves, ticks, strict=True)]
    axes.set_yticks(range(len(waves)), tick_labels)
    _centre_rows(axes, len(waves))
    axes.tick_params(axis="y", length=0)
    axes.set_xlim(0, 100)
    axes.xaxis.set_major_locator(MultipleLocator(25))
    axes.xaxis.set_major_formatter(FuncFormatter(text.axis_percent))
    axes.xaxis.grid(True, color=GRID_COLOUR)
    if text("xlabel"):
        axes.set_xlabel(text("xlabel"))
    lefts = [0.0] * len(waves)
    height = 0.7
    for index, option in enumerate(options):
        colour, hatch = _style(index)
        ink = _ink_on(colour)
        widths = [series[option][i] * 100 / totals[i] if totals[i] else 0.0 for i in range(len(waves))]
        axes.barh(range(len(waves)), widths, left=lefts, height=height, color=colour, hatch=hatch,
                  edgecolor="white", hatchcolor=ink, linewidth=0.8, label=option, zorder=2)
        for y, (left, width) in enumerate(zip(lefts, widths, strict=True)):
            if width >= 7:
                axes.text(left + width / 2, y, text.percent(width / 100), ha="center", va="center", fontsize=8,
                          color=ink, zorder=3,
                          bbox={"boxstyle": "round,pad=0.15", "facecolor": colour, "edgecolor": "none"})
        lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
    if all(total == 0 for total in totals):
        _show_message(axes, text("no_data"), hide_axes=False)
    else:
        for y, total in enumerate(totals):
            if total == 0:
                note = text.withheld(why[y]) if why[y] else text("no_value")
                axes.text(50, y, note, ha="center", va="center", fontsize=9, color=MUTED_TEXT, style="italic")
    _legend(figure, axes, text("legend_title"), beside=True)
