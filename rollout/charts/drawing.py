"""The pieces the chart families draw with, and the checks of their inputs:
a message in place of data, a series' colour and hatch, the ink that reads on
a colour, wrapped labels, a wave axis, rows down the y axis, the legend, tick
numbers in the chart's locale. Used only inside a figure that `Chart.figure`
draws under the chart lock (rollout.charts.common)."""
from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from .common import GRID_COLOUR, HATCHES, MUTED_TEXT, PALETTE
from .texts import ChartText, Withheld

__all__ = [
    "LocaleTicks", "centre_rows", "check_gate", "check_lengths", "ink_on", "legend", "per_wave", "show_message",
    "style", "wave_axis", "wrap",
]


def show_message(axes: Axes, message: str, *, hide_axes: bool) -> None:
    """`message` in a box in the middle of the plot, e.g. "No data yet"."""
    if hide_axes:
        axes.set_axis_off()
    axes.text(
        0.5, 0.5, message, transform=axes.transAxes, ha="center", va="center", fontsize=14,
        color=MUTED_TEXT, bbox={"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": GRID_COLOUR},
    )


def style(index: int) -> tuple[str, str]:
    """Colour and hatch of series `index`; pairs stay distinct well past 8 series."""
    return PALETTE[index % len(PALETTE)], HATCHES[(index + index // len(PALETTE)) % len(HATCHES)]


def ink_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (hatch lines, labels)."""
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # WCAG contrast: white wins below a relative luminance of about 0.179.
    return "white" if (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05) else "black"


def wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width=width, break_long_words=False) or text


_MIN_SLOTS = 4


def centre_rows(axes: Axes, count: int) -> None:
    """Rows top to bottom, first wave on top; a few rows stay as thick as with _MIN_SLOTS."""
    pad = max(0.0, (_MIN_SLOTS - count) / 2)
    axes.set_ylim(count - 0.5 + pad, -0.5 - pad)


def wave_axis(axes: Axes, waves: Sequence[str], xlabel: str, second_lines: Sequence[str] = ()) -> None:
    """One tick per wave, labelled with its (wrapped) name and an optional second line such as n."""
    count = len(waves)
    width = 24 if count <= 5 else 10
    tick_labels = [wrap(wave, width) for wave in waves]
    if second_lines:
        tick_labels = [f"{label}\n{line}" for label, line in zip(tick_labels, second_lines, strict=True)]
    axes.set_xticks(range(count), tick_labels, fontsize=10 if count <= 6 else 9)
    pad = max(0.0, (_MIN_SLOTS - count) / 2)  # one or two waves do not get bars half the chart wide
    axes.set_xlim(-0.6 - pad, count - 0.4 + pad)
    axes.tick_params(axis="x", length=0)
    if xlabel:
        axes.set_xlabel(xlabel)


def legend(figure: Figure, axes: Axes, title: str = "", *, beside: bool = False) -> None:
    """The legend above the plot, in up to four columns, or `beside` it on the right.

    Charts with waves along x keep their full width for the wave labels; charts
    with waves down the y axis keep their full height.
    """
    handles, names = axes.get_legend_handles_labels()
    if not handles:
        return
    if beside:
        figure.legend(handles, [wrap(name, 22) for name in names], title=title or None, loc="outside right upper")
    else:
        # An axes legend anchored just above the plot: constrained layout makes
        # room for it below the figure title (a figure legend would overlap it).
        axes.legend(handles, [wrap(name, 30) for name in names], title=title or None, alignment="left",
                    loc="lower left", bbox_to_anchor=(0.0, 1.02), borderaxespad=0.0, ncols=min(len(handles), 4))


class LocaleTicks(ScalarFormatter):
    """matplotlib's usual tick numbers (as many decimals as the step needs), in the chart's locale."""

    def __init__(self, text: ChartText) -> None:
        super().__init__(useOffset=False)
        self.set_scientific(False)
        self._text = text

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._text.localise(super().__call__(x, pos))


def check_lengths(waves: Sequence[str], **series: Sequence[object]) -> None:
    """ValueError unless every series has one value per wave."""
    for name, values in series.items():
        if len(values) != len(waves):
            raise ValueError(f"{name} has {len(values)} values for {len(waves)} waves")


def check_gate(gate: float | None) -> None:
    if gate is not None and not 0.0 <= gate <= 1.0:
        raise ValueError(f"gate must be a share between 0 and 1, got {gate!r}")


def per_wave(waves: Sequence[str], withheld: Sequence[Withheld | None] | None) -> list[Withheld | None]:
    """Why each wave shows no values (None where it does); one reason per wave."""
    if withheld is None:
        return [None] * len(waves)
    check_lengths(waves, withheld=withheld)
    return list(withheld)
