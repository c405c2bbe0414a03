"""The results' charts in the app: the page describes every chart without drawing one; the
problems chart's numbers are the results table's; a wave that has not started, or whose
anonymous answers are hidden, says so; numbers are written in the page's language."""
from __future__ import annotations

import re
from html import unescape

import pytest
from flask_babel import force_locale

from rollout import charts
from rollout.charts import texts
from rollout.services import chart_data, chart_translations, feedback, results, waves

from . import builders
from .test_feedback import open_wave, tokens
from .test_results import answer_all

NBSP = "\N{NO-BREAK SPACE}"


def described(rollout, lead, language: str = "en") -> dict[str, dict]:
    with force_locale(language):
        return {name: chart_data.describe(chart_data.gather(rollout, name, language, lead))
                for name in chart_data.chart_names(rollout)}


def row(chart: dict, wave: str) -> tuple[str, ...]:
    return next(r for r in chart["table"][1] if r[0] == wave)


@pytest.fixture
def pilot_and_planned(ctx, lead):
    """Wave 0: 6 members in feedback, one login and one printing report (16.7 + 16.7 = 33.3 per 100);
    wave 1: planned, for the 8 people of unit Later."""
    rollout, pilot = open_wave(lead, n=6)
    answer_all(pilot, [5, 4, 2])
    reporters = sorted(tokens(pilot).values())
    feedback.report_problem(reporters[0], {"category": "login", "severity": "minor", "description": "x"})
    feedback.report_problem(reporters[1], {"category": "printing", "severity": "minor", "description": "y"})
    builders.make_people(8, unit="Later", prefix="lat")
    builders.make_wave(rollout, lead, name="Later", units=["Later"])
    return rollout, pilot


# --- the page describes; only the image URLs draw ---------------------------------


def test_the_results_page_draws_no_figure_and_the_image_still_renders(logged_in, pilot_and_planned, monkeypatch):
    rollout, _pilot = pilot_and_planned

    def no_drawing(title):
        raise AssertionError(f"the page drew the figure of {title!r} to read its texts")

    monkeypatch.setattr(charts.common, "new_figure", no_drawing)
    page = logged_in.get(f"/rollouts/{rollout.key}/results")
    assert page.status_code == 200
    html = unescape(page.get_data(as_text=True))
    assert len(re.findall(r'<figure class="chart"', html)) == len(chart_data.chart_names(rollout))
    assert "Wave 0: 67 % satisfied" in html  # the texts are there, made from the data
    monkeypatch.undo()
    image = logged_in.get(f"/rollouts/{rollout.key}/charts/problems.svg")
    assert image.status_code == 200 and image.data.startswith(b"<?xml")


# --- numbers that agree ------------------------------------------------------------


def test_the_problems_chart_shows_the_totals_of_the_results_table(logged_in, pilot_and_planned, lead):
    rollout, pilot = pilot_and_planned
    result = results.wave_results(pilot, lead)
    assert result.problems["per_100"] == 33.3
    assert [e["per_100"] for e in result.problems["by_category"].values()] == [16.7, 16.7]

    chart = described(rollout, lead)["problems"]
    assert row(chart, "Wave 0") == ("Wave 0", "16.7", "16.7", "33.3")
    assert "Wave 0: 33.3 per 100 members in total (Login and access 16.7, Printing 16.7)." in chart["alt"]
    assert "33.4" not in chart["alt"]
    html = unescape(logged_in.get(f"/rollouts/{rollout.key}/results").get_data(as_text=True))
    assert "<td>33.3</td>" in html  # the results table, beside the chart
    assert re.search(r'id="chart-problems">\s*<img[^>]*alt="[^"]*Wave 0: 33\.3 per 100 members in total', html)

    swedish = described(rollout, lead, "sv")["problems"]
    assert row(swedish, "Våg 0")[1:] == ("16,7", "16,7", "33,3") and "33,3" in swedish["alt"]


def test_each_charts_own_reading_gives_the_results_numbers(ctx, lead):
    """The charts read their inputs themselves (a few grouped counts, for their ETag): the numbers
    must be the results' own, wave by wave."""
    rollout, pilot, wave1 = builders.pilot_in_review(lead, ratings=(5, 4, 2, 2, 3, 4, 1), pilot_size=8)
    feedback.report_problem(sorted(tokens(pilot).values())[0], {"category": "login", "severity": "minor",
                                                                "description": "x"})
    waves.decide(pilot, "go", "fine", lead)
    for state in ("active", "feedback"):
        waves.transition(wave1, state, lead)
    answer_all(wave1, [5, 5, 4, 1, 3, 4], day_one=["yes", "no", "no", "yes", "yes", "yes"])
    every = results.rollout_results(rollout, lead)
    with force_locale("en"):
        satisfaction, rate = (chart_data.gather(rollout, name, "en", lead).args[0]
                              for name in ("satisfaction", "response-rate"))
        day_one = chart_data.gather(rollout, "question-worked_day_one", "en", lead)
    for result, share, responded in zip(every, satisfaction, rate, strict=True):
        estimate = result.satisfied()
        assert (share.n, share.value, share.low, share.high) == (estimate.n, estimate.value, estimate.low, estimate.high)
        assert (responded.n, responded.value, responded.low, responded.high) == (
            result.invited, result.response_rate.value, result.response_rate.low, result.response_rate.high)
    _names, options, counts = day_one.args
    assert {option: counts[option] for option in options} == {
        "Yes": [r.questions["worked_day_one"].distribution["yes"] for r in every],
        "No": [r.questions["worked_day_one"].distribution["no"] for r in every]}
    assert counts["No"][1] == 2


