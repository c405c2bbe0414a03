"""Feedback services: questionnaires, invitations over real SMTP, reminders,
responses, anonymity, problem reports."""
from __future__ import annotations

from datetime import timedelta

import pytest

from rollout.extensions import db
from rollout.models import Answer, FeedbackLink, Notification, ProblemReport, Questionnaire, Response
from rollout.services import feedback, questionnaires, reconcile, waves
from rollout.services.errors import ValidationFailed

from . import builders

GOOD = {"satisfaction": 4, "worked_day_one": "yes", "information": 3, "went_well": "Snabb inloggning",
        "hours_lost": 1.5}


def open_wave(lead, n=6, *, anonymous=False, key="win11-2027"):
    builders.make_people(n, prefix=f"{key[:3]}p")
    rollout = builders.make_rollout(key, lead=lead, anonymous=anonymous)
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    return rollout, wave


def tokens(wave) -> dict[str, str]:
    """external id -> personal token"""
    return {link.person.external_id: feedback.link_url(link).rsplit("/", 1)[1]
            for link in db.session.query(FeedbackLink).filter_by(wave_id=wave.id)}


def test_a_new_rollout_has_the_default_retrospective_questions(ctx):
    rollout = builders.make_rollout()
    questionnaire = questionnaires.current(rollout)
    assert questionnaire.version == 1
    kinds = {q.code: q.kind for q in questionnaire.questions}
    assert kinds["satisfaction"] == "rating" and kinds["worked_day_one"] == "yes_no"
    assert kinds["information"] == "rating" and kinds["hours_lost"] == "number"
    assert {"went_well", "could_be_better", "celebrate"} <= {c for c, k in kinds.items() if k == "text"}
    assert all(q.prompt_sv and q.prompt_en for q in questionnaire.questions)


def test_a_wave_keeps_the_version_it_opened_with(ctx, lead):
    rollout, wave = open_wave(lead)
    data = questionnaires.as_data(questionnaires.current(rollout))["questions"]
    data.append({"code": "printer", "kind": "choice", "required": False,
                 "prompt": {"sv": "Skrivare?", "en": "Printer?"},
                 "options": [{"value": "ok", "sv": "Fungerar", "en": "Works"},
                             {"value": "broken", "sv": "Trasig", "en": "Broken"}]})
    new = questionnaires.save(rollout, data, lead)
    assert new.version == 2
    assert db.session.get(Questionnaire, wave.questionnaire_id).version == 1
    token = next(iter(tokens(wave).values()))
    with pytest.raises(ValidationFailed):
        feedback.submit(token, {**GOOD, "printer": "ok"})  # not a question of this wave's version
    assert questionnaires.save(rollout, data, lead).version == 2  # unchanged: no new version


def test_a_code_cannot_change_its_meaning(ctx, lead):
    rollout = builders.make_rollout(lead=lead)
    data = questionnaires.as_data(questionnaires.current(rollout))["questions"]
    data[0]["kind"] = "nps"  # satisfaction was a rating
    with pytest.raises(ValidationFailed) as caught:
        questionnaires.save(rollout, data, lead)
    assert caught.value.details[0]["field"] == "questions.0.code"


def test_opening_feedback_delivers_one_invitation_per_member_over_smtp(ctx, lead, mailbox):
    rollout, wave = open_wave(lead, n=6)
    report = reconcile.tick()
    assert report.sent == 6 and len(mailbox.messages) == 6
    assert {m["To"] for m in mailbox.messages} == {f"winp{i}@example.se" for i in range(1, 7)}
    message = mailbox.to("winp1@example.se")[0]
    assert message.get_body(preferencelist=("html",)) is not None
    link = mailbox.links("winp1@example.se")[0]
    assert feedback.visit(link.rsplit("/", 1)[1]).person.external_id == "winp1"
    assert reconcile.tick().sent == 0 and len(mailbox.messages) == 6  # again: nothing twice
    # the link is a credential: it is not kept in the database once delivered
    assert all(link not in (n.body_text + n.body_html) for n in db.session.query(Notification))


