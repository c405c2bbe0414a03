"""Lessons raised, applied and verified per wave: grouped bars with their
counts (`lessons`), read along the waves as lessons carried forward."""
from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .common import GRID_COLOUR, Chart
from .drawing import LocaleTicks, check_lengths, ink_on, legend, show_message, style, wave_axis
from .texts import ChartText, Labels, alt_text

__all__ = ["lessons"]


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
    check_lengths(waves, raised=raised, applied=applied, verified=verified)
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
            show_message(axes, text("no_data"), hide_axes=True)
            return
        wave_axis(axes, waves, text("xlabel"))
        axes.set_ylabel(text("ylabel"))
        axes.yaxis.grid(True, color=GRID_COLOUR)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(LocaleTicks(text))
        width = 0.8 / len(groups)
        for index, (key, counts) in enumerate(groups):
            colour, hatch = style(index)
            xs = [x + (index - 1) * width for x in range(len(waves))]
            axes.bar(xs, counts, width=width, color=colour, hatch=hatch, edgecolor="white",
                     hatchcolor=ink_on(colour), linewidth=0.8, label=text(key), zorder=2)
            for x, count in zip(xs, counts, strict=True):
                if count:
                    axes.annotate(number(count), (x, count), xytext=(0, 2), textcoords="offset points",
                                  ha="center", va="bottom", fontsize=8)
        highest = max(max(counts, default=0) for _, counts in groups)
        axes.set_ylim(0, highest * 1.15 if highest > 0 else 1.0)
        if highest == 0:
            show_message(axes, text("all_zero"), hide_axes=False)
        legend(figure, axes)

    return Chart(title, alt_text(title, sentences), (header, rows), draw)
