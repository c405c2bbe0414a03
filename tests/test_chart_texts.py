"""The charts' words and numbers: alt texts and tables carry the numbers the
picture shows, in the caller's labels and locale; a wave without values says
why; totals agree with the parts' table; inconsistent data is refused."""
from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from rollout import charts
from rollout.charts import Chart, TimelineRow, WaveShare, Withheld, texts

from .chart_makers import (
    CASE_IDS,
    CASES,
    FIRST_DAY,
    SATISFIED,
    TODAY,
    built,
    shares,
    wave_names,
)


@pytest.mark.parametrize(("name", "count", "with_values"), CASES, ids=CASE_IDS)
def test_alt_text_and_table_carry_the_numbers(name: str, count: int, with_values: bool) -> None:
    chart, expected = built(name, count, with_values)
    header, rows = chart.table
    assert len(rows) == count
    assert [row[0] for row in rows] == wave_names(count)
    assert all(len(row) == len(header) for row in rows)
    assert chart.alt.startswith(chart.title)
    if count == 0:
        assert "No data yet" in chart.alt
    for phrase in expected:
        assert phrase in chart.alt


def test_share_alt_and_table_show_the_percentage() -> None:
    chart, _ = built("satisfaction", 1, True)
    assert "62 %" in chart.alt
    assert "95 % interval 47 % to 72 %" in chart.alt
    assert chart.table == (("Wave", "Responses", "Satisfied", "95 % interval, low", "95 % interval, high"),
                           (("Wave 0", "10", "62 %", "47 %", "72 %"),))


def test_missing_values_show_as_a_dash_in_the_table() -> None:
    assert built("satisfaction", 1, False)[0].table[1] == (("Wave 0", "0", "–", "–", "–"),)
    assert built("problems", 1, False)[0].table[1] == (("Wave 0", "–", "–", "–", "–"),)
    assert built("distribution", 1, False)[0].table[1] == (("Wave 0", "0", "–", "–", "–", "–", "–"),)


def test_running_wave_is_shown_as_running_until_today() -> None:
    chart, _ = built("timeline", 10, True)
    last = chart.table[1][-1]
    assert last[4] == "running"
    assert last[5] == "0"  # wave 9 started 9 % 3 = 0 days late
    assert "Started 1 day late." in chart.alt and "Started 2 days late." in chart.alt


SWEDISH = {
    "title": "Nöjda per våg",
    "ylabel": "Nöjda (betyg 4 eller 5)",
    "value_legend": "Andel nöjda (95 % intervall)",
    "gate_legend": "Gräns {gate}",
    "no_data": "Inga data ännu",
    "col_wave": "Våg",
    "alt_value": "{wave}: {value} nöjda (95 % intervall {low} till {high}, n = {n}).",
    "alt_gate": "Gräns: {gate}.",
}