def test_without_a_mail_server_messages_wait_in_the_outbox(ctx, lead):
    rollout, wave = open_wave(lead, n=3)
    assert reconcile.tick().outbox == 3
    rows = db.session.query(Notification).all()
    assert {r.status for r in rows} == {"outbox"} and all("/f/" in r.body_text for r in rows)


def test_reminders_reach_exactly_the_non_responders(ctx, lead, mailbox):
    rollout, wave = open_wave(lead, n=5)
    reconcile.tick()
    by_person = tokens(wave)
    feedback.submit(by_person["winp2"], GOOD)
    feedback.submit(by_person["winp4"], GOOD)
    assert reconcile.tick(wave.feedback_closes_at - timedelta(days=3)).reminders == 0  # not yet
    report = reconcile.tick(wave.feedback_closes_at - timedelta(days=1))
    assert report.reminders == 3
    reminded = {m["To"] for m in mailbox.messages if "Reminder" in m["Subject"] or "Påminnelse" in m["Subject"]}
    assert reminded == {"winp1@example.se", "winp3@example.se", "winp5@example.se"}
    assert reconcile.tick(wave.feedback_closes_at - timedelta(hours=1)).reminders == 0
    assert len(mailbox.messages) == 8


def test_a_short_window_sends_no_reminder_with_the_invitation(ctx, lead, mailbox):
    """A two-day window with the default two reminder days: the invitation goes out when feedback
    opens, the reminder a day later at the earliest, never in the same minute."""
    builders.make_people(3, prefix="short")
    rollout = builders.make_rollout("short-2027", lead=lead)
    wave = builders.make_wave(rollout, lead, percentage=100, feedback_days=2)
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    opened = wave.feedback_opened_at
    first = reconcile.tick(opened + timedelta(minutes=1))
    assert first.reminders == 0 and len(mailbox.messages) == 3  # the invitations alone
    assert reconcile.tick(opened + timedelta(hours=23)).reminders == 0
    assert reconcile.tick(opened + timedelta(days=1, minutes=1)).reminders == 3
    other = builders.make_rollout("oneday-2027", lead=lead)
    one_day = builders.make_wave(other, lead, percentage=100, feedback_days=1)
    waves.transition(one_day, "active", lead)
    waves.transition(one_day, "feedback", lead)
    for hours in (0, 12, 23):  # a one-day window has no time for a reminder
        assert reconcile.tick(one_day.feedback_opened_at + timedelta(hours=hours)).reminders == 0


def test_the_window_closes_by_itself(ctx, lead):
    rollout, wave = open_wave(lead, n=2)
    report = reconcile.tick(wave.feedback_closes_at + timedelta(seconds=1))
    assert report.closed == ["win11-2027/0"] and wave.state == "review"


def test_auto_advance_by_the_planned_times(ctx, lead):
    builders.make_people(4)
    rollout = builders.make_rollout(lead=lead)
    wave = builders.make_wave(rollout, lead, percentage=100, auto_advance=True,
                              planned_start="2026-01-10", planned_end="2026-01-20")
    other = builders.make_wave(rollout, lead, percentage=100, planned_start="2026-01-10")
    assert reconcile.tick(wave.planned_start - timedelta(minutes=1)).started == []
    assert reconcile.tick(wave.planned_start + timedelta(minutes=1)).started == ["win11-2027/0"]
    assert reconcile.tick(wave.planned_end + timedelta(minutes=1)).feedback_opened == ["win11-2027/0"]
    assert wave.state == "feedback" and db.session.query(Notification).count() == 4
    assert other.state == "planned"  # no auto-advance


