"""Problem reports per 100 members, by category, per wave: stacked bars with
the wave's total on top (`problems`)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .common import GRID_COLOUR, MUTED_TEXT, Chart
from .drawing import LocaleTicks, check_lengths, ink_on, legend, per_wave, show_message, style, wave_axis, wrap
from .texts import ChartText, Labels, Withheld, alt_text

__all__ = ["problems"]


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
    check_lengths(waves, **series)
    for category, values in series.items():
        if any(v is not None and (v < 0 or math.isnan(v)) for v in values):
            raise ValueError(f"{category}: problems per 100 members must not be negative")
    why = per_wave(waves, withheld)
    if totals is not None:
        check_lengths(waves, totals=totals)
    wave_totals = [_problem_total(wave, [series[c][i] for c in categories], totals is not None,
                                  None if totals is None else totals[i], why[i])
                   for i, wave in enumerate(waves)]

    header = (text("col_wave"), *categories, text("col_total"))
    rows = []
    sentences = []
    for i, wave in enumerate(waves):
        known = [(c, series[c][i]) for c in categories if series[c][i] is not None]
        total = wave_totals[i]
        reason = why[i]
        rows.append((wave, *(text("missing") if series[c][i] is None else text.number(series[c][i] or 0.0)
                             for c in categories),
                     text.withheld(reason) if reason else text("missing") if total is None else text.number(total)))
        if reason is not None:
            sentences.append(text.withheld_alt(wave, reason))
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
            show_message(axes, text("no_data"), hide_axes=True)
            return
        wave_axis(axes, waves, text("xlabel"))
        axes.set_ylabel(text("ylabel"))
        axes.yaxis.grid(True, color=GRID_COLOUR)
        axes.yaxis.set_major_formatter(LocaleTicks(text))
        bottoms = [0.0] * len(waves)
        for index, category in enumerate(categories):
            colour, hatch = style(index)
            heights = [v or 0.0 for v in series[category]]
            axes.bar(range(len(waves)), heights, bottom=bottoms, width=0.6, color=colour, hatch=hatch,
                     edgecolor="white", hatchcolor=ink_on(colour), linewidth=0.8, label=category, zorder=2)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        highest = max((t for t in wave_totals if t is not None), default=0.0)
        axes.set_ylim(0, highest * 1.15 if highest > 0 else 1.0)
        any_known = any(t is not None for t in wave_totals)
        for x, (total, reason) in enumerate(zip(wave_totals, why, strict=True)):
            if total is None:
                if any_known:  # with no value at all, one "no data yet" says it
                    note = wrap(text.withheld(reason), 28) if reason else text("no_value")
                    axes.text(x, 0.03, note, rotation=90, ha="center", va="bottom", fontsize=9,
                              color=MUTED_TEXT, style="italic", transform=axes.get_xaxis_transform())
            elif highest > 0:
                # at the top of the stacked parts, which may add up to a tenth more or less than the total
                axes.annotate(text.number(total), (x, max(total, bottoms[x])), xytext=(0, 3),
                              textcoords="offset points", ha="center", va="bottom", fontsize=9)
        if not any_known:
            show_message(axes, text("no_data"), hide_axes=False)
        elif highest == 0:
            show_message(axes, text("all_zero"), hide_axes=False)
        legend(figure, axes, text("legend_title"))

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
