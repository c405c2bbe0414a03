"""Results pages, charts and exports over HTTP: session or bearer token, ETags, Excel-ready CSV."""
from __future__ import annotations

import csv
import io
import json

import pytest

from rollout.services import feedback

from . import builders
from .helpers import counting_queries
from .test_feedback import GOOD, open_wave, tokens
from .test_results import answer_all

CHARTS = ["satisfaction", "response-rate", "problems", "lessons", "timeline", "question-satisfaction",
          "question-worked_day_one"]


@pytest.fixture
def answered(ctx, lead):
    rollout, wave = open_wave(lead, n=8)
    answer_all(wave, [5, 4, 2, 4, 5])
    feedback.submit(tokens(wave)["winp1"], {**GOOD, "went_well": "Åsa fixade skrivaren; tack!"})
    feedback.report_problem(tokens(wave)["winp2"], {"category": "printing", "severity": "minor", "description": "x"})
    return rollout, wave


@pytest.mark.parametrize("name", CHARTS)
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_every_chart_renders_and_answers_304_on_a_repeat(client, auth, answered, name, fmt):
    auth.login()
    response = client.get(f"/rollouts/win11-2027/charts/{name}.{fmt}")
    assert response.status_code == 200
    assert response.data.startswith(b"\x89PNG" if fmt == "png" else b"<?xml")
    etag = response.headers["ETag"]
    again = client.get(f"/rollouts/win11-2027/charts/{name}.{fmt}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data


def test_a_new_answer_changes_the_etag(client, auth, answered):
    rollout, wave = answered
    auth.login()
    before = client.get("/rollouts/win11-2027/charts/satisfaction.svg").headers["ETag"]
    feedback.submit(tokens(wave)["winp8"], {**GOOD, "satisfaction": 1})
    response = client.get("/rollouts/win11-2027/charts/satisfaction.svg", headers={"If-None-Match": before})
    assert response.status_code == 200 and response.headers["ETag"] != before


def test_charts_and_exports_take_a_bearer_token_and_refuse_strangers(client, answered, lead):
    token = builders.make_token(lead)
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/rollouts/win11-2027/charts/satisfaction.png", "/rollouts/win11-2027/export/responses.csv",
                 "/rollouts/win11-2027/export/rollout.json"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=bearer).status_code == 200
    stranger = builders.make_token(builders.make_user("other@example.se", "Other"))
    assert client.get("/rollouts/win11-2027/charts/satisfaction.png",
                      headers={"Authorization": f"Bearer {stranger}"}).status_code == 404


def test_the_responses_csv_opens_in_swedish_excel(client, auth, answered):
    auth.login()
    response = client.get("/rollouts/win11-2027/export/responses.csv")
    assert response.headers["Content-Disposition"].endswith('win11-2027-responses.csv"')
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:5] == ["wave", "response", "submitted_at", "updated_at", "language"]
    assert "satisfaction" in rows[0] and len(rows) == 1 + 5
    assert "Åsa fixade skrivaren; tack!" in [cell for row in rows for cell in row]
    english = client.get("/rollouts/win11-2027/export/responses.csv?excel=en&wave=0").data.decode("utf-8")
    assert list(csv.reader(io.StringIO(english[1:])))[0][0] == "wave"
    assert client.get("/rollouts/win11-2027/export/responses.csv?wave=7").status_code == 404


def test_an_anonymous_rollouts_csv_names_nobody(client, auth, ctx, lead):
    rollout, wave = open_wave(lead, n=6, anonymous=True, key="anon-2027")
    answer_all(wave, [5, 4, 4, 5, 5])
    auth.login()
    text = client.get("/rollouts/anon-2027/export/responses.csv").data.decode("utf-8")
    assert "external_id" not in text and "Person" not in text and "anop" not in text


def test_the_rollout_json_has_waves_results_gate_and_decisions(client, auth, answered, lead):
    from rollout.services import lessons, retro
    rollout, wave = answered
    card = retro.add_card(wave, {"kind": "celebrate", "text": "Åsa fixed the printer"}, lead)
    retro.create_theme(wave, {"title": "Printing", "cards": [card.id]}, lead)
    lessons.create_lesson(rollout, {"title": "Printer drivers first", "origin_wave": 0}, lead)
    auth.login()
    data = json.loads(client.get("/rollouts/win11-2027/export/rollout.json").data)
    assert [t["title"] for t in data["waves"][0]["retrospective"]["themes"]] == ["Printing"]
    assert data["waves"][0]["retrospective"]["cards"][0]["text"] == "Åsa fixed the printer"
    assert [lesson["title"] for lesson in data["lessons"]] == ["Printer drivers first"]
    assert data["key"] == "win11-2027" and data["questionnaires"][0]["version"] == 1
    wave = data["waves"][0]
    assert wave["results"]["responded"] == 5 and len(wave["members"]) == 8
    assert wave["gate"]["verdict"] in ("go", "no_go", "insufficient_evidence")
    assert wave["problems"][0]["category"] == "printing"