def test_a_response_is_one_row_and_can_be_edited_until_the_window_closes(ctx, lead):
    rollout, wave = open_wave(lead, n=2)
    token = tokens(wave)["winp1"]
    feedback.submit(token, GOOD)
    feedback.submit(token, GOOD)
    feedback.submit(token, {**GOOD, "satisfaction": 2, "went_well": ""})
    assert db.session.query(Response).count() == 1 and wave.responses_count == 1
    assert feedback.current_answers(feedback.visit(token))["satisfaction"] == 2
    assert "went_well" not in feedback.current_answers(feedback.visit(token))
    waves.transition(wave, "review", lead)
    with pytest.raises(feedback.FeedbackClosed):
        feedback.submit(token, {**GOOD, "satisfaction": 5})
    assert feedback.current_answers(feedback.visit(token))["satisfaction"] == 2


@pytest.mark.parametrize("answers,field", [
    ({**GOOD, "satisfaction": 6}, "satisfaction"),
    ({**GOOD, "satisfaction": "x"}, "satisfaction"),
    ({**GOOD, "worked_day_one": "maybe"}, "worked_day_one"),
    ({**GOOD, "hours_lost": 500}, "hours_lost"),
    ({**GOOD, "hours_lost": "NaN"}, "hours_lost"),
    ({**GOOD, "went_well": "x" * 2001}, "went_well"),
    ({**GOOD, "went_well": "nul\x00"}, "went_well"),
    ({**GOOD, "nope": 1}, "nope"),
    ({"worked_day_one": "yes"}, "satisfaction"),
])
def test_bad_answers_store_nothing(ctx, lead, answers, field):
    rollout, wave = open_wave(lead, n=1)
    with pytest.raises(ValidationFailed) as caught:
        feedback.submit(next(iter(tokens(wave).values())), answers)
    assert field in {d["field"] for d in caught.value.details}
    assert db.session.query(Response).count() == 0 and db.session.query(Answer).count() == 0


def test_an_anonymous_rollout_stores_no_link_from_response_to_person(ctx, lead):
    rollout, wave = open_wave(lead, n=3, anonymous=True)
    token = tokens(wave)["winp1"]
    feedback.submit(token, GOOD)
    feedback.submit(token, {**GOOD, "satisfaction": 5})
    response = db.session.query(Response).one()
    assert response.person_id is None
    assert response.respondent_key not in {str(i) for i in range(10)} and len(response.respondent_key) == 64
    report = feedback.report_problem(token, {"category": "login", "severity": "minor", "description": "Långsam"})
    assert report.person_id is None


def test_a_revoked_link_opens_nothing(ctx, lead):
    rollout, wave = open_wave(lead, n=2)
    by_person = tokens(wave)
    person = feedback.visit(by_person["winp1"]).person
    feedback.revoke_link(wave, person, lead)
    with pytest.raises(feedback.LinkNotValid):
        feedback.visit(by_person["winp1"])
    with pytest.raises(feedback.LinkNotValid):
        feedback.visit("made-up-token")
    feedback.visit(by_person["winp2"])


def test_a_new_link_replaces_the_old_one_and_is_mailed(ctx, lead, mailbox):
    rollout, wave = open_wave(lead, n=2)
    reconcile.tick()
    old = tokens(wave)["winp1"]
    person = feedback.visit(old).person
    feedback.new_link(wave, person, lead)
    reconcile.tick()
    with pytest.raises(feedback.LinkNotValid):
        feedback.visit(old)
    newest = mailbox.links("winp1@example.se")[-1].rsplit("/", 1)[1]
    assert newest != old and feedback.visit(newest).person.id == person.id


def test_a_blocker_reaches_the_leads_at_once(ctx, lead, mailbox):
    rollout, wave = open_wave(lead, n=2)
    reconcile.tick()
    before = len(mailbox.messages)
    report = feedback.report_problem(tokens(wave)["winp1"], {"category": "login", "severity": "blocker",
                                                             "description": "Kan inte logga in alls"})
    alerts = mailbox.messages[before:]
    assert [m["To"] for m in alerts] == ["lead@example.se"]
    assert "Kan inte logga in alls" in mailbox.text(alerts[0])
    assert feedback.open_blockers(wave) == 1
    feedback.triage(report, "resolved", "Nytt lösenord", lead)
    assert feedback.open_blockers(wave) == 0
    feedback.report_problem(tokens(wave)["winp2"], {"category": "printing", "severity": "minor", "description": "x"})
    assert len(mailbox.messages) == before + 1  # minor problems do not e-mail anyone


