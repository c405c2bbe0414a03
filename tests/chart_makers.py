"""Charts made from plain test data, shared by the chart tests: each maker builds
one family's chart for a number of waves, with values or without (None shares,
zero counts, n = 0), and returns it with the phrases its alt text must hold."""
from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

from rollout import charts
from rollout.charts import Chart, TimelineRow, WaveShare

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
