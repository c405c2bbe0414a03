"""A person's data: everything stored about them exported, and erasure, through the API,
the UI and the CLI; only people managers may do either."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import (
    Answer,
    AuditEvent,
    Membership,
    Notification,
    Person,
    ProblemReport,
    Response,
    RetroCard,
    Wave,
)
from rollout.services import feedback, people, privacy, reconcile, results, retro, waves

from . import builders
from .conftest import Api
from .helpers import error_of, ok

TEXT = "Snabb inloggning"
SECRET_TEXT = "Min hemliga kommentar"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def open_wave(lead, key: str, *, anonymous: bool = False) -> Wave:
    rollout = builders.make_rollout(key, lead, anonymous=anonymous)
    wave = builders.make_wave(rollout, lead, units=["Enhet A"])
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    return wave


def p1_everywhere(lead) -> tuple[Wave, Wave, str]:
    """p1 answered in an ordinary rollout (a free text too) and reported a problem there, and answered
    in an anonymous rollout; both invited by e-mail; a people manager changed p1's unit."""
    builders.make_people(6)
    wave = open_wave(lead, "win11-2027")
    anonymous = open_wave(lead, "survey-2027", anonymous=True)
    reconcile.tick()  # the invitations
    token = builders.wave_tokens(wave)["p1"]
    feedback.submit(token, {"satisfaction": 4, "worked_day_one": "yes", "went_well": TEXT, "hours_lost": 1.5})
    feedback.report_problem(token, {"category": "printing", "severity": "blocker", "description": "Skrivaren saknas"})
    feedback.submit(builders.wave_tokens(anonymous)["p1"], {"satisfaction": 2, "worked_day_one": "no", "went_well": SECRET_TEXT})
    feedback.submit(builders.wave_tokens(wave)["p2"], {"satisfaction": 5, "worked_day_one": "yes"})
    p1 = db.session.scalar(select(Person).where(Person.external_id == "p1"))
    people.save_person({"external_id": "p1", "name": p1.name, "email": p1.email, "unit": "Enhet A",
                        "attributes": {"site": "Rådhuset"}}, lead, p1)
    return wave, anonymous, token


# --- export -----------------------------------------------------------------------

def test_the_export_holds_everything_about_the_person_but_tokens_and_anonymous_answers(api, lead):
    wave, anonymous, token = p1_everywhere(lead)
    data = ok(api.get("/people/p1/export"))
    text = json.dumps(data, ensure_ascii=False)
    assert data["profile"]["external_id"] == "p1" and data["profile"]["email"] == "p1@example.se"
    assert data["profile"]["attributes"] == {"site": "Rådhuset"} and data["profile"]["unit"] == "Enhet A"
    assert [(m["rollout"], m["wave"]) for m in data["memberships"]] == [("survey-2027", 0), ("win11-2027", 0)]
    assert [link["rollout"] for link in data["links"]] == ["survey-2027", "win11-2027"]
    assert token not in text and "nonce" not in text and "token_hash" not in text
    own, = [r for r in data["responses"] if r["rollout"] == "win11-2027"]
    assert own["answers"]["went_well"] == TEXT and own["answers"]["satisfaction"] == 4
    hidden, = [r for r in data["responses"] if r["rollout"] == "survey-2027"]
    assert hidden["anonymous"] is True and "answers" not in hidden and SECRET_TEXT not in text
    assert [p["description"] for p in data["problem_reports"]] == ["Skrivaren saknas"]
    assert sorted((e["kind"], e["rollout"]) for e in data["emails"]) == [("invitation", "survey-2027"),
                                                                        ("invitation", "win11-2027")]
    # no mail server: the messages wait in the outbox, never sent, so no time of sending
    assert all(e["subject"] and e["status"] == "outbox" and e["sent_at"] is None for e in data["emails"])
    assert "person.update" in [e["action"] for e in data["audit_events"]]
    assert db.session.scalar(select(AuditEvent.subject).where(AuditEvent.action == "person.export")) == "p1"
    assert error_of(api.get("/people/nobody/export"), 404)["code"] == "not_found"


