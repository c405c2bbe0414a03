"""Input that once answered 500: half a UTF-16 pair in text, a wave number beyond any database
integer in a query string, and labels with `$` in charts. Each now gets a clear answer and
changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import Answer, ProblemReport, Rollout, Wave
from rollout.services import waves

from . import builders
from .helpers import error_of, fields_in_order

LONE = "Bra \ud800 men"  # half of a surrogate pair: sent as the JSON escape "\ud800"


def _fields(response) -> list[str]:
    return fields_in_order(error_of(response, 422))


def _collecting(lead, key="odd-2027"):
    builders.make_people(3, unit="Pilot", prefix="o")
    rollout = builders.make_rollout(key, lead)
    wave = builders.make_wave(rollout, lead, units=["Pilot"])
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    return rollout, wave


def test_half_a_character_in_text_gets_a_422_naming_the_field(api, ctx, lead):
    rollout, wave = _collecting(lead)
    token = builders.wave_tokens(wave)["o1"]
    answer = api.client.post(f"/api/v1/feedback/{token}", json={"answers": {
        "satisfaction": 4, "worked_day_one": "yes", "went_well": LONE}})
    assert _fields(answer) == ["went_well"]
    problem = api.client.post(f"/api/v1/feedback/{token}/problems", json={
        "category": "printing", "severity": "minor", "description": LONE})
    assert _fields(problem) == ["description"]
    assert _fields(api.post("/rollouts/odd-2027/waves", json={"name": LONE, "selection": {"percentage": 5}})) == ["name"]
    assert _fields(api.patch("/rollouts/odd-2027", json={"description": LONE})) == ["description"]
    # nothing was stored
    assert db.session.scalar(select(func.count(Answer.id))) == 0
    assert db.session.scalar(select(func.count(ProblemReport.id))) == 0
    assert db.session.scalar(select(func.count(Wave.id))) == 1
    assert db.session.get(Rollout, rollout.id).description == ""


def test_a_wave_number_beyond_any_integer_is_no_such_wave(logged_in, api, ctx, lead):
    _collecting(lead)
    huge = "99999999999999999999"
    assert logged_in.get(f"/rollouts/odd-2027/export/responses.csv?wave={huge}").status_code == 404
    assert logged_in.get("/rollouts/odd-2027/export/responses.csv?wave=-1").status_code == 404
    assert logged_in.get("/rollouts/odd-2027/export/responses.csv?wave=0").status_code == 200
    assert _fields(api.get(f"/rollouts/odd-2027/problems?wave={huge}")) == ["wave"]


def test_dollar_signs_in_labels_are_drawn_as_text(logged_in, api, ctx, lead):
    """A category "Licens $5/$10" or an option "$x$" once made matplotlib parse mathtext and fail."""
    builders.make_people(3, unit="Pilot", prefix="o")
    rollout = builders.make_rollout("odd-2027", lead)
    assert api.patch("/rollouts/odd-2027", json={"problem_categories": [
        {"code": "licence", "sv": "Licens $5/$10", "en": "Licence $5/$10"},
        {"code": "math", "sv": "$\\frac{1}{0}$", "en": "$x^$"}]}).status_code == 200
    questions = [{"code": "satisfaction", "kind": "rating", "required": True, "prompt": {"sv": "Nöjd?", "en": "OK?"}},
                 {"code": "tool", "kind": "choice", "prompt": {"sv": "Verktyg?", "en": "Tool?"},
                  "options": [{"value": "a", "sv": "$a$", "en": "$a$"}, {"value": "b", "sv": "$\\b", "en": "$\\b"}]}]
    assert api.put("/rollouts/odd-2027/questionnaire", json={"questions": questions}).status_code == 200
    wave = builders.make_wave(rollout, lead, units=["Pilot"], name="Våg $1$")
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    token = builders.wave_tokens(wave)["o1"]
    assert api.client.post(f"/api/v1/feedback/{token}", json={"answers": {"satisfaction": 4, "tool": "a"}}) \
        .status_code == 200
    assert api.client.post(f"/api/v1/feedback/{token}/problems", json={
        "category": "math", "severity": "minor", "description": "Trasigt"}).status_code == 201
    for name in ("problems", "satisfaction", "timeline", "response-rate", "question-tool"):
        for fmt in ("svg", "png"):
            response = logged_in.get(f"/rollouts/odd-2027/charts/{name}.{fmt}")
            assert response.status_code == 200, (name, fmt, response.get_data(as_text=True)[:200])
