"""The charts' labels in the page's language: every text of rollout.charts,
marked for translation (generated from rollout.charts.texts.COMMON_LABELS and
DEFAULT_LABELS; keep them in step), and the page's number separators."""
from __future__ import annotations

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import get_locale
from flask_babel import gettext as _


def common() -> dict[str, str]:
    # the separators from Babel's data for the page's language: "1 234,5" in Swedish, "1,234.5" in English
    locale = get_locale() or "sv"
    return {
        'no_data': _('No data yet'),
        'col_wave': _('Wave'),
        'percent': _('{value} %'),
        'decimal_separator': get_decimal_symbol(locale),
        'group_separator': get_group_symbol(locale),
        'missing': _('–'),
        'not_started': _('not started yet'),
        'cancelled': _('cancelled'),
        'hidden': _('hidden until {k} have answered'),
        'tick_not_started': _('not started'),
        'tick_cancelled': _('cancelled'),
        'tick_hidden': _('n = {n}, hidden'),
        'alt_not_started': _('{wave}: not started yet.'),
        'alt_cancelled': _('{wave}: cancelled before it started.'),
        'alt_hidden': _('{wave}: {n} have answered; the answers stay hidden until {k} have, to keep them anonymous.'),
    }


# (language, chart) -> labels: the catalogs do not change while the app runs, and translating every
# chart's labels (some hundred look-ups) was most of what answering a chart's 304 took
_translated: dict[tuple[str, str], dict[str, str]] = {}


def labels(chart: str) -> dict[str, str]:
    """The translated labels of one chart (charts.DEFAULT_LABELS keys), in the page's language."""
    key = (str(get_locale() or "sv"), chart)
    if key not in _translated:
        _translated[key] = _labels(chart)
    return dict(_translated[key])


def _labels(chart: str) -> dict[str, str]:
    table = {
        'satisfaction': {
            'title': _('Satisfied share per wave'),
            'xlabel': "",
            'ylabel': _('Satisfied (rating 4 or 5)'),
            'n_tick': _('n = {n}'),
            'value_legend': _('Satisfied share (95 % interval)'),
            'gate_legend': _('Gate {gate}'),
            'no_value': _('no answers'),
            'alt_value': _('{wave}: {value} satisfied (95 % interval {low} to {high}, n = {n}).'),
            'alt_value_no_interval': _('{wave}: {value} satisfied (n = {n}).'),
            'alt_no_value': _('{wave}: no answers yet (n = {n}).'),
            'alt_gate': _('Gate: {gate}.'),
            'col_n': _('Responses'),
            'col_value': _('Satisfied'),
            'col_low': _('95 % interval, low'),
            'col_high': _('95 % interval, high'),
        },
        'response_rate': {
            'title': _('Response rate per wave'),
            'xlabel': "",
            'ylabel': _('Responded'),
            'n_tick': _('{n} invited'),
            'value_legend': _('Response rate'),
            'interval_legend': _('95 % interval'),
            'gate_legend': _('Gate {gate}'),
            'no_value': _('nobody invited'),
            'alt_value': _('{wave}: {value} responded (95 % interval {low} to {high}, {n} invited).'),
            'alt_value_no_interval': _('{wave}: {value} responded ({n} invited).'),
            'alt_no_value': _('{wave}: nobody invited yet.'),
            'alt_gate': _('Gate: {gate}.'),
            'col_n': _('Invited'),
            'col_value': _('Response rate'),
            'col_low': _('95 % interval, low'),
            'col_high': _('95 % interval, high'),
        },
        'problems': {
            'title': _('Problem reports per 100 members'),
            'xlabel': "",
            'ylabel': _('Reports per 100 members'),
            'legend_title': "",
            'no_value': _('no members'),
            'all_zero': _('No problem reports'),
            'alt_wave': _('{wave}: {total} per 100 members in total ({parts}).'),
            'alt_part': _('{category} {value}'),
            'alt_wave_zero': _('{wave}: no problem reports.'),
            'alt_no_value': _('{wave}: no members yet.'),
            'col_total': _('Total'),
        },
        'lessons': {
            'title': _('Lessons per wave'),
            'xlabel': "",
            'ylabel': _('Lessons'),
            'raised': _('Raised'),
            'applied': _('Applied'),
            'verified': _('Verified'),
            'all_zero': _('No lessons yet'),
            'alt_wave': _('{wave}: {raised} raised, {applied} applied, {verified} verified.'),
        },
        'timeline': {
            'title': _('Planned and actual schedule'),
            'xlabel': "",
            'planned': _('Planned'),
            'actual': _('Actual'),
            'running': _('Running (until today)'),
            'today': _('Today ({date})'),
            'not_scheduled': _('not scheduled'),
            'alt_row': _('{wave}: planned {planned}; actual {actual}.'),
            'alt_span': _('{start} to {end}'),
            'alt_running': _('{start} to today, still running'),
            'alt_not_set': _('not set'),
            'alt_start_late': _('Started {days} days late.'),
            'alt_start_late_one': _('Started 1 day late.'),
            'alt_start_early': _('Started {days} days early.'),
            'alt_start_early_one': _('Started 1 day early.'),
            'alt_start_on_time': _('Started on time.'),
            'alt_today': _('Today is {date}.'),
            'col_planned_start': _('Planned start'),
            'col_planned_end': _('Planned end'),
            'col_actual_start': _('Actual start'),
            'col_actual_end': _('Actual end'),
            'col_delay': _('Start delay (days)'),
            'cell_running': _('running'),
        },
        'checkins': {
            'title': _('Check-ins: mean answer per check-in'),
            'xlabel': "",
            'ylabel': _('Mean answer'),
            'n_tick': _('n = {n}'),
            'value_legend': _('Mean (95 % interval)'),
            'no_value': _('no answers'),
            'alt_value': _('{checkin}: mean {value} (95 % interval {low} to {high}, n = {n}).'),
            'alt_value_no_interval': _('{checkin}: mean {value} (n = {n}).'),
            'alt_no_value': _('{checkin}: no answers yet (n = {n}).'),
            'col_checkin': _('Check-in'),
            'col_n': _('Answers'),
            'col_value': _('Mean'),
            'col_low': _('95 % interval, low'),
            'col_high': _('95 % interval, high'),
        },
        'distribution': {
            'title': _('Answer distribution per wave'),
            'xlabel': _('Share of answers'),
            'n_tick': _('n = {n}'),
            'legend_title': "",
            'no_value': _('no answers'),
            'alt_wave': _('{wave} (n = {n}): {parts}.'),
            'alt_part': _('{option} {percent} ({count})'),
            'alt_no_value': _('{wave}: no answers yet.'),
            'col_n': _('Answers'),
            'cell': _('{count} ({percent})'),
            'cell_n_hidden': _('{n} ({hidden})'),
        },
    }
    return {**common(), **table[chart]}