# --- erasure ----------------------------------------------------------------------

def test_erasure_through_the_api_deletes_the_person_and_keeps_the_counts(api, lead):
    wave, anonymous, _token = p1_everywhere(lead)
    waves.transition(wave, "review", lead)
    ref = next(t.id for t in retro.wave_evidence(wave, lead).texts if t.text == TEXT)
    copied = retro.card_from_answer(wave, ref, None, lead)  # the team copied p1's words onto a card
    assert count(Notification, Notification.kind == "blocker") == 1  # the lead's alert names p1
    before = results.wave_results(wave).as_dict()
    members = wave.members_count
    response = api.client.delete("/api/v1/people/p1", headers=api._headers())
    assert response.status_code == 204 and response.data == b""
    assert error_of(api.get("/people/p1/export"), 404)["code"] == "not_found"
    assert error_of(api.client.delete("/api/v1/people/p1", headers=api._headers()), 404)
    db.session.expire_all()
    assert count(Person, Person.external_id == "p1") == 0
    wave = db.session.get(Wave, wave.id)
    assert (wave.members_count, wave.responses_count) == (members, 2)
    after = results.wave_results(wave).as_dict()
    assert after["responded"] == before["responded"] == 2
    assert after["questions"]["satisfaction"] == before["questions"]["satisfaction"]
    assert count(Response) == 3 and count(Membership, Membership.wave_id == wave.id) == members - 1
    assert count(Answer, Answer.text == TEXT) == 0
    # the anonymous answer is linked to nobody and stays as it was: finding it would tell who answered
    assert count(Answer, Answer.text == SECRET_TEXT) == 1
    assert db.session.get(RetroCard, copied.id).text == privacy.ERASED
    assert count(Notification, Notification.kind == "blocker") == 0
    assert db.session.scalar(select(ProblemReport.description)) == privacy.ERASED
    assert count(ProblemReport, ProblemReport.person_id.is_not(None)) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.erase"))
    assert event.subject == "p1"
    assert event.details == {"responses": 1, "texts": 1, "problem_reports": 1, "cards": 1, "alerts": 1,
                             "memberships": 2, "links": 2, "emails": 2, "wins": 0}


def test_only_people_managers_may_export_or_erase(client, ctx, lead):
    p1_everywhere(lead)
    other = builders.make_user("other@example.se", "Olle Other", creator=True)
    api = Api(client, builders.make_token(other))
    assert error_of(api.get("/people/p1/export"), 403)["code"] == "forbidden"
    assert error_of(client.delete("/api/v1/people/p1", headers=api._headers()), 403)["code"] == "forbidden"
    assert error_of(api.get("/people/nobody/export"), 403)  # says nothing about who exists
    # a lead who is no people manager reads the people of their own wave, but may not change, export or
    # erase them
    mine = builders.make_rollout("other-2027", other)
    wave = builders.make_wave(mine, other, people=["p3"])
    waves.transition(wave, "active", other)
    p3 = db.session.scalar(select(Person).where(Person.external_id == "p3"))
    client.post("/login", data={"email": "other@example.se", "password": builders.PASSWORD})
    assert "Person p3" in client.get("/people/").get_data(as_text=True)
    assert client.get(f"/people/{p3.id}/edit").status_code == 403
    assert client.get(f"/people/{p3.id}/export.json").status_code == 403
    assert client.get(f"/people/{p3.id}/erase").status_code == 403
    assert client.post(f"/people/{p3.id}/erase", data={"confirm": "p3"}).status_code == 403
    assert count(Person, Person.external_id == "p3") == 1