def test_swedish_labels_replace_the_defaults_and_render_without_missing_glyphs() -> None:
    waves = [WaveShare("Våg 0", 10, 0.62, 0.47, 0.72), WaveShare("Våg 1 – Ärenden", 12, 0.5, 0.3, 0.7)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns about a glyph missing from the font
        chart = charts.satisfaction(waves, 0.7, SWEDISH)
        svg, png = charts.render(chart, "svg"), charts.render(chart, "png")
    assert chart.title == "Nöjda per våg"
    assert chart.alt.startswith("Nöjda per våg. Våg 0: 62 % nöjda (95 % intervall 47 % till 72 %, n = 10).")
    assert "Gräns: 70 %." in chart.alt
    assert chart.table[0][:3] == ("Våg", "Responses", "Satisfied")  # keys not given keep their English default
    assert "<title>Nöjda per våg</title>" in svg.decode("utf-8")

    plain = {key: value.replace("ö", "o").replace("å", "a").replace("ä", "a").replace("Ä", "A")
             for key, value in SWEDISH.items()}
    plain_waves = [WaveShare("Vag 0", 10, 0.62, 0.47, 0.72), WaveShare("Vag 1 – Arenden", 12, 0.5, 0.3, 0.7)]
    assert charts.render(charts.satisfaction(plain_waves, 0.7, plain), "png") != png  # å ä ö are drawn


def test_empty_chart_shows_the_callers_no_data_message() -> None:
    chart = charts.lessons([], [], [], [], {"title": "Lärdomar per våg", "no_data": "Inga data ännu"})
    assert chart.alt == "Lärdomar per våg. Inga data ännu."
    assert chart.table == (("Wave", "Raised", "Applied", "Verified"), ())
    english = charts.lessons([], [], [], [], {"title": "Lärdomar per våg"})
    assert charts.render(chart, "png") != charts.render(english, "png")


def test_lessons_without_any_lesson_say_so_in_the_callers_words() -> None:
    empty = charts.lessons(["Våg 0", "Våg 1"], [0, 0], [0, 0], [0, 0], {"all_zero": "Inga lärdomar ännu"})
    english = charts.lessons(["Våg 0", "Våg 1"], [0, 0], [0, 0], [0, 0])
    assert "Våg 1: 0 raised, 0 applied, 0 verified." in empty.alt
    messages = [t.get_text() for t in empty.figure.axes[0].texts]
    assert "Inga lärdomar ännu" in messages and "No lessons yet" in [t.get_text() for t in english.figure.axes[0].texts]


def test_decimal_separator_comes_from_the_labels() -> None:
    chart = charts.problems(["Våg 0"], ["Hårdvara"], {"Hårdvara": [12.5]}, {"decimal_separator": ","})
    assert chart.table[1] == (("Våg 0", "12,5", "12,5"),)
    assert "12,5 per 100 members" in chart.alt


def test_an_unknown_placeholder_in_a_translation_does_not_break_the_chart() -> None:
    chart = charts.lessons(["Våg 0"], [1], [0], [0], {"alt_wave": "{wave}: {raised} väckta {typo}."})
    assert "Våg 0: 1 väckta {typo}." in chart.alt


@pytest.mark.parametrize("bad", [
    lambda: charts.lessons(["Wave 0", "Wave 1"], [1], [0, 0], [0, 0]),
    lambda: charts.lessons(["Wave 0"], [-1], [0], [0]),
    lambda: charts.problems(["Wave 0"], ["A"], {"A": [1.0, 2.0]}),
    lambda: charts.distribution(["Wave 0"], ["Yes"], {"Yes": [1, 2]}),
    lambda: charts.satisfaction([WaveShare("Wave 0", 10, 0.5)], gate=70),
    lambda: WaveShare("Wave 0", 10, 62),
    lambda: WaveShare("Wave 0", -1, None),
    lambda: WaveShare("Wave 0", 10, 0.5, 0.6, 0.7),
    lambda: WaveShare("Wave 0", 10, 0.5, 0.4, None),
], ids=["lengths", "negative-count", "problem-lengths", "distribution-lengths", "gate-as-percent",
        "share-as-percent", "negative-n", "interval-misses-value", "half-interval"])
def test_inconsistent_data_is_rejected(bad: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        bad()


def test_missing_category_or_option_counts_as_zero() -> None:
    problems = charts.problems(["Wave 0"], ["A", "B"], {"A": [4.0]})
    assert problems.table[1] == (("Wave 0", "4.0", "0.0", "4.0"),)
    distribution = charts.distribution(["Wave 0"], ["Yes", "No"], {"Yes": [3]})
    assert distribution.table[1] == (("Wave 0", "3", "3 (100 %)", "0 (0 %)"),)


def test_the_text_module_needs_neither_matplotlib_nor_flask() -> None:
    source = Path(texts.__file__).read_text(encoding="utf-8")
    imported = {alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert not any(name.split(".")[0] in {"matplotlib", "flask", "flask_babel"} for name in imported)


# --- totals that agree with the parts' table ------------------------------------


def test_problem_totals_are_the_callers_not_the_sum_of_rounded_parts() -> None:
    # 1 + 1 reports among 6 members: 16.7 each, 33.3 in all -- not 33.4
    chart = charts.problems(["Wave 0"], ["Login", "Printing"], {"Login": [16.7], "Printing": [16.7]},
                            totals=[33.3])
    assert chart.table[1] == (("Wave 0", "16.7", "16.7", "33.3"),)
    assert "Wave 0: 33.3 per 100 members in total (Login 16.7, Printing 16.7)." in chart.alt
    assert "33.3" in [t.get_text() for t in chart.figure.axes[0].texts]
    assert "33.4" not in chart.alt


@pytest.mark.parametrize("totals", [[50.0], [None], [33.3, 1.0]], ids=["not-the-parts", "missing", "length"])
def test_a_total_that_cannot_belong_to_its_parts_is_rejected(totals: list[float | None]) -> None:
    with pytest.raises(ValueError):
        charts.problems(["Wave 0"], ["Login", "Printing"], {"Login": [16.7], "Printing": [16.7]}, totals=totals)


# --- waves without values say why ------------------------------------------------

NOT_STARTED = Withheld("not_started")
HIDDEN = Withheld("hidden", answered=2, k=5)
HIDDEN_ALT = "Wave 1: 2 have answered; the answers stay hidden until 5 have, to keep them anonymous."


def tick_texts(chart: Chart, axis: str = "x") -> list[str]:
    axes = chart.figure.axes[0]
    return [t.get_text() for t in (axes.get_xticklabels() if axis == "x" else axes.get_yticklabels())]


def note_texts(chart: Chart) -> list[str]:
    return [t.get_text().replace("\n", " ") for t in chart.figure.axes[0].texts]


def test_satisfaction_says_a_wave_is_hidden_or_not_started_instead_of_n_0() -> None:
    waves = [WaveShare("Wave 0", 10, 0.6, 0.3, 0.85), WaveShare("Wave 1", 2, None, withheld=HIDDEN),
             WaveShare("Wave 2", 0, None, withheld=NOT_STARTED)]
    chart = charts.satisfaction(waves, 0.7)
    assert HIDDEN_ALT in chart.alt and "Wave 2: not started yet." in chart.alt
    assert "n = 0" not in chart.alt
    assert chart.table[1][1:] == (("Wave 1", "2", "hidden until 5 have answered", "–", "–"),
                                  ("Wave 2", "0", "not started yet", "–", "–"))
    assert tick_texts(chart) == ["Wave 0\nn = 10", "Wave 1\nn = 2, hidden", "Wave 2\nnot started"]
    assert {"hidden until 5 have answered", "not started yet"} <= set(note_texts(chart))


def test_response_rate_says_a_wave_has_not_started_instead_of_nobody_invited() -> None:
    chart = charts.response_rate([WaveShare("Wave 0", 8, 0.25, 0.07, 0.59),
                                  WaveShare("Wave 1", 0, None, withheld=NOT_STARTED)], 0.6)
    assert "Wave 1: not started yet." in chart.alt and "nobody invited" not in chart.alt
    assert chart.table[1][1] == ("Wave 1", "0", "not started yet", "–", "–")
    assert tick_texts(chart)[1] == "Wave 1\nnot started"


def test_problems_say_a_wave_has_not_started_instead_of_no_members() -> None:
    chart = charts.problems(["Wave 0", "Wave 1", "Wave 2"], ["Login"], {"Login": [12.5, None, None]},
                            totals=[12.5, None, None], withheld=[None, NOT_STARTED, Withheld("cancelled")])
    assert "Wave 1: not started yet." in chart.alt and "Wave 2: cancelled before it started." in chart.alt
    assert "no members" not in chart.alt
    assert chart.table[1][1:] == (("Wave 1", "–", "not started yet"), ("Wave 2", "–", "cancelled"))
    assert {"not started yet", "cancelled"} <= set(note_texts(chart))


def test_a_distribution_says_a_wave_is_hidden_with_the_real_number_of_answers() -> None:
    chart = charts.distribution(["Wave 0", "Wave 1", "Wave 2"], ["Yes", "No"], {"Yes": [3, 0, 0], "No": [1, 0, 0]},
                                withheld=[None, HIDDEN, NOT_STARTED])
    assert HIDDEN_ALT in chart.alt and "Wave 2: not started yet." in chart.alt and "n = 0" not in chart.alt
    assert chart.table[1][1:] == (("Wave 1", "2 (hidden until 5 have answered)", "–", "–"),
                                  ("Wave 2", "not started yet", "–", "–"))
    assert tick_texts(chart, "y") == ["Wave 0\nn = 4", "Wave 1\nn = 2, hidden", "Wave 2\nnot started"]
    assert {"hidden until 5 have answered", "not started yet"} <= set(note_texts(chart))


@pytest.mark.parametrize("bad", [
    lambda: WaveShare("Wave 0", 2, 0.5, withheld=HIDDEN),
    lambda: Withheld("hidden", answered=5, k=5),
    lambda: Withheld("later"),
    lambda: charts.problems(["Wave 0"], ["A"], {"A": [1.0]}, withheld=[NOT_STARTED]),
    lambda: charts.distribution(["Wave 0"], ["Yes"], {"Yes": [1]}, withheld=[HIDDEN]),
    lambda: charts.distribution(["Wave 0"], ["Yes"], {"Yes": [1]}, withheld=[]),
], ids=["share-with-value", "hidden-at-k", "unknown-reason", "problems-with-value", "answers-shown", "length"])
def test_a_withheld_wave_with_values_is_rejected(bad: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        bad()


# --- every number in the page's locale ---------------------------------------------

SWEDISH_NUMBERS = {"decimal_separator": ",", "group_separator": "\N{NO-BREAK SPACE}"}


def formatted_ticks(chart: Chart, axis: str) -> list[str]:
    axes = chart.figure.axes[0]
    which = axes.yaxis if axis == "y" else axes.xaxis
    low, high = sorted(which.get_view_interval())
    return which.get_major_formatter().format_ticks([x for x in which.get_majorticklocs() if low <= x <= high])


def test_problem_ticks_and_totals_use_the_decimal_comma() -> None:
    chart = charts.problems(["Våg 0", "Våg 1"], ["Hårdvara", "Mjukvara"],
                            {"Hårdvara": [2.5, 8.3], "Mjukvara": [12.5, 8.3]}, SWEDISH_NUMBERS, totals=[15.0, 16.7])
    ticks = formatted_ticks(chart, "y")
    assert "2,5" in ticks and "17,5" in ticks and not any("." in tick for tick in ticks)
    assert {"15,0", "16,7"} <= {t.get_text() for t in chart.figure.axes[0].texts}
    assert chart.table[1][1] == ("Våg 1", "8,3", "8,3", "16,7")
    english = charts.problems(["Wave 0"], ["A"], {"A": [17.5]})
    assert "17.5" in formatted_ticks(english, "y")


def test_counts_are_grouped_in_thousands_as_the_locale_writes_them() -> None:
    nbsp = "\N{NO-BREAK SPACE}"
    waves = [WaveShare("Våg 0", 1234, 0.5, 0.47, 0.53)]
    satisfied = charts.satisfaction(waves, None, SWEDISH_NUMBERS)
    assert f"n = 1{nbsp}234" in satisfied.alt and tick_texts(satisfied) == [f"Våg 0\nn = 1{nbsp}234"]
    assert satisfied.table[1][0][1] == f"1{nbsp}234"
    lessons = charts.lessons(["Våg 0"], [1500], [2], [0], SWEDISH_NUMBERS)
    assert f"1{nbsp}500" in lessons.alt and f"1{nbsp}500" in [t.get_text() for t in lessons.figure.axes[0].texts]
    assert charts.distribution(["Våg 0"], ["Ja"], {"Ja": [1200]}, SWEDISH_NUMBERS).table[1][0][1] == f"1{nbsp}200"
    english = charts.satisfaction(waves, None, {"group_separator": ","})
    assert "n = 1,234" in english.alt


def test_percent_ticks_and_timeline_dates_read_the_same_in_swedish() -> None:
    share_ticks = formatted_ticks(charts.satisfaction(shares(SATISFIED, 3, True), 0.7, SWEDISH_NUMBERS), "y")
    assert share_ticks == ["0 %", "20 %", "40 %", "60 %", "80 %", "100 %"]
    rows = [TimelineRow("Våg 0", FIRST_DAY, FIRST_DAY + timedelta(days=40), FIRST_DAY, None)]
    for labels in (SWEDISH_NUMBERS, None):
        dates = formatted_ticks(charts.timeline(rows, TODAY, labels), "x")
        assert dates and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", tick) for tick in dates)


@pytest.mark.parametrize(("value", "digits", "written"), [
    (1234.5, 1, "1\N{NO-BREAK SPACE}234,5"), (-0.04, 1, "0,0"), (12.0, 0, "12"), (1234567, 0, "1 234 567"),
])
def test_numbers_are_written_with_the_labels_separators(value: float, digits: int, written: str) -> None:
    swedish = texts.ChartText("problems", SWEDISH_NUMBERS)
    assert swedish.number(value, digits) == written.replace(" ", "\N{NO-BREAK SPACE}")
    assert texts.ChartText("problems", None).number(1234.5) == "1234.5"  # the defaults do not group
