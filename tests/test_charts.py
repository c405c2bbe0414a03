"""Charts: plain data in, SVG/PNG bytes out -- no app, no database.

Every chart is built for 0, 1 and 10 waves, with values and without (None
shares, zero counts, n = 0), and rendered as SVG and PNG. The bytes must be
well-formed, deterministic (the app caches them on a fingerprint), identical
when rendered from several threads at once, and the text alternative and
data table must carry the numbers the picture shows.
"""
from __future__ import annotations

import ast
import gc
import re
import struct
import sys
import threading
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from rollout import chart_text, charts
from rollout.charts import Chart, TimelineRow, WaveShare, Withheld

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZES = (0, 1, 10)
SATISFIED = (0.62, 0.8, 0.45, 1.0, 0.0, 0.7, 0.55, 0.9, 0.33, 0.75)
RESPONDED = (0.5, 0.9, 0.25, 0.6, 1.0, 0.0, 0.4, 0.85, 0.7, 0.95)
FIRST_DAY = date(2025, 3, 3)
TODAY = date(2025, 7, 10)
CATEGORIES = ("Hårdvara", "Mjukvara", "Åtkomst")
OPTIONS = ("1 Mycket dålig", "2", "3", "4", "5 Mycket bra")


def wave_names(count: int) -> list[str]:
    return [f"Wave {i}" for i in range(count)]


def shares(values: tuple[float, ...], count: int, with_values: bool) -> list[WaveShare]:
    if not with_values:
        return [WaveShare(f"Wave {i}", 0, None) for i in range(count)]
    return [WaveShare(f"Wave {i}", 10 + 3 * i, v, max(0.0, v - 0.15), min(1.0, v + 0.1))
            for i, v in enumerate(values[:count])]


def pct(share: float) -> str:
    return f"{round(share * 100)} %"


# Each maker returns the chart and phrases its alt text must contain.
Made = tuple[Chart, list[str]]


def make_satisfaction(count: int, with_values: bool, gate: float | None = 0.7) -> Made:
    waves = shares(SATISFIED, count, with_values)
    expected = ([f"{w.label}: {pct(w.value)} satisfied" for w in waves if w.value is not None] if with_values
                else [f"{w.label}: no answers yet (n = 0)" for w in waves])
    if gate is not None and count:
        expected.append("Gate: 70 %")
    return charts.satisfaction(waves, gate), expected


def make_response_rate(count: int, with_values: bool) -> Made:
    waves = shares(RESPONDED, count, with_values)
    expected = ([f"{w.label}: {pct(w.value)} responded" for w in waves if w.value is not None] if with_values
                else [f"{w.label}: nobody invited yet" for w in waves])
    return charts.response_rate(waves, 0.6), expected


def make_problems(count: int, with_values: bool) -> Made:
    per_100 = {c: [(2.5 * (j + 1) + i if with_values else None) for i in range(count)]
               for j, c in enumerate(CATEGORIES)}
    expected = ([f"Wave {i}: {15 + 3 * i:.1f} per 100 members in total (Hårdvara {2.5 + i:.1f}" for i in range(count)]
                if with_values else [f"Wave {i}: no members yet" for i in range(count)])
    return charts.problems(wave_names(count), list(CATEGORIES), per_100), expected


def make_lessons(count: int, with_values: bool) -> Made:
    raised = [i + 3 if with_values else 0 for i in range(count)]
    applied = [i + 1 if with_values else 0 for i in range(count)]
    verified = [i if with_values else 0 for i in range(count)]
    expected = [f"Wave {i}: {raised[i]} raised, {applied[i]} applied, {verified[i]} verified" for i in range(count)]
    return charts.lessons(wave_names(count), raised, applied, verified), expected


def make_timeline(count: int, with_values: bool) -> Made:
    rows = []
    expected = []
    for i in range(count):
        start = FIRST_DAY + timedelta(days=14 * i)
        if not with_values:
            rows.append(TimelineRow(f"Wave {i}", None, None, None, None))
            expected.append(f"Wave {i}: planned not set; actual not set")
            continue
        actual_start = start + timedelta(days=i % 3)
        finished = i < count - 1  # the last wave is still running
        actual_end = actual_start + timedelta(days=12) if finished else None
        rows.append(TimelineRow(f"Wave {i}", start, start + timedelta(days=10), actual_start, actual_end))
        actual = (f"{actual_start.isoformat()} to {actual_end.isoformat()}" if actual_end
                  else f"{actual_start.isoformat()} to today, still running")
        expected.append(f"Wave {i}: planned {start.isoformat()} to {(start + timedelta(days=10)).isoformat()}; "
                        f"actual {actual}")
    if with_values and count:
        expected.append(f"Today is {TODAY.isoformat()}")
    return charts.timeline(rows, TODAY), expected


def make_distribution(count: int, with_values: bool) -> Made:
    counts = {o: [((j + 1) * (i + 1)) % 7 + 1 if with_values else 0 for i in range(count)]
              for j, o in enumerate(OPTIONS)}
    expected = []
    for i in range(count):
        total = sum(counts[o][i] for o in OPTIONS)
        if with_values:
            first = counts[OPTIONS[0]][i]
            expected.append(f"Wave {i} (n = {total}): 1 Mycket dålig {pct(first / total)} ({first})")
        else:
            expected.append(f"Wave {i}: no answers yet")
    return charts.distribution(wave_names(count), list(OPTIONS), counts), expected


