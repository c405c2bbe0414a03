"""The lessons chart in the app: per wave, the lessons raised in its retrospective
and those applied and verified for it, gathered from the lessons themselves; the
SVG's ETag, text alternative and table change when a lesson moves."""
from __future__ import annotations

import re
from html import unescape

from flask_babel import force_locale

from rollout.services import chart_data, lessons, waves

from . import builders


def counts_by_series(data: chart_data.ChartData) -> dict[str, list[int]]:
    _names, raised, applied, verified = data.args
    return {"raised": list(raised), "applied": list(applied), "verified": list(verified)}


def expected_series(rollout) -> dict[str, list[int]]:
    counts = lessons.chart_counts(rollout)
    return {key: [counts[w.number][key] for w in rollout.waves] for key in ("raised", "applied", "verified")}


def test_the_gathered_data_are_the_lessons_counts_per_wave(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead, ratings=(1, 2, 2, 1, 3, 2), rest=24)
    builders.make_people(3, unit="Later", prefix="lat")
    builders.make_wave(rollout, lead, name="Wave 2", units=["Later"])
    assert counts_by_series(chart_data.gather(rollout, "lessons", "en", lead)) == {
        "raised": [0, 0, 0], "applied": [0, 0, 0], "verified": [0, 0, 0]}

    better = lessons.create_lesson(rollout, {"title": "Better information", "origin_wave": 0,
                                             "metric": "satisfaction"}, lead)
    driver = lessons.create_lesson(rollout, {"title": "Printer driver", "origin_wave": 0}, lead)
    dropped = lessons.create_lesson(rollout, {"title": "New mice", "origin_wave": 0}, lead)
    later = lessons.create_lesson(rollout, {"title": "Video guide", "origin_wave": 0, "target_wave": 2}, lead)
    for lesson in (better, driver):
        lessons.update_lesson(lesson, {"status": "applied"}, lead)
    lessons.update_lesson(dropped, {"status": "dropped", "reason": "Not needed"}, lead)
    lessons.update_lesson(later, {"status": "planned"}, lead)
    waves.decide(pilot, "go", "the lessons fix it", lead)
    for state in ("active", "feedback"):
        waves.transition(wave1, state, lead)
    builders.answer_wave(wave1, [5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 5, 4, 4, 5, 5, 4, 5, 4, 5, 5])
    waves.transition(wave1, "review", lead)
    lessons.update_lesson(better, {"status": "verified_effective"}, lead)
    lessons.create_lesson(rollout, {"title": "Keep the corridor support", "origin_wave": 1}, lead)

    with force_locale("en"):
        data = chart_data.gather(rollout, "lessons", "en", lead)
        described = chart_data.describe(data)
    assert counts_by_series(data) == expected_series(rollout) == {
        "raised": [4, 1, 0], "applied": [0, 2, 0], "verified": [0, 1, 0]}
    assert "Wave 0: 4 raised, 0 applied, 0 verified." in described["alt"]
    assert "Wave 1: 1 raised, 2 applied, 1 verified." in described["alt"]
    assert described["table"][1][1] == ("Wave 1", "1", "2", "1")


def test_the_svg_etag_alt_text_and_table_change_when_a_lesson_is_applied(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "Brief the service desk", "origin_wave": 0}, lead)
    url = f"/rollouts/{rollout.key}/charts/lessons.svg"
    before = logged_in.get(url)
    assert before.status_code == 200 and before.mimetype == "image/svg+xml" and before.get_etag()[0]
    etag = before.get_etag()[0]
    assert logged_in.get(url, headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    assert "Wave 1: 0 raised, 0 applied, 0 verified." in results_alt(logged_in, rollout)

    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    after = logged_in.get(url, headers={"If-None-Match": f'"{etag}"'})
    assert after.status_code == 200 and after.get_etag()[0] != etag
    assert after.data != before.data
    html = results_page(logged_in, rollout)
    assert "Wave 1: 0 raised, 1 applied, 0 verified." in results_alt(logged_in, rollout, html)
    table = re.search(r'<figure class="chart" id="chart-lessons">.*?</figure>', html, re.S).group(0)
    assert re.search(r"<th scope=\"row\">Wave 1</th><td>0</td><td>1</td><td>0</td>", table)


def results_page(client, rollout) -> str:
    response = client.get(f"/rollouts/{rollout.key}/results")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def results_alt(client, rollout, html: str | None = None) -> str:
    html = html or results_page(client, rollout)
    return re.search(r'id="chart-lessons">\s*<img[^>]*alt="([^"]*)"', html).group(1)
