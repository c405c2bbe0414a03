"""Check-ins on the web: the lead's section of the wave page (add, change, delete with a
confirmation), the trend and flag on the wave and results pages, and the participant's page."""
from __future__ import annotations

import re

from sqlalchemy import select

from rollout.extensions import db
from rollout.models import CheckIn, CheckInResponse
from rollout.services import checkins, feedback, reconcile, waves

from . import builders
from .helpers import text_of
from .test_checkins import active_wave, answer_all, later, tokens

DEFAULT_FORM = {"day": "1", "q1_kind": "rating", "q1_code": "going", "q1_sv": "Hur går det?",
                "q1_en": "How is it going?", "q1_required": "y", "q2_kind": "text", "q2_code": "in_the_way",
                "q2_sv": "Vad står i vägen?", "q2_en": "What is in your way?", "q3_kind": "rating"}


def test_the_lead_adds_a_check_in_from_the_wave_page_prefilled_with_the_defaults(logged_in, lead):
    _rollout, wave = active_wave(lead)
    page = logged_in.get("/rollouts/win11-2027/waves/0")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="checkins-title"' in html
    assert 'value="How is it going?"' in html and 'value="Vad står i vägen?"' in html
    response = logged_in.post("/rollouts/win11-2027/waves/0/checkins", data=DEFAULT_FORM)
    assert response.status_code == 303
    checkin = db.session.scalars(select(CheckIn)).one()
    assert checkin.day == 1 and [q["code"] for q in checkin.questions] == ["going", "in_the_way"]
    page = text_of(logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True))
    assert "Day 1" in page and "not sent yet" in page


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(logged_in, lead):
    active_wave(lead)
    response = logged_in.post("/rollouts/win11-2027/waves/0/checkins",
                              data={**DEFAULT_FORM, "day": "minus", "q1_code": "Bad Code", "q2_en": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="day-error"' in html and 'id="q1_code-error"' in html and 'id="q2_en-error"' in html
    assert db.session.query(CheckIn).count() == 0


def test_deleting_asks_first_then_deletes(logged_in, lead):
    _rollout, wave = active_wave(lead)
    checkin = checkins.add_checkin(wave, {"day": 2}, lead)
    url = f"/rollouts/win11-2027/waves/0/checkins/{checkin.id}/delete"
    asked = logged_in.post(url, data={})
    assert asked.status_code == 200 and "Delete the check-in on day 2?" in asked.get_data(as_text=True)
    assert db.session.query(CheckIn).count() == 1
    done = logged_in.post(url, data={"confirmed": "1"})
    assert done.status_code == 303 and db.session.query(CheckIn).count() == 0


def test_changing_a_check_in(logged_in, lead):
    _rollout, wave = active_wave(lead)
    checkin = checkins.add_checkin(wave, {"day": 2}, lead)
    url = f"/rollouts/win11-2027/waves/0/checkins/{checkin.id}/edit"
    assert 'value="2"' in logged_in.get(url).get_data(as_text=True)
    assert logged_in.post(url, data={**DEFAULT_FORM, "day": "4"}).status_code == 303
    db.session.refresh(checkin)
    assert checkin.day == 4


def test_the_participant_sees_the_open_check_in_alone_before_feedback_opens_and_answers_it(client, lead):
    _rollout, wave = active_wave(lead)
    checkins.add_checkin(wave, {"day": 0}, lead)
    token = tokens(wave)["winp1"] if tokens(wave) else None
    assert token is None  # no link until the check-in goes out
    reconcile.tick(later(0))
    token = tokens(wave)["winp1"]
    page = client.get(f"/f/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="checkin-title"' in html and "Hur går det?" in html
    assert 'name="checkin-q_going"' in html
    sent = client.post(f"/f/{token}/checkin", data={"checkin-q_going": "2", "checkin-q_in_the_way": "Skrivaren",
                                                   "checkin": str(checkins.list_checkins(wave)[0].id)})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/f/{token}/checkin/thanks")
    assert "Tack" in client.get(f"/f/{token}/checkin/thanks").get_data(as_text=True)
    again = client.get(f"/f/{token}").get_data(as_text=True)
    form = again[again.index('class="questionnaire checkin-form"'):]
    assert "Skrivaren" in form and re.search(r'<input[^>]*(checked[^>]*value="2"|value="2"[^>]*checked)', form)
    bad = client.post(f"/f/{token}/checkin", data={"checkin-q_going": "", "checkin-q_in_the_way": "x"})
    assert bad.status_code == 422 and "checkin-q_going-error" in bad.get_data(as_text=True)
    assert db.session.query(CheckInResponse).count() == 1


def test_the_check_in_stands_above_the_questionnaire_while_feedback_is_open(client, lead):
    _rollout, wave = active_wave(lead)
    checkins.add_checkin(wave, {"day": 0}, lead)
    reconcile.tick(later(0))
    waves.transition(wave, "feedback", lead)
    html = client.get(f"/f/{tokens(wave)['winp1']}").get_data(as_text=True)
    assert html.index('id="checkin-title"') < html.index('name="q_satisfaction"')


def test_the_trend_and_the_flag_show_on_the_wave_and_results_pages(logged_in, lead):
    _rollout, wave = active_wave(lead)
    checkins.add_checkin(wave, {"day": 1}, lead)
    checkins.add_checkin(wave, {"day": 3}, lead)
    reconcile.tick(later(1))
    answer_all(wave, [5, 4, 4, 5, 5])
    reconcile.tick(later(3))
    answer_all(wave, [2, 1, 2, 1])
    page = logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert 'id="checkin-flag"' in page and "falling" in page
    assert 'id="chart-checkins-0"' in page and "mean 4.60" in text_of(page)
    chart = logged_in.get("/rollouts/win11-2027/charts/checkins-0.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    waves.transition(wave, "feedback", lead)
    results = logged_in.get("/rollouts/win11-2027/waves/0/results").get_data(as_text=True)
    assert 'id="chart-checkins-0"' in results and "Add a check-in" not in results


def test_a_reviewer_sees_the_trend_but_no_form_and_no_flag(client, auth, lead):
    from rollout.services import rollouts
    rollout, wave = active_wave(lead)
    builders.make_user("rev@example.se", "Rita Reviewer", creator=False)
    rollouts.set_role(rollout, "rev@example.se", "reviewer", lead)
    checkins.add_checkin(wave, {"day": 0}, lead)
    reconcile.tick(later(0))
    feedback.report_problem(tokens(wave)["winp1"], {"category": "printing", "severity": "blocker",
                                                    "description": "Inget"})
    client.get("/language/en")
    auth.login("rev@example.se")
    page = client.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert 'id="checkins-title"' in page and "Add a check-in" not in page and 'id="checkin-flag"' not in page


def test_the_check_in_pages_in_swedish_show_no_english_interface_text(client, auth, lead):
    from .test_swedish_pages import english_interface_texts, english_on
    _rollout, wave = active_wave(lead)
    checkins.add_checkin(wave, {"day": 1}, lead)
    checkins.add_checkin(wave, {"day": 3}, lead)
    checkins.add_checkin(wave, {"day": 9}, lead)
    reconcile.tick(later(1))
    answer_all(wave, [5, 4, 4, 5, 5], ["", "Skrivaren"])
    reconcile.tick(later(3))
    answer_all(wave, [2, 1, 2, 1])
    token = tokens(wave)["winp1"]
    texts = english_interface_texts()
    written = ("Person winp1", "Rollout win11-2027", "Skrivaren", "Lena Lead", "Wave 0")  # names people gave
    participant = {path: client.get(path).get_data(as_text=True)
                   for path in (f"/f/{token}", f"/f/{token}/checkin/thanks")}
    assert "Hur går det?" in participant[f"/f/{token}"]
    bad = client.post(f"/f/{token}/checkin", data={"checkin-q_going": "9"})
    assert bad.status_code == 422
    participant["post"] = bad.get_data(as_text=True)
    auth.login()
    pages = {path: client.get(path).get_data(as_text=True)
             for path in ("/rollouts/win11-2027/waves/0", "/rollouts/win11-2027/audit")}
    edit = checkins.list_checkins(wave)[2]
    pages["edit"] = client.get(f"/rollouts/win11-2027/waves/0/checkins/{edit.id}/edit").get_data(as_text=True)
    pages["confirm"] = client.post(f"/rollouts/win11-2027/waves/0/checkins/{edit.id}/delete").get_data(as_text=True)
    assert "Avstämningar" in pages["/rollouts/win11-2027/waves/0"]
    waves.transition(wave, "feedback", lead)
    pages["results"] = client.get("/rollouts/win11-2027/waves/0/results").get_data(as_text=True)
    wrong = {path: found for path, html in {**participant, **pages}.items() if (found := english_on(html, texts, written))}
    assert wrong == {}