def test_one_rule_says_who_finds_and_who_changes_a_problem_report(ctx, lead):
    """The web UI and the API both take a report through feedback.get_problem."""
    from rollout.services import rollouts
    from rollout.services.errors import NotAllowed, NotFound
    rollout, wave = open_wave(lead, n=1)
    report = feedback.report_problem(next(iter(tokens(wave).values())),
                                     {"category": "login", "severity": "minor", "description": "x"})
    reviewer = builders.make_user("rita@example.se", "Rita Reviewer")
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    outsider = builders.make_user("out@example.se", "Out Sider")
    other = builders.make_rollout("other", lead=lead)
    assert feedback.get_problem(report.id, lead, to_change=True) == (report, wave)
    assert feedback.get_problem(report.id, reviewer, rollout=rollout) == (report, wave)
    with pytest.raises(NotAllowed):
        feedback.get_problem(report.id, reviewer, to_change=True)
    for actor, kwargs in ((outsider, {}), (lead, {"rollout": other}), (lead, {})):
        with pytest.raises(NotFound):
            feedback.get_problem(report.id + 1000 if not kwargs and actor is lead else report.id, actor, **kwargs)


@pytest.mark.parametrize("data,field", [
    ({"category": "nope", "severity": "minor", "description": "x"}, "category"),
    ({"category": "login", "severity": "urgent", "description": "x"}, "severity"),
    ({"category": "login", "severity": "minor", "description": "  "}, "description"),
])
def test_bad_problem_reports_store_nothing(ctx, lead, data, field):
    rollout, wave = open_wave(lead, n=1)
    with pytest.raises(ValidationFailed) as caught:
        feedback.report_problem(next(iter(tokens(wave).values())), data)
    assert {d["field"] for d in caught.value.details} == {field}
    assert db.session.query(ProblemReport).count() == 0


def test_problems_can_be_reported_in_review_but_not_once_decided(ctx, lead):
    rollout, wave = open_wave(lead, n=1)
    token = next(iter(tokens(wave).values()))
    waves.transition(wave, "review", lead)
    feedback.report_problem(token, {"category": "login", "severity": "minor", "description": "x"})
    waves.decide(wave, "no_go", "Not yet", lead)
    with pytest.raises(feedback.FeedbackClosed):
        feedback.report_problem(token, {"category": "login", "severity": "minor", "description": "y"})


def test_extend_reopens_the_window_for_another_period(ctx, lead):
    rollout, wave = open_wave(lead, n=2)
    waves.transition(wave, "review", lead)
    waves.decide(wave, "extend", "Few answers", lead)
    assert wave.state == "feedback" and wave.feedback_closes_at > wave.feedback_opened_at
    feedback.submit(tokens(wave)["winp1"], GOOD)


def test_the_window_shuts_at_its_closing_time_before_the_next_tick(ctx, lead):
    rollout, wave = open_wave(lead, n=1)
    token = next(iter(tokens(wave).values()))
    from datetime import datetime, timezone
    wave.feedback_closes_at = datetime(2020, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    assert wave.state == "feedback"
    with pytest.raises(feedback.FeedbackClosed):
        feedback.submit(token, GOOD)


def test_a_triage_note_must_be_text(ctx, lead):
    rollout, wave = open_wave(lead, n=1)
    report = feedback.report_problem(next(iter(tokens(wave).values())),
                                     {"category": "login", "severity": "minor", "description": "x"})
    with pytest.raises(ValidationFailed):
        feedback.triage(report, "resolved", ["not", "text"], lead)
