"""Retention: the organisation's defaults, a rollout's own rule, the plan a lead sees, and
the purges the reconcile tick runs when the days are over."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import (
    Answer,
    AuditEvent,
    Decision,
    FeedbackLink,
    Lesson,
    Membership,
    Notification,
    Person,
    ProblemReport,
    Response,
    RetroCard,
    Rollout,
    Wave,
)
from rollout.services import feedback, imports, lessons, reconcile, results, retention, retro, settings, waves
from rollout.services.errors import NotAllowed, ValidationFailed

from . import builders
from .helpers import error_of, ok

KEY = "win11-2027"
TEXTS = {"went_well": ["Quick install", "Friendly support", "", "Good training"],
         "could_be_better": ["The printer did not work", "", "Too little information", ""]}


def same_results(before: dict, after: dict) -> bool:
    """The results as they were, but for how many distinct people reported problems: that needs the
    reporter, whom the full purge unlinks (results count 0 then; it should say unknown, as anonymous)."""
    def without_reporters(data: dict) -> dict:
        problems = {**data["problems"], "reporters": None, "by_category": {
            code: {k: v for k, v in entry.items() if k != "reporters"}
            for code, entry in data["problems"]["by_category"].items()}}
        return {**data, "problems": problems}
    return without_reporters(before) == without_reporters(after)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def finished_rollout(lead, key: str = KEY, *, anonymous: bool = False, n: int = 5, retention_days=None,
                     text_retention_days=None, also_in=None):
    """A rollout whose only wave (the pilot) is done: `n` people imported for it answered (free texts
    too), one reported a problem, the team copied an answer onto a retro card and wrote one of its own,
    and a lesson was drawn. `also_in`: a live rollout whose first wave takes the first person too."""
    rollout = builders.make_rollout(key, lead, anonymous=anonymous)
    if retention_days or text_retention_days:
        from rollout.services import rollouts
        rollouts.update_rollout(rollout, {"name": rollout.name, "retention_days": retention_days,
                                          "text_retention_days": text_retention_days}, lead)
    prefix = key[:3]
    imports.upsert_people(builders.person_rows(n, unit=f"Unit {key}", prefix=prefix), lead, for_rollout=key)
    pilot = builders.make_wave(rollout, lead, name="Pilot", units=[f"Unit {key}"])
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    reconcile.tick()  # the invitations: one e-mail each
    builders.answer_wave(pilot, [5, 4, 4, 2, 5][:n], texts=TEXTS, hours=[1, 0, 2, 3, 0][:n])
    token = sorted(builders.wave_tokens(pilot).items())[0][1]
    feedback.report_problem(token, {"category": "printing", "severity": "minor",
                                    "description": "The printer on floor 3 was missing"})
    waves.transition(pilot, "review", lead)
    answer = db.session.scalar(select(Answer).where(Answer.wave_id == pilot.id, Answer.text == "Quick install"))
    retro.card_from_answer(pilot, retro.answer_ref(answer.id), None, lead)
    retro.add_card(pilot, {"kind": "better", "text": "We planned the printers too late"}, lead)
    lessons.create_lesson(rollout, {"title": "Install printers before the wave", "action": "Check every floor"},
                          lead)
    waves.decide(pilot, "go", "Good enough for wave 1", lead)
    if also_in is not None:
        builders.make_wave(also_in, lead, name="Wave 0", people=[f"{prefix}1"])
        waves.transition(also_in.waves[0], "active", lead)
    return rollout, pilot


def done_at(wave: Wave):
    db.session.refresh(wave)
    return wave.done_at


# --- organisation settings ------------------------------------------------------

def test_defaults_are_365_days_until_an_admin_changes_them(ctx, admin, lead):
    assert settings.retention_defaults() == {"retention_days": 365, "text_retention_days": 365}
    with pytest.raises(NotAllowed):
        settings.set_retention_defaults(30, 7, lead)
    with pytest.raises(ValidationFailed) as bad:
        settings.set_retention_defaults(0, 4000, admin)
    assert {d["field"] for d in bad.value.details} == {"retention_days", "text_retention_days"}
    with pytest.raises(ValidationFailed) as bad:
        settings.set_retention_defaults(30, 60, admin)
    assert [d["field"] for d in bad.value.details] == ["text_retention_days"]
    assert settings.set_retention_defaults(30, 7, admin) == {"retention_days": 30, "text_retention_days": 7}
    assert settings.retention_defaults() == {"retention_days": 30, "text_retention_days": 7}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.retention"))
    assert event.details["after"] == {"retention_days": 30, "text_retention_days": 7}
    assert event.details["before"] == {"retention_days": 365, "text_retention_days": 365}


def test_the_settings_page_shows_saves_and_puts_errors_next_to_the_field(english, auth, admin, lead):
    auth.login("admin@example.se")
    page = english.get("/admin/settings")
    assert page.status_code == 200
    assert b'value="365"' in page.data and b"Retention of personal data" in page.data
    bad = english.post("/admin/settings", data={"retention_days": "30", "text_retention_days": "60"})
    assert bad.status_code == 422
    assert b'id="text_retention_days-error"' in bad.data and b"cannot be kept longer" in bad.data
    assert settings.retention_defaults()["retention_days"] == 365  # nothing saved
    empty = english.post("/admin/settings", data={"retention_days": "", "text_retention_days": "7"})
    assert empty.status_code == 422 and b'id="retention_days-error"' in empty.data
    saved = english.post("/admin/settings", data={"retention_days": "90", "text_retention_days": "30"},
                         follow_redirects=True)
    assert saved.status_code == 200 and b"The retention defaults were saved." in saved.data
    assert b'value="90"' in saved.data and b'aria-current="page">Retention' in saved.data
    db.session.expire_all()
    assert settings.retention_defaults() == {"retention_days": 90, "text_retention_days": 30}
    auth.logout()
    auth.login()  # the lead: no admin
    assert english.get("/admin/settings").status_code == 403
    assert english.post("/admin/settings", data={"retention_days": "1", "text_retention_days": "1"}).status_code == 403
    assert settings.retention_defaults()["retention_days"] == 90


# --- a rollout's own rule ---------------------------------------------------------

def test_retention_days_of_a_rollout_through_the_api(api):
    created = ok(api.post("/rollouts", json={"key": "chat-2027", "name": "Chat", "retention_days": 180,
                                             "text_retention_days": 30}), 201)
    assert (created["retention_days"], created["text_retention_days"]) == (180, 30)
    assert created["purged_at"] is None and created["texts_purged_at"] is None
    for body, field in (({"retention_days": 0}, "retention_days"), ({"retention_days": 3651}, "retention_days"),
                        ({"text_retention_days": 181}, "text_retention_days"),
                        ({"retention_days": 20}, "text_retention_days"),
                        ({"retention_days": "ten"}, "retention_days"), ({"retention_days": 1.5}, "retention_days")):
        details = error_of(api.patch("/rollouts/chat-2027", json=body), 422)["details"]
        assert field in {d["field"] for d in details}, body
    assert ok(api.get("/rollouts/chat-2027"))["retention_days"] == 180  # nothing changed
    changed = ok(api.patch("/rollouts/chat-2027", json={"retention_days": 60}))
    assert (changed["retention_days"], changed["text_retention_days"]) == (60, 30)
    back = ok(api.patch("/rollouts/chat-2027", json={"retention_days": None, "text_retention_days": None}))
    assert back["retention_days"] is None and back["text_retention_days"] is None  # the organisation's default
    # a free-text rule longer than the organisation's default when the rollout has none of its own
    details = error_of(api.patch("/rollouts/chat-2027", json={"text_retention_days": 400}), 422)["details"]
    assert details[0]["field"] == "text_retention_days"
    spec = api.get("/openapi.json").get_json()["components"]["schemas"]["Rollout"]["properties"]
    assert spec["retention_days"]["maximum"] == 3650 and "null" in spec["text_retention_days"]["type"]


def test_the_edit_form_has_the_retention_fields_with_the_default_in_the_hint(logged_in, lead):
    builders.make_rollout(KEY, lead)
    page = logged_in.get(f"/rollouts/{KEY}/edit")
    assert b'name="retention_days"' in page.data and b"the organisation&#39;s default, 365 days" in page.data
    form = {"name": "Windows 11", "description": "", "reminder_days": "2", "anonymity_k": "5", "vote_budget": "5",
            "tags": "", "categories_text": "", "retention_days": "30", "text_retention_days": "60"}
    bad = logged_in.post(f"/rollouts/{KEY}/edit", data=form)
    assert bad.status_code == 422 and b'id="text_retention_days-error"' in bad.data
    assert db.session.scalar(select(Rollout.retention_days)) is None
    saved = logged_in.post(f"/rollouts/{KEY}/edit", data={**form, "text_retention_days": "7"})
    assert saved.status_code == 302
    db.session.expire_all()
    rollout = db.session.scalar(select(Rollout))
    assert (rollout.retention_days, rollout.text_retention_days) == (30, 7)
    cleared = logged_in.post(f"/rollouts/{KEY}/edit", data={**form, "retention_days": "", "text_retention_days": ""})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Rollout.retention_days)) is None


# --- the plan on the rollout page ------------------------------------------------------

def test_the_lead_sees_what_will_be_purged_and_when(logged_in, lead):
    rollout = builders.make_rollout("chat-2027", lead)
    page = logged_in.get("/rollouts/chat-2027").get_data(as_text=True)
    assert "Personal data: kept until 365 days after the last wave is done" in page
    rollout, pilot = finished_rollout(lead, retention_days=30, text_retention_days=7)
    plan = retention.plan(rollout)
    assert plan.texts_due == done_at(pilot) + timedelta(days=7) and plan.purge_due == done_at(pilot) + timedelta(days=30)
    assert plan.counts == {"texts": 5, "problem_descriptions": 1, "links": 5, "responses": 5, "people": 5}
    page = logged_in.get(f"/rollouts/{KEY}").get_data(as_text=True)
    assert "Personal data: free texts erased on" in page and "links and personal data on" in page
    assert "5 people added for this rollout deleted." in page and "5 free-text answers" in page
    reconcile.tick(done_at(pilot) + timedelta(days=31))
    page = logged_in.get(f"/rollouts/{KEY}").get_data(as_text=True)
    assert "Personal data: purged on" in page and "Stored now" not in page


# --- the purges -------------------------------------------------------------------

def test_a_tick_before_the_free_text_date_purges_nothing(ctx, lead):
    rollout, pilot = finished_rollout(lead, retention_days=30, text_retention_days=7)
    before = retention.stored(rollout)
    report = reconcile.tick(done_at(pilot) + timedelta(days=7) - timedelta(minutes=1))
    assert report.purged == []
    assert retention.stored(rollout) == before
    assert rollout.texts_purged_at is None and rollout.purged_at is None


def test_a_rollout_with_a_wave_still_to_run_keeps_everything(ctx, lead):
    rollout, pilot = finished_rollout(lead, retention_days=1, text_retention_days=1)
    builders.make_wave(rollout, lead, name="Wave 1", units=[f"Unit {KEY}"])
    assert reconcile.tick(done_at(pilot) + timedelta(days=400)).purged == []
    assert retention.plan(rollout).finished_at is None


def test_after_the_free_text_date_the_texts_go_and_the_numbers_stay(ctx, lead):
    rollout, pilot = finished_rollout(lead, retention_days=30, text_retention_days=7)
    counted = results.wave_results(pilot).as_dict()
    answers = count(Answer, Answer.wave_id == pilot.id)
    report = reconcile.tick(done_at(pilot) + timedelta(days=8))
    assert report.purged == [f"{KEY}:texts"]
    db.session.expire_all()
    assert count(Answer, Answer.wave_id == pilot.id, Answer.text != "") == 0
    assert count(Answer, Answer.wave_id == pilot.id) == answers  # rows kept: "answered" stays right
    assert results.wave_results(pilot).as_dict() == counted
    assert db.session.scalar(select(ProblemReport.description)) == retention.ERASED
    cards = dict(db.session.execute(select(RetroCard.source, RetroCard.text)).all())
    assert cards == {"participant": retention.ERASED, "team": "We planned the printers too late"}
    assert retro.wave_evidence(pilot, lead).texts == []
    # the rest is still there until its own date
    assert count(FeedbackLink) == 5 and count(Response, Response.person_id.is_not(None)) == 5
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.texts"))
    assert event.details == {"texts": 5, "problem_descriptions": 1, "cards": 1, "checkin_texts": 0, "alerts": 0,
                             "wins": 0}
    assert event.rollout_id == rollout.id and event.actor_id is None
    assert reconcile.tick(done_at(pilot) + timedelta(days=9)).purged == []


def test_after_the_retention_date_links_and_people_go_and_results_decisions_lessons_stay(client, ctx, lead):
    live = builders.make_rollout("chat-2027", lead)
    builders.make_people(2, unit="Unit chat", prefix="staff")  # not imported for a rollout
    rollout, pilot = finished_rollout(lead, retention_days=30, text_retention_days=7, also_in=live)
    token = sorted(builders.wave_tokens(pilot).items())[1][1]
    assert client.get(f"/f/{token}").status_code != 404
    counted = results.wave_results(pilot).as_dict()
    members, responded = pilot.members_count, pilot.responses_count
    snapshot = db.session.scalar(select(Decision.snapshot))
    report = reconcile.tick(done_at(pilot) + timedelta(days=30, minutes=1))
    assert report.purged == [f"{KEY}:texts", f"{KEY}:all"]  # a missed text date is caught up at once
    db.session.expire_all()
    assert client.get(f"/f/{token}").status_code == 404
    assert count(FeedbackLink, FeedbackLink.wave_id == pilot.id) == 0
    assert count(Membership, Membership.wave_id == pilot.id) == 0
    assert count(Notification, Notification.wave_id == pilot.id) == 0
    assert count(Response, Response.wave_id == pilot.id) == responded
    assert count(Response, Response.person_id.is_not(None)) == 0
    keys = db.session.scalars(select(Response.respondent_key).where(Response.wave_id == pilot.id)).all()
    assert all(k.startswith("pseudonym:") for k in keys) and len(set(keys)) == responded
    assert count(ProblemReport, ProblemReport.person_id.is_not(None)) == 0 and count(ProblemReport) == 1
    # the people imported for it are gone, but the one also in a live rollout stays, and so does the staff
    left = set(db.session.scalars(select(Person.external_id)))
    assert left == {"win1", "staff1", "staff2"}
    wave = db.session.get(Wave, pilot.id)
    assert (wave.members_count, wave.responses_count) == (members, responded)
    assert same_results(results.wave_results(wave).as_dict(), counted)
    assert db.session.scalar(select(Decision.snapshot)) == snapshot
    assert db.session.scalar(select(Lesson.title)) == "Install printers before the wave"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
    assert event.details == {"links": 5, "emails": 5, "memberships": 5, "problem_reports": 1, "responses": 5,
                             "checkin_responses": 0, "people": 4, "named": 0}
    assert db.session.get(Rollout, rollout.id).purged_at is not None
    # a second tick does nothing
    events = count(AuditEvent)
    assert reconcile.tick(done_at(pilot) + timedelta(days=60)).purged == []
    assert count(AuditEvent) == events and count(Person) == 3


def test_a_person_kept_by_a_live_rollout_goes_when_that_one_is_purged(ctx, lead):
    live = builders.make_rollout("chat-2027", lead)
    rollout, pilot = finished_rollout(lead, retention_days=10, text_retention_days=10, also_in=live)
    reconcile.tick(done_at(pilot) + timedelta(days=11))
    assert db.session.scalar(select(Person.external_id)) == "win1"
    other = live.waves[0]
    waves.transition(other, "feedback", lead)
    waves.transition(other, "review", lead)
    waves.decide(other, "no_go", "Not now", lead)
    assert reconcile.tick(done_at(other) + timedelta(days=366)).purged == ["chat-2027:texts", "chat-2027:all"]
    assert count(Person) == 0


def test_an_anonymous_rollout_is_purged_the_same_way(ctx, lead):
    rollout, pilot = finished_rollout(lead, anonymous=True, retention_days=5, text_retention_days=5)
    keys = set(db.session.scalars(select(Response.respondent_key)))
    reconcile.tick(done_at(pilot) + timedelta(days=6))
    assert keys.isdisjoint(db.session.scalars(select(Response.respondent_key)))
    assert count(Response) == 5 and count(Person) == 0


# --- people imported for a rollout --------------------------------------------------------

CSV = "external_id,name,email,unit\ne1,Anna Andersson,anna@example.se,IT\ne2,Bo Berg,bo@example.se,IT\n"


def test_people_imported_for_a_rollout_are_marked_and_known_ones_are_not(api, lead):
    builders.make_rollout(KEY, lead)
    builders.make_people(1, prefix="e")  # e1 exists already
    unknown = api.post("/people/import?rollout=nope", data=CSV, headers={"Content-Type": "text/csv"})
    assert error_of(unknown, 422)["details"][0]["field"] == "rollout"
    assert count(Person) == 1
    ok(api.post(f"/people/import?rollout={KEY}", data=CSV, headers={"Content-Type": "text/csv"}))
    marked = dict(db.session.execute(select(Person.external_id, Person.added_for_rollout_id)).all())
    rollout_id = db.session.scalar(select(Rollout.id))
    assert marked == {"e1": None, "e2": rollout_id}
    body = {"people": [{"external_id": "e3", "name": "Cid", "email": "cid@example.se"}], "rollout": "nope"}
    assert error_of(api.post("/people", json=body), 422)["details"][0]["field"] == "rollout"
    assert error_of(api.post("/people", json={**body, "rollout": 7}), 422)["details"][0]["field"] == "rollout"
    assert ok(api.post("/people", json={**body, "rollout": KEY})) == {"created": 1, "updated": 0}
    assert db.session.scalar(select(Person.added_for_rollout_id).where(Person.external_id == "e3")) == rollout_id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "people.import"))
    assert event.details["for_rollout"] == KEY


def test_the_import_form_offers_the_rollouts(logged_in, lead):
    import io
    builders.make_rollout(KEY, lead)
    page = logged_in.get("/people/import")
    assert b'<option lang="sv" value="win11-2027">' in page.data and b"Imported for a rollout" in page.data
    sent = logged_in.post("/people/import", data={"file": (io.BytesIO(CSV.encode()), "people.csv"),
                                                  "rollout": KEY}, content_type="multipart/form-data")
    assert sent.status_code == 302
    assert count(Person, Person.added_for_rollout_id.is_not(None)) == 2


def test_the_purge_forgets_the_people_named_in_selections_and_the_audit_log(ctx, lead):
    """A wave that named its people keeps their external ids in its selection and in the audit log's
    details of planning it: after the purge neither names anyone (the events themselves stay)."""
    builders.make_people(3, unit="Named", prefix="nm")
    rollout = builders.make_rollout("named-2027", lead)
    pilot = builders.make_wave(rollout, lead, name="Pilot", people=["nm1", "nm2"])
    builders.run_to_done(pilot, lead)
    assert "nm1" in json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    events = count(AuditEvent)
    assert reconcile.tick(done_at(pilot) + timedelta(days=366)).purged == ["named-2027:texts", "named-2027:all"]
    db.session.expire_all()
    assert db.session.get(Wave, pilot.id).selection["people"] == []
    details = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    assert "nm1" not in details and "nm2" not in details
    assert count(AuditEvent) == events + 2  # the two purges; nothing was deleted from the log


# --- background jobs ------------------------------------------------------------------

def test_finished_jobs_are_deleted_after_the_job_retention_days_and_unfinished_ones_stay(app, ctx, lead):
    """A failed import's errors quote its lines (external ids, e-mail addresses): the tick deletes a
    finished job JOB_RETENTION_DAYS (30) after it finished; a queued or running job stays, however old."""
    from sqlalchemy import update

    from rollout.models import Job, JobFile
    from rollout.models.types import utcnow
    from rollout.services import jobs

    now = utcnow()
    twice = b"external_id,name,email\nanna.a,Anna,anna@example.se\nanna.a,Anna A,anna.a@example.se\n"
    failed = imports.start_import(twice, lead, at_once=True)
    assert failed.state == "failed" and "anna.a" in json.dumps(failed.errors)
    done = imports.start_import(CSV.encode(), lead, at_once=True)
    cancelled = jobs.cancel(imports.start_import(CSV.encode(), lead, at_once=False), lead)
    recent = imports.start_import(CSV.encode(), lead, at_once=True)
    queued = imports.start_import(CSV.encode(), lead, at_once=False)
    running = imports.start_import(CSV.encode(), lead, at_once=False)
    jobs.claim("host:1:runner", job_id=running.id)
    age = {failed.id: 31, done.id: 31, cancelled.id: 30, recent.id: 29}
    for job_id, days in age.items():
        db.session.execute(update(Job).where(Job.id == job_id).values(finished_at=now - timedelta(days=days, seconds=1)))
    db.session.execute(update(Job).where(Job.id.in_([queued.id, running.id]))
                       .values(created_at=now - timedelta(days=400)))
    db.session.commit()
    events = count(AuditEvent)
    report = reconcile.tick(now)
    assert report.jobs_deleted == 3
    assert sorted(db.session.scalars(select(Job.id))) == sorted([recent.id, queued.id, running.id])
    assert "anna.a" not in json.dumps([job.errors for job in db.session.scalars(select(Job))])
    assert count(JobFile, JobFile.job_id == queued.id) > 0  # a queued job keeps its file for its runner
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.jobs"))
    assert event.details == {"jobs": 3, "days": 30} and count(AuditEvent) == events + 1
    assert reconcile.tick(now).jobs_deleted == 0 and count(AuditEvent) == events + 1  # nothing twice
    app.config["JOB_RETENTION_DAYS"] = 7  # a shorter period takes the recent one too
    assert reconcile.tick(now).jobs_deleted == 1
    assert sorted(db.session.scalars(select(Job.id))) == sorted([queued.id, running.id])


def test_the_job_retention_days_come_from_the_environment_and_must_be_a_number(monkeypatch):
    from rollout import create_app
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/rollout")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert create_app().config["JOB_RETENTION_DAYS"] == 30
    monkeypatch.setenv("ROLLOUT_JOB_RETENTION_DAYS", "90")
    assert create_app().config["JOB_RETENTION_DAYS"] == 90
    monkeypatch.setenv("ROLLOUT_JOB_RETENTION_DAYS", "a month")
    with pytest.raises(ValueError, match="ROLLOUT_JOB_RETENTION_DAYS"):
        create_app()