MAKERS: dict[str, Callable[[int, bool], Made]] = {
    "satisfaction": make_satisfaction,
    "response_rate": make_response_rate,
    "problems": make_problems,
    "lessons": make_lessons,
    "timeline": make_timeline,
    "distribution": make_distribution,
}
CASES = [(name, count, with_values) for name in MAKERS for count in SIZES for with_values in (True, False)]
CASE_IDS = [f"{name}-{count}-{'values' if with_values else 'empty'}" for name, count, with_values in CASES]


@cache
def built(name: str, count: int, with_values: bool) -> Made:
    return MAKERS[name](count, with_values)


@cache
def rendered(name: str, count: int, with_values: bool, fmt: str) -> bytes:
    return charts.render(built(name, count, with_values)[0], fmt)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


# --- every chart, every size, with and without values -----------------------


@pytest.mark.parametrize(("name", "count", "with_values"), CASES, ids=CASE_IDS)
def test_svg_is_a_well_formed_svg_document(name: str, count: int, with_values: bool) -> None:
    svg = rendered(name, count, with_values, "svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    title = root.find("{http://www.w3.org/2000/svg}title")  # from Chart.title, for screen readers
    assert title is not None and title.text == built(name, count, with_values)[0].title
    assert b"<dc:date>" not in svg  # no timestamp, or the bytes would change on every render


@pytest.mark.parametrize(("name", "count", "with_values"), CASES, ids=CASE_IDS)
def test_png_has_the_fixed_pixel_size(name: str, count: int, with_values: bool) -> None:
    png = rendered(name, count, with_values, "png")
    assert png_size(png) == (800, 450)
    assert b"Software" not in png


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


# --- deterministic bytes and fingerprints ------------------------------------


@pytest.mark.parametrize("name", MAKERS)
def test_same_data_gives_identical_bytes(name: str) -> None:
    again, _ = MAKERS[name](10, True)  # a new Figure from equal data
    assert charts.render(again, "svg") == rendered(name, 10, True, "svg")
    assert charts.render(again, "png") == rendered(name, 10, True, "png")


def changed_data(name: str) -> tuple[Chart, tuple[object, ...], tuple[object, ...]]:
    """A chart from the 1-wave data with one number changed, and both data sets for fingerprint()."""
    names = wave_names(1)
    if name in ("satisfaction", "response_rate"):
        before_shares = shares(SATISFIED if name == "satisfaction" else RESPONDED, 1, True)
        after_shares = [WaveShare("Wave 0", 10, 0.3, 0.1, 0.45)]
        builder = charts.satisfaction if name == "satisfaction" else charts.response_rate
        gate = 0.7 if name == "satisfaction" else 0.6
        return builder(after_shares, gate), (before_shares, gate), (after_shares, gate)
    if name == "problems":
        before_rates: dict[str, list[float | None]] = {c: [2.5 * (j + 1)] for j, c in enumerate(CATEGORIES)}
        after_rates: dict[str, list[float | None]] = {**before_rates, "Mjukvara": [9.0]}
        return charts.problems(names, list(CATEGORIES), after_rates), (names, before_rates), (names, after_rates)
    if name == "lessons":
        return charts.lessons(names, [3], [2], [0]), (names, [3], [1], [0]), (names, [3], [2], [0])
    if name == "timeline":
        planned_end = FIRST_DAY + timedelta(days=10)
        before_rows = [TimelineRow("Wave 0", FIRST_DAY, planned_end, FIRST_DAY, None)]
        after_rows = [TimelineRow("Wave 0", FIRST_DAY, planned_end, FIRST_DAY + timedelta(days=4), None)]
        return charts.timeline(after_rows, TODAY), (before_rows, TODAY), (after_rows, TODAY)
    before_counts = {o: [(j + 1) % 7 + 1] for j, o in enumerate(OPTIONS)}
    after_counts = {**before_counts, "3": [9]}
    return charts.distribution(names, list(OPTIONS), after_counts), (names, before_counts), (names, after_counts)


@pytest.mark.parametrize("name", MAKERS)
def test_different_data_gives_different_bytes_and_fingerprint(name: str) -> None:
    chart, before, after = changed_data(name)
    assert charts.render(chart, "svg") != rendered(name, 1, True, "svg")
    assert charts.render(chart, "png") != rendered(name, 1, True, "png")
    assert charts.fingerprint(name, *before) != charts.fingerprint(name, *after)
    assert charts.fingerprint(name, *before) == charts.fingerprint(name, *before)


def test_fingerprint_is_a_stable_sha256_of_plain_data() -> None:
    rows = [TimelineRow("Wave 0", FIRST_DAY, None, None, None)]
    digest = charts.fingerprint("timeline", rows, TODAY, {"b": 1, "a": 2})
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == charts.fingerprint("timeline", list(rows), TODAY, {"a": 2, "b": 1})  # key order is irrelevant
    assert digest != charts.fingerprint("timeline", rows, TODAY + timedelta(days=1), {"b": 1, "a": 2})
    assert digest != charts.fingerprint("timeline", rows, TODAY, {"b": 1, "a": 2}, {"title": "Tidplan"})
    with pytest.raises(TypeError):
        charts.fingerprint(object())


def test_gate_line_is_drawn_only_when_given() -> None:
    with_gate, _ = built("satisfaction", 10, True)
    without_gate, _ = make_satisfaction(10, True, gate=None)
    assert "Gate" not in without_gate.alt
    assert charts.render(without_gate, "svg") != charts.render(with_gate, "svg")


def test_concurrent_rendering_gives_the_same_bytes_as_sequential() -> None:
    jobs = [(name, 10, True) for name in MAKERS] + [("satisfaction", 1, False), ("distribution", 1, True)]
    assert len(jobs) == 8
    sequential = [(rendered(*job, "svg"), rendered(*job, "png")) for job in jobs]
    start = threading.Barrier(len(jobs))

    def build_and_render(job: tuple[str, int, bool]) -> tuple[bytes, bytes]:
        start.wait()  # all threads build and render at the same moment
        chart, _ = MAKERS[job[0]](job[1], job[2])
        return charts.render(chart, "svg"), charts.render(chart, "png")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often, so a race shows up instead of hiding
    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            concurrent = list(pool.map(build_and_render, jobs))
    finally:
        sys.setswitchinterval(interval)
    assert concurrent == sequential


# --- formats, labels, input checks --------------------------------------------


@pytest.mark.parametrize("fmt", ["gif", "SVG", "pdf", ""])
def test_unknown_format_is_rejected(fmt: str) -> None:
    with pytest.raises(ValueError):
        charts.render(built("lessons", 1, True)[0], fmt)


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


def test_lessons_are_three_series_told_apart_by_colour_hatch_and_legend() -> None:
    chart = charts.lessons(["Wave 0", "Wave 1", "Wave 2"], [3, 1, 0], [0, 2, 1], [0, 1, 1])
    axes = chart.figure.axes[0]
    bars = [container for container in axes.containers if len(container.patches) == 3]
    assert len(bars) == 3  # raised, applied, verified: one bar each per wave
    looks = {(tuple(group.patches[0].get_facecolor()), group.patches[0].get_hatch() or "") for group in bars}
    assert len({colour for colour, _ in looks}) == 3 and len({hatch for _, hatch in looks}) == 3
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["Raised", "Applied", "Verified"]
    assert [[patch.get_height() for patch in group.patches] for group in bars] == [[3, 1, 0], [0, 2, 1], [0, 1, 1]]
    assert chart.table[1][1] == ("Wave 1", "1", "2", "1")


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


def test_charts_module_uses_neither_pyplot_nor_flask() -> None:
    source = Path(charts.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert not any("pyplot" in name or name.split(".")[0] in {"flask", "flask_babel"} for name in imported)


# --- texts without drawing; the figure drawn on demand -------------------------


def live_figures() -> int:
    gc.collect()
    return sum(isinstance(thing, Figure) for thing in gc.get_objects())


def test_building_a_chart_gives_its_texts_without_drawing_a_figure() -> None:
    before = live_figures()
    made = [MAKERS[name](10, True)[0] for name in MAKERS] + [MAKERS[name](0, False)[0] for name in MAKERS]
    assert all(chart.alt and chart.table[0] for chart in made)
    assert live_figures() == before  # not one matplotlib Figure for the titles, alt texts and tables
    assert not any(chart.drawn for chart in made)


def test_rendering_draws_the_figure_once_and_does_not_wait_for_itself() -> None:
    chart, _ = MAKERS["problems"](10, True)
    result: list[bytes] = []
    worker = threading.Thread(target=lambda: result.append(charts.render(chart, "svg")), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "render() deadlocked drawing the figure under the chart lock"
    assert chart.drawn and result == [rendered("problems", 10, True, "svg")]
    figure = chart.figure
    assert charts.render(chart, "png") == rendered("problems", 10, True, "png") and chart.figure is figure


def test_threads_rendering_one_undrawn_chart_draw_it_once_and_agree() -> None:
    chart, _ = MAKERS["distribution"](10, True)
    start = threading.Barrier(6)

    def render_svg(_index: int) -> tuple[bytes, int]:
        start.wait()
        return charts.render(chart, "svg"), id(chart.figure)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [future.result(timeout=120) for future in [pool.submit(render_svg, i) for i in range(6)]]
    assert {svg for svg, _ in results} == {rendered("distribution", 10, True, "svg")}
    assert len({figure for _, figure in results}) == 1


def test_the_text_module_needs_neither_matplotlib_nor_flask() -> None:
    source = Path(chart_text.__file__).read_text(encoding="utf-8")
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
    swedish = chart_text.ChartText("problems", SWEDISH_NUMBERS)
    assert swedish.number(value, digits) == written.replace(" ", "\N{NO-BREAK SPACE}")
    assert chart_text.ChartText("problems", None).number(1234.5) == "1234.5"  # the defaults do not group