def test_the_results_pages(client, auth, answered):
    client.get("/language/en")
    auth.login()
    page = client.get("/rollouts/win11-2027/results").get_data(as_text=True)
    assert "Results per wave" in page and "charts/satisfaction.svg" in page and "The numbers as a table" in page
    wave_page = client.get("/rollouts/win11-2027/waves/0/results").get_data(as_text=True)
    assert "Gate to the next wave" in wave_page and "insufficient evidence" in wave_page
    assert "Minimum satisfied share" in wave_page


def test_the_decision_shows_the_verdict_and_asks_why_when_going_against_it(client, auth, answered):
    from rollout.extensions import db
    from rollout.models import Decision
    from rollout.services import waves
    rollout, wave = answered
    waves.transition(wave, "review", None)
    client.get("/language/en")
    auth.login()
    page = client.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert "The gate says: insufficient evidence." in page
    response = client.post("/rollouts/win11-2027/waves/0/decision", data={"decision": "go", "rationale": ""},
                           follow_redirects=True)
    assert "say why you decide otherwise" in response.get_data(as_text=True)
    assert db.session.query(Decision).count() == 0
    client.post("/rollouts/win11-2027/waves/0/decision",
                data={"decision": "go", "rationale": "The IT unit is the whole pilot; we trust it.", "confirmed": "1"})
    decision = db.session.query(Decision).one()
    assert decision.against_verdict and decision.verdict == "insufficient_evidence"
    results_page = client.get("/rollouts/win11-2027/waves/0/results").get_data(as_text=True)
    assert "decided against the verdict" in results_page


def test_gate_criteria_are_set_in_the_ui(client, auth, answered, lead):
    from rollout.extensions import db
    from rollout.services import gates

    def criteria():
        db.session.expire_all()  # the requests wrote in their own sessions
        return gates.criteria_for(wave)

    rollout, wave = answered
    client.get("/language/en")
    auth.login()
    response = client.post("/rollouts/win11-2027/gate", data={"min_responses": 3, "min_response_rate": 150,
                                                               "min_satisfied": 50, "max_open_blockers": 0})
    assert response.status_code == 422 and 'id="min_response_rate-error"' in response.get_data(as_text=True)
    client.post("/rollouts/win11-2027/gate", data={"min_responses": 3, "min_response_rate": 40,
                                                    "min_satisfied": 50, "max_open_blockers": 0})
    assert criteria()["min_satisfied"] == 0.5
    client.post("/rollouts/win11-2027/waves/0/gate", data={"min_satisfied": 80, "lessons_ready": ""})
    assert criteria()["min_satisfied"] == 0.8 and criteria()["min_responses"] == 3
    client.post("/rollouts/win11-2027/waves/0/gate", data={"min_satisfied": ""})
    assert criteria()["min_satisfied"] == 0.5


def test_results_pages_run_the_same_queries_at_10_and_1000_responses(client, auth, ctx, lead):
    auth.login()
    counts = {}
    for size in (10, 1000):
        key = f"q-{size}"
        rollout, wave = open_wave(lead, n=2, key=key)
        builders.bulk_responses(wave, size)
        for path in (f"/rollouts/{key}/results", f"/rollouts/{key}/waves/0/results", f"/rollouts/{key}/waves/0"):
            with counting_queries() as seen:
                assert client.get(path).status_code == 200
            counts.setdefault(path.replace(key, "KEY"), []).append(len(seen))
    for path, (small, large) in counts.items():
        assert small == large, f"{path}: {small} queries at 10 responses, {large} at 1000"


@pytest.mark.parametrize("waves_count", [0, 10])
def test_every_chart_renders_for_a_rollout_with_no_and_with_ten_waves(client, auth, ctx, lead, waves_count):
    from xml.etree import ElementTree
    builders.make_people(30)
    rollout = builders.make_rollout("many-2027", lead=lead)
    for _ in range(waves_count):
        builders.make_wave(rollout, lead, percentage=100)
    auth.login()
    for name in CHARTS:
        svg = client.get(f"/rollouts/many-2027/charts/{name}.svg")
        assert svg.status_code == 200, name
        assert ElementTree.fromstring(svg.data).tag.endswith("svg")
        png = client.get(f"/rollouts/many-2027/charts/{name}.png")
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n", name
