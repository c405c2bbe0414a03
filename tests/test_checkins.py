"""Check-ins (issue 14): planning them, the tick sending each once, answering through the
personal link, anonymity, and the trend with its flag."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import CheckIn, CheckInResponse, FeedbackLink, Notification, Person
from rollout.models.types import utcnow
from rollout.services import checkins, feedback, reconcile, stats, waves
from rollout.services.errors import GuardFailed, NotFound, ValidationFailed

from . import builders
from .helpers import fields_of  # noqa: F401


def active_wave(lead, n=6, *, anonymous=False, key="win11-2027"):
    builders.make_people(n, prefix=f"{key[:3]}p")
    rollout = builders.make_rollout(key, lead=lead, anonymous=anonymous)
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.transition(wave, "active", lead)
    return rollout, wave


def tokens(wave) -> dict[str, str]:
    return {link.person.external_id: feedback.link_url(link).rsplit("/", 1)[1]
            for link in db.session.query(FeedbackLink).filter_by(wave_id=wave.id)}


def fields(error) -> set[str]:
    return {item["field"] for item in error.value.details}


def later(days: float):
    return utcnow() + timedelta(days=days, minutes=1)


# --- planning ---------------------------------------------------------------------------

def test_a_new_check_in_asks_the_two_default_questions(lead):
    _rollout, wave = active_wave(lead)
    checkin = checkins.add_checkin(wave, {"day": 1}, lead)
    assert checkin.day == 1 and checkin.sent_at is None
    assert [(q["code"], q["kind"], q["prompt"]["en"], q["prompt"]["sv"]) for q in checkin.questions] == [
        ("going", "rating", "How is it going?", "Hur går det?"),
        ("in_the_way", "text", "What is in your way?", "Vad står i vägen?")]


def test_bad_check_ins_are_refused_with_every_problem_and_nothing_saved(lead):
    _rollout, wave = active_wave(lead)
    checkins.add_checkin(wave, {"day": 1}, lead)
    with pytest.raises(ValidationFailed) as error:
        checkins.add_checkin(wave, {"day": -1, "questions": [{"code": "Bad", "kind": "rating"}]}, lead)
    assert {"day", "questions.0.code", "questions.0.prompt.sv", "questions.0.prompt.en"} <= fields(error)
    with pytest.raises(ValidationFailed) as error:
        checkins.add_checkin(wave, {"day": 1}, lead)  # day 1 is taken
    assert fields(error) == {"day"}
    four = [{"code": f"q{i}", "kind": "text", "prompt": {"sv": "F", "en": "Q"}} for i in range(4)]
    with pytest.raises(ValidationFailed) as error:
        checkins.add_checkin(wave, {"day": 2, "questions": four}, lead)
    assert fields(error) == {"questions"}
    with pytest.raises(ValidationFailed):
        checkins.add_checkin(wave, {"day": 2, "questions": []}, lead)
    with pytest.raises(ValidationFailed):
        checkins.add_checkin(wave, {"day": "two"}, lead)
    assert db.session.query(CheckIn).count() == 1


def test_only_the_lead_plans_and_only_before_sending_or_feedback(lead):
    rollout, wave = active_wave(lead)
    other = builders.make_user("other@example.se", "Otto Other")
    with pytest.raises(NotFound):  # to someone outside the team the rollout does not exist
        checkins.add_checkin(wave, {"day": 1}, other)
    checkin = checkins.add_checkin(wave, {"day": 0}, lead)
    checkins.update_checkin(checkin, wave, {"day": 2}, lead)
    assert checkin.day == 2
    reconcile.tick(later(2))
    db.session.refresh(checkin)
    assert checkin.sent_at is not None
    with pytest.raises(GuardFailed) as sent:
        checkins.update_checkin(checkin, wave, {"day": 3}, lead)
    assert sent.value.guard == "checkin_sent"
    with pytest.raises(GuardFailed):
        checkins.delete_checkin(checkin, wave, lead)
    waves.transition(wave, "feedback", lead)
    with pytest.raises(GuardFailed) as late:
        checkins.add_checkin(wave, {"day": 5}, lead)
    assert late.value.guard == "wave_state"


def test_a_planned_check_in_can_be_deleted(lead):
    _rollout, wave = active_wave(lead)
    checkin = checkins.add_checkin(wave, {"day": 4}, lead)
    checkins.delete_checkin(checkin, wave, lead)
    assert checkins.list_checkins(wave) == []


# --- sending ------------------------------------------------------------------------------

def test_the_tick_sends_each_check_in_once_to_members_in_their_language(lead):
    _rollout, wave = active_wave(lead, n=3)
    builders.make_people(2, prefix="out")  # not in the wave (members are fixed at its start)
    db.session.get(Person, db.session.scalar(select(Person.id).where(Person.external_id == "winp1"))).language = "en"
    db.session.commit()
    first = checkins.add_checkin(wave, {"day": 1}, lead)
    second = checkins.add_checkin(wave, {"day": 3}, lead)
    assert reconcile.tick(utcnow()).checkins == 0  # day 0: nothing due yet
    assert reconcile.tick(later(1)).checkins == 3
    assert reconcile.tick(later(1)).checkins == 0  # the second tick adds nothing
    messages = db.session.scalars(select(Notification).where(Notification.kind == "checkin")).all()
    assert sorted(m.to_address for m in messages) == ["winp1@example.se", "winp2@example.se", "winp3@example.se"]
    english = next(m for m in messages if m.to_address == "winp1@example.se")
    swedish = next(m for m in messages if m.to_address == "winp2@example.se")
    assert english.language == "en" and "check-in" in english.subject and "How is it going?" in english.body_text
    assert swedish.language == "sv" and "Hur går det?" in swedish.body_text
    assert "/f/" in swedish.body_text  # the person's own link, made although feedback has not opened
    assert db.session.query(FeedbackLink).filter_by(wave_id=wave.id).count() == 3
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.sent_at is not None and second.sent_at is None
    assert reconcile.tick(later(3)).checkins == 3
    assert db.session.query(Notification).filter_by(kind="checkin").count() == 6


def test_links_made_for_a_check_in_are_the_ones_feedback_opens_with(lead):
    _rollout, wave = active_wave(lead, n=2)
    checkins.add_checkin(wave, {"day": 0}, lead)
    reconcile.tick(later(0))
    before = tokens(wave)
    waves.transition(wave, "feedback", lead)
    reconcile.tick(later(0))
    assert tokens(wave) == before
    invitation = db.session.scalars(select(Notification).where(Notification.kind == "invitation")).first()
    assert before[invitation.to_address.split("@")[0]] in invitation.body_text


def test_two_ticks_at_once_send_each_check_in_once(app, is_postgres, lead):
    if not is_postgres:
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    from .test_scheduler import _race
    _rollout, wave = active_wave(lead, n=30)
    checkins.add_checkin(wave, {"day": 0}, lead)
    when = later(0)
    results, errors = _race(app, 2, lambda: reconcile.tick(when).checkins)
    assert not errors, errors
    assert sum(results) == 30
    assert db.session.query(Notification).filter_by(kind="checkin").count() == 30
    assert db.session.query(FeedbackLink).filter_by(wave_id=wave.id).count() == 30


# --- answering ------------------------------------------------------------------------------

def sent_checkin(lead, n=6, *, anonymous=False, days=(0,)):
    rollout, wave = active_wave(lead, n=n, anonymous=anonymous)
    for day in days:
        checkins.add_checkin(wave, {"day": day}, lead)
    reconcile.tick(later(max(days)))
    return rollout, wave


def test_a_participant_answers_the_open_check_in_and_edits_it(lead):
    _rollout, wave = sent_checkin(lead)
    token = tokens(wave)["winp1"]
    visit = feedback.visit(token)
    shown = checkins.open_checkin(visit)
    assert shown is not None and shown.answers == {} and shown.answered_at is None
    receipt = checkins.answer(visit, shown.id, {"going": 4, "in_the_way": "  Skrivaren  "})
    assert receipt.answers == {"going": 4, "in_the_way": "Skrivaren"} and not receipt.edited
    again = checkins.open_checkin(feedback.visit(token))
    assert again.answers == {"going": 4, "in_the_way": "Skrivaren"}
    edited = checkins.answer(feedback.visit(token), shown.id, {"going": 2})
    assert edited.edited
    assert db.session.query(CheckInResponse).count() == 1
    assert checkins.open_checkin(feedback.visit(token)).answers == {"going": 2}


def test_bad_answers_and_closed_check_ins_are_refused(lead):
    _rollout, wave = sent_checkin(lead, days=(0, 2))
    token = tokens(wave)["winp1"]
    visit = feedback.visit(token)
    current = checkins.open_checkin(visit)
    assert current.checkin.day == 2  # the one sent last is open
    with pytest.raises(ValidationFailed) as error:
        checkins.answer(visit, current.id, {"going": 9, "nonsense": 1})
    assert fields(error) == {"going", "nonsense"}
    with pytest.raises(ValidationFailed):
        checkins.answer(visit, current.id, {"in_the_way": "Inget"})  # the rating is required
    earlier = next(c for c in checkins.list_checkins(wave) if c.day == 0)
    with pytest.raises(feedback.FeedbackClosed):
        checkins.answer(visit, earlier.id, {"going": 3})
    assert db.session.query(CheckInResponse).count() == 0
    waves.transition(wave, "feedback", lead)
    checkins.answer(feedback.visit(token), current.id, {"going": 3})  # still open while feedback runs
    waves.transition(wave, "review", lead)
    with pytest.raises(feedback.FeedbackClosed):
        checkins.answer(feedback.visit(token), current.id, {"going": 3})


def test_an_anonymous_check_in_keeps_no_person_and_no_time_finer_than_the_day(lead):
    _rollout, wave = sent_checkin(lead, anonymous=True)
    visit = feedback.visit(tokens(wave)["winp1"])
    checkins.answer(visit, None, {"going": 5, "in_the_way": "Inget"})
    response = db.session.query(CheckInResponse).one()
    assert response.person_id is None
    assert (response.submitted_at.hour, response.submitted_at.minute, response.submitted_at.second) == (0, 0, 0)
    assert response.respondent_key != checkins.checkin_key(response.checkin_id, visit.person.id)[:0] + "x"
    # the answers name nobody: no column of the row leads to the person
    assert visit.person.external_id not in str({c.name: getattr(response, c.name)
                                                for c in CheckInResponse.__table__.columns})


def test_below_k_an_anonymous_check_in_shows_only_its_count(lead):
    _rollout, wave = sent_checkin(lead, anonymous=True)
    for external_id, token in sorted(tokens(wave).items())[:3]:
        checkins.answer(feedback.visit(token), None, {"going": 4, "in_the_way": f"Text {external_id}"})
    item = checkins.wave_trend(wave, lead).items[0]
    assert item.responses == 3 and item.hidden
    assert item.as_dict() == {"responses": 3, "hidden": True, "questions": []}
    for _external_id, token in sorted(tokens(wave).items())[3:5]:
        checkins.answer(feedback.visit(token), None, {"going": 2})
    item = checkins.wave_trend(wave, lead).items[0]
    assert item.responses == 5 and not item.hidden
    assert len(item.questions[1].texts) == 3


# --- the trend -------------------------------------------------------------------------------

def answer_all(wave, ratings, texts=()):
    for index, (_external_id, token) in enumerate(sorted(tokens(wave).items())):
        if index < len(ratings):
            given = {"going": ratings[index]}
            if index < len(texts) and texts[index]:
                given["in_the_way"] = texts[index]
            checkins.answer(feedback.visit(token), None, given)


def test_the_trend_matches_a_hand_computation(lead):
    rollout, wave = active_wave(lead, n=6)
    checkins.add_checkin(wave, {"day": 1}, lead)
    checkins.add_checkin(wave, {"day": 3}, lead)
    reconcile.tick(later(1))
    answer_all(wave, [5, 4, 4, 5, 5], ["", "Skrivaren"])
    reconcile.tick(later(3))
    answer_all(wave, [2, 1, 2, 1])
    trend = checkins.wave_trend(wave, lead)
    first, second = trend.items
    assert (first.responses, second.responses) == (5, 4)
    # day 1: 5, 4, 4, 5, 5 -> mean 4.6, s = sqrt(0.3), t(0.975, 4) = 2.7764451
    mean = first.mean_of("going")
    half = 2.7764451 * (0.3 ** 0.5) / (5 ** 0.5)
    assert mean.value == pytest.approx(4.6)
    assert mean.low == pytest.approx(4.6 - half, abs=1e-6) and mean.high == pytest.approx(min(5.0, 4.6 + half))
    assert first.questions[0].distribution == {"1": 0, "2": 0, "3": 0, "4": 2, "5": 3}
    assert first.questions[1].texts == ["Skrivaren"]
    # day 3: 2, 1, 2, 1 -> mean 1.5, s = sqrt(1/3), t(0.975, 3) = 3.1824463
    after = second.mean_of("going")
    half = 3.1824463 * ((1 / 3) ** 0.5) / 2
    assert after.value == pytest.approx(1.5) and after.high == pytest.approx(1.5 + half, abs=1e-6)
    assert after.low == pytest.approx(max(1.0, 1.5 - half))
    assert trend.code == "going"
    assert trend.flag.falling and trend.flag.raised
    assert (trend.flag.previous.checkin.day, trend.flag.latest.checkin.day) == (1, 3)
    assert stats.t_quantile(0.975, 4) == pytest.approx(2.7764451, abs=1e-6)


def test_a_small_dip_is_not_called_a_fall_but_an_open_blocker_is_flagged(lead):
    _rollout, wave = active_wave(lead, n=6)
    checkins.add_checkin(wave, {"day": 1}, lead)
    checkins.add_checkin(wave, {"day": 3}, lead)
    reconcile.tick(later(1))
    answer_all(wave, [4, 3, 5])
    reconcile.tick(later(3))
    answer_all(wave, [3, 4, 3])
    trend = checkins.wave_trend(wave, lead)
    assert not trend.flag.falling and not trend.flag.raised
    feedback.report_problem(tokens(wave)["winp1"], {"category": "printing", "severity": "blocker",
                                                    "description": "Inget fungerar"})
    flag = checkins.wave_trend(wave, lead).flag
    assert flag.open_blockers == 1 and flag.raised


# --- personal data ----------------------------------------------------------------------------

def test_erasing_a_person_takes_their_check_in_texts_and_link(lead):
    from rollout.models import CheckInAnswer
    from rollout.services import privacy
    _rollout, wave = sent_checkin(lead)
    checkins.answer(feedback.visit(tokens(wave)["winp1"]), None, {"going": 2, "in_the_way": "Min chef"})
    person = db.session.scalar(select(Person).where(Person.external_id == "winp1"))
    manager = builders.make_user("hr@example.se", "Petra People", people_manager=True)
    privacy.erase_person(person, manager)
    response = db.session.query(CheckInResponse).one()
    assert response.person_id is None
    assert [a.text for a in db.session.query(CheckInAnswer).filter(CheckInAnswer.text.is_not(None))] == [""]
    assert checkins.wave_trend(wave, lead).items[0].mean_of("going").value == 2  # the count stays


def test_the_retention_purges_take_the_check_ins_texts_and_links(lead):
    from rollout.models import CheckInAnswer
    from rollout.services import retention
    rollout, wave = sent_checkin(lead)
    checkins.answer(feedback.visit(tokens(wave)["winp1"]), None, {"going": 4, "in_the_way": "Skrivaren"})
    texts = retention.purge_texts(rollout, utcnow())
    assert texts["checkin_texts"] == 1
    everything = retention.purge_personal_data(rollout, utcnow())
    db.session.commit()
    assert everything["checkin_responses"] == 1
    response = db.session.query(CheckInResponse).one()
    assert response.person_id is None and response.respondent_key.startswith("pseudonym:")
    assert db.session.query(CheckInAnswer).filter(CheckInAnswer.text != "").count() == 0


@pytest.mark.parametrize("anonymous", [False, True])
def test_a_persons_export_lists_their_check_in_answers_unless_the_rollout_is_anonymous(lead, anonymous):
    from rollout.services import privacy
    _rollout, wave = sent_checkin(lead, anonymous=anonymous)
    checkins.answer(feedback.visit(tokens(wave)["winp1"]), None, {"going": 4, "in_the_way": "Skrivaren"})
    person = db.session.scalar(select(Person).where(Person.external_id == "winp1"))
    exported = privacy.export_person(person, lead)  # the lead keeps the directory here (conftest)
    if anonymous:
        assert exported["checkin_answers"] == []  # nothing links an anonymous answer to the person
    else:
        assert [(a["rollout"], a["wave"], a["day"], a["answers"]) for a in exported["checkin_answers"]] == [
            ("win11-2027", 0, 0, {"going": 4, "in_the_way": "Skrivaren"})]
