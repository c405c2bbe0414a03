"""How one question was answered, per wave: 100 %-stacked horizontal bars of
its answer options (`distribution`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from .common import GRID_COLOUR, MUTED_TEXT, Chart
from .drawing import centre_rows, check_lengths, ink_on, legend, per_wave, show_message, style, wrap
from .texts import ChartText, Labels, Withheld, alt_text

__all__ = ["distribution"]


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
    check_lengths(waves, **series)
    if any(count < 0 for values in series.values() for count in values):
        raise ValueError("answer counts must not be negative")
    totals = [sum(series[option][i] for option in options) for i in range(len(waves))]
    why = per_wave(waves, withheld)
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
        reason = why[i]
        if reason is not None:
            sentences.append(text.withheld_alt(wave, reason))
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
            show_message(axes, text("no_data"), hide_axes=True)
        else:
            _draw_distribution(figure, axes, text, waves, options, series, totals, why)

    return Chart(title, alt_text(title, sentences), (header, rows), draw)


def _draw_distribution(
    figure: Figure, axes: Axes, text: ChartText, waves: Sequence[str], options: Sequence[str],
    series: Mapping[str, Sequence[int]], totals: Sequence[int], why: Sequence[Withheld | None],
) -> None:
    ticks = [text.withheld_tick(reason) if reason else text("n_tick", n=text.integer(n))
             for n, reason in zip(totals, why, strict=True)]
    tick_labels = [f"{wrap(wave, 18)}\n{tick}" for wave, tick in zip(waves, ticks, strict=True)]
    axes.set_yticks(range(len(waves)), tick_labels)
    centre_rows(axes, len(waves))
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
        colour, hatch = style(index)
        ink = ink_on(colour)
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
        show_message(axes, text("no_data"), hide_axes=False)
    else:
        for y, (total, reason) in enumerate(zip(totals, why, strict=True)):
            if total == 0:
                note = text.withheld(reason) if reason else text("no_value")
                axes.text(50, y, note, ha="center", va="center", fontsize=9, color=MUTED_TEXT, style="italic")
    legend(figure, axes, text("legend_title"), beside=True)
