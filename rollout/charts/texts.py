"""The words and numbers of the charts: the English default labels, the
text of one chart in the caller's language, and why a wave shows no values.

Plain Python, no matplotlib, no Flask: the charts' titles, text alternatives
and data tables are made here without drawing anything, and the same
formatting writes the numbers inside the pictures (ticks, annotations), so a
number reads the same in the image, its alt text and its table.

Numbers follow the caller's locale through two labels: `decimal_separator`
("," in Swedish) and `group_separator` (between thousands; a no-break space in
Swedish, "," in English; empty by default, i.e. no grouping). The web app takes
both from Babel's data for the page's language (services/chart_translations.py).
Dates are ISO dates (2027-03-01) in every language.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_LABELS", "ChartText", "Labels", "Withheld", "alt_text", "sentence"]

Labels = Mapping[str, str]

WITHHELD_REASONS = ("not_started", "cancelled", "hidden")


@dataclass(frozen=True)
class Withheld:
    """Why a wave has no values to show, said instead of "n = 0" or "no members".

    `not_started`: the wave has not started (its members are not fixed yet);
    `cancelled`: it was cancelled before it started; `hidden`: an anonymous
    rollout's answers, hidden until `k` people have answered -- `answered` have
    so far (a count that is public even while the answers are hidden).
    """

    reason: str
    answered: int = 0
    k: int = 0

    def __post_init__(self) -> None:
        if self.reason not in WITHHELD_REASONS:
            raise ValueError(f"unknown reason {self.reason!r}; expected one of {', '.join(WITHHELD_REASONS)}")
        if self.answered < 0:
            raise ValueError(f"answered must not be negative, got {self.answered}")
        if self.reason == "hidden" and not self.answered < self.k:
            raise ValueError(f"answers are hidden only while fewer than k have answered: {self.answered} of {self.k}")


COMMON_LABELS: dict[str, str] = {
    "no_data": "No data yet",
    "col_wave": "Wave",
    "percent": "{value} %",
    "decimal_separator": ".",
    "group_separator": "",
    "missing": "–",  # a table cell without a value
    # a wave without values, in the picture (beside or inside its bar), the table and the alt text
    "not_started": "not started yet",
    "cancelled": "cancelled",
    "hidden": "hidden until {k} have answered",
    "tick_not_started": "not started",
    "tick_cancelled": "cancelled",
    "tick_hidden": "n = {n}, hidden",
    "alt_not_started": "{wave}: not started yet.",
    "alt_cancelled": "{wave}: cancelled before it started.",
    "alt_hidden": "{wave}: {n} have answered; the answers stay hidden until {k} have, to keep them anonymous.",
}

DEFAULT_LABELS: Mapping[str, Mapping[str, str]] = {
    "satisfaction": {
        "title": "Satisfied share per wave",
        "xlabel": "",
        "ylabel": "Satisfied (rating 4 or 5)",
        "n_tick": "n = {n}",
        "value_legend": "Satisfied share (95 % interval)",
        "gate_legend": "Gate {gate}",
        "no_value": "no answers",
        "alt_value": "{wave}: {value} satisfied (95 % interval {low} to {high}, n = {n}).",
        "alt_value_no_interval": "{wave}: {value} satisfied (n = {n}).",
        "alt_no_value": "{wave}: no answers yet (n = {n}).",
        "alt_gate": "Gate: {gate}.",
        "col_n": "Responses",
        "col_value": "Satisfied",
        "col_low": "95 % interval, low",
        "col_high": "95 % interval, high",
    },
    "response_rate": {
        "title": "Response rate per wave",
        "xlabel": "",
        "ylabel": "Responded",
        "n_tick": "{n} invited",
        "value_legend": "Response rate",
        "interval_legend": "95 % interval",
        "gate_legend": "Gate {gate}",
        "no_value": "nobody invited",
        "alt_value": "{wave}: {value} responded (95 % interval {low} to {high}, {n} invited).",
        "alt_value_no_interval": "{wave}: {value} responded ({n} invited).",
        "alt_no_value": "{wave}: nobody invited yet.",
        "alt_gate": "Gate: {gate}.",
        "col_n": "Invited",
        "col_value": "Response rate",
        "col_low": "95 % interval, low",
        "col_high": "95 % interval, high",
    },
    "problems": {
        "title": "Problem reports per 100 members",
        "xlabel": "",
        "ylabel": "Reports per 100 members",
        "legend_title": "",
        "no_value": "no members",
        "all_zero": "No problem reports",
        "alt_wave": "{wave}: {total} per 100 members in total ({parts}).",
        "alt_part": "{category} {value}",
        "alt_wave_zero": "{wave}: no problem reports.",
        "alt_no_value": "{wave}: no members yet.",
        "col_total": "Total",
    },
    "lessons": {
        "title": "Lessons per wave",
        "xlabel": "",
        "ylabel": "Lessons",
        "raised": "Raised",
        "applied": "Applied",
        "verified": "Verified",
        "all_zero": "No lessons yet",
        "alt_wave": "{wave}: {raised} raised, {applied} applied, {verified} verified.",
    },
    "timeline": {
        "title": "Planned and actual schedule",
        "xlabel": "",
        "planned": "Planned",
        "actual": "Actual",
        "running": "Running (until today)",
        "today": "Today ({date})",
        "not_scheduled": "not scheduled",
        "alt_row": "{wave}: planned {planned}; actual {actual}.",
        "alt_span": "{start} to {end}",
        "alt_running": "{start} to today, still running",
        "alt_not_set": "not set",
        "alt_start_late": "Started {days} days late.",
        "alt_start_late_one": "Started 1 day late.",
        "alt_start_early": "Started {days} days early.",
        "alt_start_early_one": "Started 1 day early.",
        "alt_start_on_time": "Started on time.",
        "alt_today": "Today is {date}.",
        "col_planned_start": "Planned start",
        "col_planned_end": "Planned end",
        "col_actual_start": "Actual start",
        "col_actual_end": "Actual end",
        "col_delay": "Start delay (days)",
        "cell_running": "running",
    },
    "checkins": {
        "title": "Check-ins: mean answer per check-in",
        "xlabel": "",
        "ylabel": "Mean answer",
        "n_tick": "n = {n}",
        "value_legend": "Mean (95 % interval)",
        "no_value": "no answers",
        "alt_value": "{checkin}: mean {value} (95 % interval {low} to {high}, n = {n}).",
        "alt_value_no_interval": "{checkin}: mean {value} (n = {n}).",
        "alt_no_value": "{checkin}: no answers yet (n = {n}).",
        "col_checkin": "Check-in",
        "col_n": "Answers",
        "col_value": "Mean",
        "col_low": "95 % interval, low",
        "col_high": "95 % interval, high",
    },
    "distribution": {
        "title": "Answer distribution per wave",
        "xlabel": "Share of answers",
        "n_tick": "n = {n}",
        "legend_title": "",
        "no_value": "no answers",
        "alt_wave": "{wave} (n = {n}): {parts}.",
        "alt_part": "{option} {percent} ({count})",
        "alt_no_value": "{wave}: no answers yet.",
        "col_n": "Answers",
        "cell": "{count} ({percent})",
        "cell_n_hidden": "{n} ({hidden})",
    },
}


class _KeepUnknown(dict[str, object]):
    """format_map namespace that leaves an unknown {placeholder} as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class ChartText:
    """The labels of one chart, with the caller's over the English defaults, and its number format."""

    def __init__(self, chart: str, labels: Labels | None) -> None:
        self._labels: dict[str, str] = {**COMMON_LABELS, **DEFAULT_LABELS[chart], **(labels or {})}

    def __call__(self, key: str, **values: object) -> str:
        return self._labels[key].format_map(_KeepUnknown(values))

    def number(self, value: float, digits: int = 1) -> str:
        """`value` with `digits` decimals in the chart's locale: 1234.5 -> "1 234,5" in Swedish."""
        plain = f"{value:.{digits}f}"
        if plain.startswith("-") and not any(c in "123456789" for c in plain):
            plain = plain[1:]  # -0.0 is 0.0
        return self.localise(plain)

    def integer(self, value: int) -> str:
        return self.number(value, 0)

    def localise(self, plain: str) -> str:
        """A number written plainly ("-1234.5", as Python or matplotlib write it) in the chart's locale."""
        sign = plain[:1] if plain[:1] in ("-", "\N{MINUS SIGN}") else ""
        whole, dot, fraction = plain[len(sign):].partition(".")
        if not whole.isdigit() or not (fraction.isdigit() or not dot):
            return plain  # not a plain number (e.g. 1e+06): left as written
        group = self._labels["group_separator"]
        if group and len(whole) > 3:
            whole = f"{int(whole):,}".replace(",", group)
        return sign + whole + (self._labels["decimal_separator"] + fraction if dot else "")

    def percent(self, share: float) -> str:
        """`share` (0..1) as a whole percentage, rounded half up: 0.625 -> "63 %"."""
        return self("percent", value=self.integer(math.floor(share * 100 + 0.5 + 1e-9)))

    def axis_percent(self, value: float, _position: object = None) -> str:
        return self("percent", value=self.number(value, 0))

    # --- a wave without values -------------------------------------------------

    def withheld(self, why: Withheld) -> str:
        """Short, for a table cell or beside the wave's bar: "not started yet"."""
        return self(why.reason, k=self.integer(why.k))

    def withheld_tick(self, why: Withheld) -> str:
        """Instead of the "n = 0" under the wave's name."""
        return self(f"tick_{why.reason}", n=self.integer(why.answered))

    def withheld_alt(self, wave: str, why: Withheld) -> str:
        return self(f"alt_{why.reason}", wave=wave, n=self.integer(why.answered), k=self.integer(why.k))


def sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def alt_text(title: str, sentences: Sequence[str]) -> str:
    """The text alternative: the title, then one sentence per wave (and the gate)."""
    return " ".join(sentence(s) for s in [title, *sentences] if s.strip())