def test_per_100_is_rounded_once_from_the_count() -> None:
    assert results.per_100(2, 6) == 33.3 and results.per_100(1, 6) == 16.7 and results.per_100(1, 0) is None


# --- waves without values say why -------------------------------------------------------


def test_a_planned_wave_has_not_started_rather_than_no_members(pilot_and_planned, lead):
    rollout, _pilot = pilot_and_planned
    charts_of = described(rollout, lead)
    problems = charts_of["problems"]
    assert "Wave 1: not started yet." in problems["alt"] and "no members" not in problems["alt"]
    assert row(problems, "Wave 1") == ("Wave 1", "–", "–", "not started yet")
    for name in ("satisfaction", "response-rate", "question-satisfaction", "question-worked_day_one"):
        assert "Wave 1: not started yet." in charts_of[name]["alt"], name
        assert "not started yet" in row(charts_of[name], "Wave 1"), name
    with force_locale("en"):
        data = chart_data.gather(rollout, "problems", "en", lead)
        notes = [t.get_text() for t in data.chart().figure.axes[0].texts]
    assert "not started yet" in notes and "no members" not in notes


def test_an_anonymous_wave_below_k_says_its_answers_are_hidden_not_n_0(ctx, lead):
    rollout, wave = open_wave(lead, n=8, anonymous=True, key="anon-2027")
    answer_all(wave, [5, 4])
    assert results.wave_results(wave, lead).hidden
    hidden = "Wave 0: 2 have answered; the answers stay hidden until 5 have, to keep them anonymous."
    charts_of = described(rollout, lead)

    satisfaction = charts_of["satisfaction"]
    assert hidden in satisfaction["alt"] and "n = 0" not in satisfaction["alt"]
    assert row(satisfaction, "Wave 0") == ("Wave 0", "2", "hidden until 5 have answered", "–", "–")
    for name in ("question-satisfaction", "question-worked_day_one"):
        assert hidden in charts_of[name]["alt"] and "n = 0" not in charts_of[name]["alt"], name
        assert row(charts_of[name], "Wave 0")[1] == "2 (hidden until 5 have answered)", name
    # who answered is public: the response rate stays
    assert "Wave 0: 25 % responded" in charts_of["response-rate"]["alt"]

    with force_locale("en"):
        ticks = chart_data.gather(rollout, "satisfaction", "en", lead).chart().figure.axes[0].get_xticklabels()
        rows = chart_data.gather(rollout, "question-satisfaction", "en", lead).chart().figure.axes[0].get_yticklabels()
    assert [t.get_text() for t in ticks] == ["Wave 0\nn = 2, hidden"]
    assert [t.get_text() for t in rows] == ["Wave 0\nn = 2, hidden"]

    answer_all(wave, [5, 4, 4, 2, 3])  # five have answered: shown
    assert "hidden" not in described(rollout, lead)["satisfaction"]["alt"]


# --- the page's language ------------------------------------------------------------------


def test_chart_numbers_follow_the_page_language(ctx, lead):
    rollout, wave = open_wave(lead, n=2, key="big-2027")
    builders.bulk_responses(wave, 1200)
    assert f"n = 1{NBSP}200" in described(rollout, lead, "sv")["satisfaction"]["alt"]
    assert "n = 1,200" in described(rollout, lead, "en")["satisfaction"]["alt"]
    with force_locale("sv"):
        swedish = chart_translations.labels("problems")
    with force_locale("en"):
        english = chart_translations.labels("problems")
    assert (swedish["decimal_separator"], swedish["group_separator"]) == (",", NBSP)
    assert (english["decimal_separator"], english["group_separator"]) == (".", ",")


@pytest.mark.parametrize("chart", list(texts.DEFAULT_LABELS))
def test_the_translated_labels_are_the_charts_defaults_in_english(ctx, chart):
    with force_locale("en"):
        translated = chart_translations.labels(chart)
    defaults = {**texts.COMMON_LABELS, **texts.DEFAULT_LABELS[chart]}
    separators = ("decimal_separator", "group_separator")  # from the locale, not translated
    assert {k: v for k, v in translated.items() if k not in separators} == \
        {k: v for k, v in defaults.items() if k not in separators}
    assert set(translated) == set(defaults)
