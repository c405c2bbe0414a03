"""Anonymity against the team: in an anonymous rollout (k = 5) no lead, reviewer or admin can
link an answer to a person -- not through exports, the API, timestamps, languages, the wave
page's link status or who got a reminder. Below k only counts are shown, everywhere; at k the
answers are there (so that each test can fail both ways)."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import FeedbackLink, Person, Response
from rollout.services import feedback, lessons, reconcile, retro, rollouts, waves

from . import builders
from .conftest import Api
from .helpers import error_of, fields_in_order

KEY = "anon-2027"
RETRO_API = f"/rollouts/{KEY}/waves/0/retro"


def secret(i: int) -> str:
    """A free text only person i wrote."""
    return f"Hemligt svar nummer {i}"


def open_anonymous_wave(lead, members: int = 8, *, key: str = KEY, anonymous: bool = True):
    """A rollout (k = 5) with a wave of `members` collecting feedback, invitations sent."""
    rollout = builders.make_rollout(key, lead=lead, anonymous=anonymous)
    assert rollout.anonymity_k == 5
    return rollout, open_wave_in(rollout, lead, members, "Pilot")


def open_wave_in(rollout, lead, members: int, unit: str):
    builders.make_people(members, unit=unit, prefix=f"{rollout.key[:2]}{unit[:1].lower()}")
    wave = builders.make_wave(rollout, lead, units=[unit])
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    reconcile.tick()  # the invitations
    return wave


def members(wave) -> list[tuple[Person, str]]:
    """(person, token) of every member, in the order of their external ids."""
    links = db.session.scalars(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id)).all()
    return sorted(((link.person, feedback.link_url(link).rsplit("/", 1)[1]) for link in links),
                  key=lambda pair: pair[0].external_id)


def answer(wave, first: int, last: int) -> None:
    """Members number `first` to `last` (from 1) answer, each with a text of their own."""
    for i, (_person, token) in enumerate(members(wave), start=1):
        if first <= i <= last:
            feedback.submit(token, {"satisfaction": 1 + i % 5, "worked_day_one": "yes", "went_well": secret(i),
                                    "could_be_better": f"-{i}+2", "hours_lost": i}, language="en")


@pytest.fixture
def reviewer(ctx, lead):
    return builders.make_user("rita@example.se", "Rita Reviewer")


@pytest.fixture
def reviewer_api(client, reviewer):
    return Api(client, builders.make_token(reviewer))


@pytest.fixture
def one_answered(ctx, lead, reviewer):
    rollout, wave = open_anonymous_wave(lead)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    answer(wave, 1, 1)
    return rollout, wave


def csv_rows(client, query: str = "") -> list[list[str]]:
    text = client.get(f"/rollouts/{KEY}/export/responses.csv{query}").data.decode("utf-8")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


# --- exports ----------------------------------------------------------------------------

def test_the_responses_csv_has_no_answer_below_k_and_nothing_personal_at_k(client, auth, one_answered):
    rollout, wave = one_answered
    auth.login()
    for query in ("", "?wave=0"):
        rows = csv_rows(client, query)
        assert len(rows) == 1, "below k the CSV holds no answers"  # the header only
        assert secret(1) not in "".join(rows[0])
    answer(wave, 2, 5)  # five respondents: k is reached
    rows = csv_rows(client)
    header, body = rows[0], rows[1:]
    assert header[:2] == ["wave", "submitted_on"]
    assert not {"response", "language", "submitted_at", "updated_at", "external_id", "name"} & set(header)
    assert len(body) == 5 and {row[header.index("went_well")] for row in body} == {secret(i) for i in range(1, 6)}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[1]) for row in body)  # the day, nothing finer
    # rows in the order of the respondent keys, which says nothing of who answered first
    keys = {feedback.respondent_key(wave.id, person.id): i for i, (person, _t) in enumerate(members(wave), start=1)}
    expected = [secret(keys[key]) for key in sorted(keys) if keys[key] <= 5]
    assert [row[header.index("went_well")] for row in body] == expected
    assert expected != [secret(i) for i in range(1, 6)]  # (else the order could not tell)


def test_the_rollout_json_has_counts_only_below_k(client, auth, one_answered):
    auth.login()
    data = json.loads(client.get(f"/rollouts/{KEY}/export/rollout.json").data)
    results = data["waves"][0]["results"]
    assert results["responded"] == 1 and results["hidden"] is True and results["hours_lost"] is None
    for question in results["questions"].values():
        assert not {"satisfied", "mean", "share_yes", "distribution", "total", "nps"} & set(question)
    assert secret(1) not in json.dumps(data)
    answer(one_answered[1], 2, 5)
    results = json.loads(client.get(f"/rollouts/{KEY}/export/rollout.json").data)["waves"][0]["results"]
    assert results["hidden"] is False and results["questions"]["satisfaction"]["distribution"]


def test_the_retro_markdown_has_counts_only_below_k(client, auth, lead, one_answered):
    rollout, wave = one_answered
    auth.login()
    text = client.get(f"/rollouts/{KEY}/waves/0/retro.md?lang=en").get_data(as_text=True)
    assert "Responded: 1" in text and "The answers are hidden" in text
    assert "Satisfied" not in text and secret(1) not in text
    answer(wave, 2, 5)
    [item] = [t for t in retro.wave_evidence(wave, lead, "en", per_page=100).texts if t.text == secret(3)]
    retro.card_from_answer(wave, item.id, None, lead)
    text = client.get(f"/rollouts/{KEY}/waves/0/retro.md?lang=en").get_data(as_text=True)
    assert "Satisfied (4 or 5 of 5)" in text and secret(3) in text and "hidden" not in text


# --- the API ----------------------------------------------------------------------------

def test_api_results_have_counts_only_below_k(reviewer_api, one_answered):
    wave_path = f"/rollouts/{KEY}/waves/0/results"
    rollout_path = f"/rollouts/{KEY}/results"
    for data in (reviewer_api.get(wave_path).get_json(), reviewer_api.get(rollout_path).get_json()["items"][0]):
        assert data["responded"] == 1 and data["hidden"] is True and data["hours_lost"] is None
        assert all(not {"satisfied", "mean", "distribution", "total"} & set(q) for q in data["questions"].values())
    answer(one_answered[1], 2, 5)
    data = reviewer_api.get(wave_path).get_json()
    assert data["questions"]["satisfaction"]["mean"]["value"] is not None and data["hours_lost"]["total"] == 15


def test_the_api_retro_shows_no_answers_below_k_and_orders_by_opaque_ref_at_k(reviewer_api, one_answered):
    rollout, wave = one_answered
    texts = reviewer_api.get(RETRO_API).get_json()["evidence"]["texts"]
    assert texts["hidden"] is True and texts["items"] == [] and texts["total"] == 0
    assert secret(1) not in reviewer_api.get(RETRO_API).get_data(as_text=True)
    answer(wave, 2, 6)
    texts = reviewer_api.get(RETRO_API + "?per_page=100").get_json()["evidence"]["texts"]
    items = texts["items"]
    assert texts["hidden"] is False and {t["text"] for t in items} >= {secret(i) for i in range(1, 7)}
    assert all(t["respondent"] is None for t in items)
    assert [(t["code"], t["id"]) for t in items] == sorted((t["code"], t["id"]) for t in items)
    went_well = [t["text"] for t in items if t["code"] == "went_well"]
    assert went_well != sorted(went_well)  # not the texts' order (nor, below, the order they came in)
    assert went_well != [secret(i) for i in range(1, 7)]
    # a page of two is the first two of the same order
    two = reviewer_api.get(RETRO_API + "?per_page=2").get_json()["evidence"]["texts"]["items"]
    assert [t["id"] for t in two] == [t["id"] for t in items[:2]]


def test_a_card_cannot_be_made_of_an_answer_below_k(api, lead, one_answered):
    rollout, wave = one_answered
    ref = retro.answer_ref(db.session.scalar(select(Response).where(Response.wave_id == wave.id)).answers[0].id)
    response = api.post(RETRO_API + "/cards", json={"answer": ref})
    assert response.status_code == 404


def test_a_lesson_verification_shows_nothing_of_a_target_wave_below_k(api, lead, ctx):
    rollout, pilot = open_anonymous_wave(lead)
    answer(pilot, 1, 5)
    waves.transition(pilot, "review", lead)
    waves.decide(pilot, "go", "enough", lead)
    builders.make_people(8, unit="Rest", prefix="rest")
    builders.make_wave(rollout, lead, units=["Rest"])  # wave 1, planned: the lesson's target
    lesson = lessons.create_lesson(rollout, {"title": "Drivers first", "origin_wave": 0, "target_wave": 1,
                                             "metric": "satisfaction"}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    wave1 = rollout.waves[1]
    for state in ("active", "feedback"):
        waves.transition(wave1, state, lead)
    answer(wave1, 1, 1)
    data = api.get(f"/lessons/{lesson.id}/verification").get_json()
    assert data["before"]["value"] is not None and data["after"] is None and data["change"] is None
    answer(wave1, 2, 5)
    assert api.get(f"/lessons/{lesson.id}/verification").get_json()["after"]["value"] is not None


# --- what is stored --------------------------------------------------------------------

def test_an_anonymous_response_keeps_the_day_no_language_and_no_edit_count(ctx, lead):
    rollout, wave = open_anonymous_wave(lead)
    answer(wave, 1, 1)
    answer(wave, 1, 1)  # an edit
    response = db.session.scalar(select(Response).where(Response.wave_id == wave.id))
    db.session.refresh(response)
    for moment in (response.submitted_at, response.updated_at):
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
    assert response.language == "" and response.edits == 0 and response.person_id is None


# --- the wave page and its members ------------------------------------------------------

def test_the_wave_page_and_the_api_show_no_ones_link_or_answer_status(logged_in, api, lead, one_answered):
    rollout, wave = one_answered
    (person, token), *_ = members(wave)
    assert logged_in.get(f"/f/{token}").status_code == 200  # the person who answered opens their link again
    db.session.expire_all()
    assert db.session.scalar(select(FeedbackLink.last_opened_at).where(FeedbackLink.person_id == person.id)) is None
    html = logged_in.get(f"/rollouts/{KEY}/waves/0").get_data(as_text=True)
    assert "last opened" not in html and "not opened yet" not in html and 'class="answered"' not in html
    assert html.count("the link works") == 8 and html.count(">Send a new link</button>") == 8
    items = api.get(f"/rollouts/{KEY}/waves/0/members").get_json()["items"]
    assert len(items) == 8
    assert all(set(item) == {"external_id", "name", "email", "unit", "bucket", "explicit"} for item in items)


def test_a_non_anonymous_wave_page_still_shows_when_a_link_was_opened(logged_in, lead):
    rollout, wave = open_anonymous_wave(lead, 3, key="open-2027", anonymous=False)
    logged_in.get(f"/f/{members(wave)[0][1]}")
    html = logged_in.get("/rollouts/open-2027/waves/0").get_data(as_text=True)
    assert html.count("last opened") == 1 and html.count("not opened yet") == 2


# --- reminders --------------------------------------------------------------------------

def in_swedish(message: str, **values) -> str:
    with force_locale("sv"):
        return _(message, **values)


ALREADY_ANSWERED = ("If you have already answered, thank you: you need not do anything. Your answers are anonymous, "
                    "so we cannot see who has answered.")


def reminders(mailbox, rollout) -> dict[str, str]:
    """address -> text of the reminders delivered (the members read Swedish)"""
    subjects = (in_swedish("Reminder: your feedback on %(rollout)s", rollout=rollout.name),
                in_swedish("Reminder: have you given your feedback on %(rollout)s?", rollout=rollout.name))
    return {m["To"]: mailbox.text(m) for m in mailbox.messages if m["Subject"] in subjects}


def test_an_anonymous_rollout_reminds_every_member(ctx, lead, admin, mailbox, english, auth):
    rollout, wave = open_anonymous_wave(lead, 6)
    answer(wave, 1, 2)
    report = reconcile.tick(wave.feedback_closes_at - timedelta(hours=12))
    everyone = {person.email for person, _token in members(wave)}
    assert report.reminders == 6 and set(reminders(mailbox, rollout)) == everyone  # the two who answered as well
    assert all(in_swedish(ALREADY_ANSWERED) in text for text in reminders(mailbox, rollout).values())
    auth.login(admin.email)
    outbox = english.get("/admin/outbox?kind=reminder").get_data(as_text=True)
    assert all(address in outbox for address in everyone)


def test_a_named_rollout_reminds_only_who_has_not_answered(ctx, lead, mailbox):
    rollout, wave = open_anonymous_wave(lead, 4, key="open-2027", anonymous=False)
    answer(wave, 1, 1)
    reconcile.tick(wave.feedback_closes_at - timedelta(hours=12))
    answered = members(wave)[0][0].email
    assert len(reminders(mailbox, rollout)) == 3 and answered not in reminders(mailbox, rollout)
    assert not any(in_swedish(ALREADY_ANSWERED) in text for text in reminders(mailbox, rollout).values())


# --- the retrospective page -------------------------------------------------------------

def test_the_retro_page_says_the_board_has_no_answers_below_k(logged_in, lead, one_answered):
    html = logged_in.get(f"/rollouts/{KEY}/waves/0/retro").get_data(as_text=True)
    assert 'id="board-without-answers"' in html and secret(1) not in html and "/retro/answers/" not in html
    answer(one_answered[1], 2, 5)
    html = logged_in.get(f"/rollouts/{KEY}/waves/0/retro").get_data(as_text=True)
    assert 'id="board-without-answers"' not in html and secret(1) in html


def test_the_smallest_group_cannot_be_lowered_once_answers_came_under_it(api, ctx, lead):
    """Answers given under k = 5 must not show because a lead later sets k = 2."""
    open_anonymous_wave(lead, 3)
    assert fields_in_order(error_of(api.patch(f"/rollouts/{KEY}", json={"anonymity_k": 2}), 422)) == ["anonymity_k"]
    assert api.patch(f"/rollouts/{KEY}", json={"anonymity_k": 8}).status_code == 200  # raising it is fine


def test_a_renewed_link_never_shows_the_answers_given_before(client, auth, ctx, lead):
    """A people manager changes Eva's address (her link is revoked), a lead sends her a new one: whoever
    holds it may answer again, replacing her answers, but never reads them, nor learns if she answered."""
    _rollout, wave = open_anonymous_wave(lead, 5)
    (eva, token), (other, _token) = members(wave)[:2]
    feedback.submit(token, {"satisfaction": 1, "worked_day_one": "no", "could_be_better": secret(1)})
    auth.login()
    client.post(f"/people/{eva.id}/edit", data={"external_id": eva.external_id, "name": eva.name, "unit": "Pilot",
                                               "email": "attacker@evil.example", "language": "sv", "attributes": ""})
    client.post(f"/rollouts/{KEY}/waves/0/members/{eva.id}/new-link", data={"confirmed": "1"})
    token = dict((p.external_id, t) for p, t in members(wave))[eva.external_id]
    for path in (f"/f/{token}", f"/api/v1/feedback/{token}"):
        page = client.get(path).get_data(as_text=True)
        assert secret(1) not in page and "You sent your answers" not in page
    assert client.get(f"/api/v1/feedback/{token}").get_json()["earlier_answers_hidden"] is True
    # answering again replaces the one response; the receipt shows only what was just sent
    receipt = client.post(f"/api/v1/feedback/{token}", json={"answers": {"satisfaction": 5, "worked_day_one": "yes"}})
    assert receipt.status_code == 200 and receipt.get_json()["answers"]["satisfaction"] == 5
    assert db.session.query(Response).count() == 1
    # a non-anonymous rollout's renewed link still shows the person their own answers
    _named, wave = open_anonymous_wave(lead, 2, key="named-2027", anonymous=False)
    person, token = members(wave)[0]
    feedback.submit(token, {"satisfaction": 3, "worked_day_one": "yes", "went_well": secret(2)})
    feedback.new_link(wave, person, lead)
    token = dict((p.external_id, t) for p, t in members(wave))[person.external_id]
    assert secret(2) in client.get(f"/f/{token}").get_data(as_text=True)


def test_an_anonymous_problem_report_keeps_its_day_not_its_minute(ctx, lead):
    _rollout, wave = open_anonymous_wave(lead, 5)
    report = feedback.report_problem(members(wave)[0][1], {"category": "printing", "severity": "minor",
                                                           "description": "Skrivaren"})
    assert (report.created_at.hour, report.created_at.minute, report.created_at.second) == (0, 0, 0)
    assert report.person_id is None