def test_the_ui_downloads_and_erases_after_a_typed_confirmation(logged_in, lead):
    wave, _anonymous, _token = p1_everywhere(lead)
    p1 = db.session.scalar(select(Person).where(Person.external_id == "p1"))
    person_id, name = p1.id, p1.name
    edit = logged_in.get(f"/people/{p1.id}/edit").get_data(as_text=True)
    assert f"/people/{p1.id}/export.json" in edit and "Erase this person…" in edit
    download = logged_in.get(f"/people/{p1.id}/export.json")
    assert download.mimetype == "application/json" and "attachment" in download.headers["Content-Disposition"]
    assert download.get_json()["profile"]["external_id"] == "p1"
    page = logged_in.get(f"/people/{p1.id}/erase").get_data(as_text=True)
    assert "2 memberships of waves" in page and "2 personal feedback links" in page and "2 e-mails" in page
    # the anonymous response is not counted: the page would tell a people manager who had answered
    assert "1 response: its ratings and choices still count" in page and "1 problem report" in page
    wrong = logged_in.post(f"/people/{p1.id}/erase", data={"confirm": "p2"})
    assert wrong.status_code == 422 and b'id="confirm-error"' in wrong.data
    assert count(Person, Person.external_id == "p1") == 1
    done = logged_in.post(f"/people/{person_id}/erase", data={"confirm": "p1"}, follow_redirects=True)
    assert done.status_code == 200 and done.request.path == "/people/"
    assert f"{name} was erased." in done.get_data(as_text=True)
    db.session.expire_all()
    assert count(Person, Person.external_id == "p1") == 0
    assert logged_in.get(f"/people/{person_id}/erase").status_code == 404
    assert db.session.get(Wave, wave.id).responses_count == 2


def test_the_cli_exports_and_erases_asking_first(runner, ctx, lead):
    p1_everywhere(lead)
    result = runner.invoke(args=["rollout", "people", "export", "p1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["profile"]["external_id"] == "p1"
    assert runner.invoke(args=["rollout", "people", "export", "nobody"]).exit_code == 1
    refused = runner.invoke(args=["rollout", "people", "erase", "p1"], input="n\n")
    assert refused.exit_code == 1 and "2 memberships" in refused.output
    db.session.expire_all()
    assert count(Person, Person.external_id == "p1") == 1
    erased = runner.invoke(args=["rollout", "people", "erase", "p1"], input="y\n")
    assert erased.exit_code == 0, erased.output
    assert runner.invoke(args=["rollout", "people", "erase", "p2", "--yes"]).exit_code == 0
    db.session.expire_all()
    assert count(Person, Person.external_id.in_(["p1", "p2"])) == 0 and count(Person) == 4
    assert count(AuditEvent, AuditEvent.action == "person.erase") == 2


def test_a_person_erased_while_their_wave_started_leaves_no_membership_after_the_next_tick(ctx, lead):
    """Memberships have no foreign keys (a start writes one row per member, unchecked row by row):
    an erasure that ran while a wave was starting could not see the start's rows yet. Here a row
    left so is made by hand; the next tick removes it and no other."""
    from datetime import timedelta

    from rollout.models.types import utcnow

    builders.make_people(3)
    wave = open_wave(lead, "win11-2027")
    older = open_wave(lead, "older-2027")
    members = count(Membership, Membership.wave_id == wave.id)
    gone = (db.session.scalar(select(func.max(Person.id))) or 0) + 100
    for started in (wave, older):
        db.session.add(Membership(wave_id=started.id, person_id=gone, bucket=1))
    older.started_at = utcnow() - privacy.ORPHANS_WITHIN - timedelta(minutes=5)  # long since started
    db.session.commit()
    reconcile.tick()
    assert count(Membership, Membership.wave_id == wave.id) == members
    assert count(Membership, Membership.person_id == gone) == 1  # only recent starts are looked at
    assert count(Membership, Membership.wave_id == wave.id, Membership.person_id == gone) == 0
