"""Charts: plain data in, SVG/PNG bytes out -- no app, no database.

Every chart is built for 0, 1 and 10 waves, with values and without (None
shares, zero counts, n = 0), and rendered as SVG and PNG. The bytes must be
well-formed and deterministic (the app caches them on a fingerprint): the same
whatever was drawn before in the process, in whichever order and format, and
when rendered from several threads at once. The texts are in test_chart_texts.
"""
from __future__ import annotations

import ast
import gc
import hashlib
import json
import random
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import numpy
import pytest
from matplotlib.figure import Figure

from rollout import charts
from rollout.charts import TimelineRow

from .chart_makers import (
    CASE_IDS,
    CASES,
    FIRST_DAY,
    MAKERS,
    TODAY,
    built,
    changed_data,
    make_satisfaction,
    png_size,
    rendered,
)

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


# --- deterministic bytes and fingerprints ------------------------------------


@pytest.mark.parametrize("name", MAKERS)
def test_same_data_gives_identical_bytes(name: str) -> None:
    again, _ = MAKERS[name](10, True)  # a new Figure from equal data
    assert charts.render(again, "svg") == rendered(name, 10, True, "svg")
    assert charts.render(again, "png") == rendered(name, 10, True, "png")


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


def test_charts_package_uses_neither_pyplot_nor_flask_nor_the_database() -> None:
    modules = sorted(Path(charts.__file__).parent.glob("*.py"))
    assert len(modules) > 1
    for module in modules:
        imported: set[str] = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        assert not any("pyplot" in name or name.split(".")[0] in {"flask", "flask_babel", "sqlalchemy"}
                       for name in imported), module.name
        assert not any(node.level > 1 for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
                       if isinstance(node, ast.ImportFrom)), f"{module.name} imports from the app"


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


# --- the same bytes whatever came before ------------------------------------------

# every family, with values and without, in two sizes
SCRAMBLED = [(name, count, with_values) for name in MAKERS for count, with_values in ((4, True), (1, False))]


def test_bytes_do_not_depend_on_what_was_drawn_before_nor_on_the_format_drawn_first() -> None:
    """The ETag is a fingerprint of the data, so the picture behind it must be too: SVG after PNG
    of one figure, a chart after any other, and numpy's print options changed by someone else."""
    first = {(job, fmt): charts.render(MAKERS[job[0]](*job[1:])[0], fmt) for job in SCRAMBLED
             for fmt in charts.FORMATS}  # each from a chart of its own
    shuffle = random.Random(2027)
    for round_ in range(4):
        order = [(job, fmt) for job in SCRAMBLED for fmt in charts.FORMATS]
        shuffle.shuffle(order)
        reused: dict[tuple[str, int, bool], charts.Chart] = {}
        with numpy.printoptions(precision=3, legacy="1.25") if round_ == 3 else numpy.printoptions():
            for job, fmt in order:
                # odd rounds: one chart per job, its SVG and PNG drawn one after the other, either first
                chart = reused.setdefault(job, MAKERS[job[0]](*job[1:])[0]) if round_ % 2 else \
                    MAKERS[job[0]](*job[1:])[0]
                assert charts.render(chart, fmt) == first[job, fmt], (round_, job, fmt)


def test_a_fresh_process_draws_the_same_bytes_as_this_one() -> None:
    """Several app processes serve one ETag: each must send the same picture for it."""
    code = (
        "import hashlib, json\n"
        "from rollout import charts\n"
        "from tests.chart_makers import MAKERS\n"
        "print(json.dumps({f'{name}.{fmt}': hashlib.sha256(charts.render(MAKERS[name](10, True)[0], fmt))"
        ".hexdigest() for name in reversed(list(MAKERS)) for fmt in ('png', 'svg')}))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                          check=True)
    here = {f"{name}.{fmt}": hashlib.sha256(rendered(name, 10, True, fmt)).hexdigest()
            for name in MAKERS for fmt in charts.FORMATS}
    assert json.loads(done.stdout) == here
