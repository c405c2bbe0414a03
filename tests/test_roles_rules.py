"""The rules behind the role matrix, as users meet them: who sees which people, what a changed
e-mail address does to a live personal link, who may plan rollouts, what the library names."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import AuditEvent, FeedbackLink, Rollout
from rollout.services import lessons, people, retro, rollouts, waves

from . import builders
from .conftest import Api


def _opened_wave(lead, key="alpha", unit="Pilot", prefix="a"):
    builders.make_people(3, unit=unit, prefix=prefix)
    rollout = builders.make_rollout(key, lead)
    wave = builders.make_wave(rollout, lead, name="Pilot", units=[unit])
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    return rollout, wave


def test_a_lead_reads_only_the_people_of_their_own_waves_and_changes_none(client, auth, ctx):
    lead = builders.make_user("leda@example.se", "Lead A", creator=True)
    other = builders.make_user("ledb@example.se", "Lead B", creator=True)
    _opened_wave(lead)
    _opened_wave(other, key="beta", unit="Other", prefix="b")
    builders.make_people(4, unit="Nobody's", prefix="z")  # in no wave at all
    api = Api(client, builders.make_token(lead))
    listed = api.get("/people?per_page=100").get_json()
    assert listed["total"] == 3
    assert sorted(item["external_id"] for item in listed["items"]) == ["a1", "a2", "a3"]

    auth.login("leda@example.se")
    page = client.get("/people/").get_data(as_text=True)
    assert "Person a1" in page and "Person b1" not in page and "Person z1" not in page
    # a person is shared by every rollout: changing one is the people manager's, as is adding or importing
    a1 = people.search_people("a1")[0][0]
    assert client.get(f"/people/{a1.id}/edit").status_code == 403
    assert 'href="/people/' + str(a1.id) + '/edit"' not in page
    assert client.get("/people/new").status_code == 403
    assert client.get("/people/import").status_code == 403


def test_a_people_manager_reads_everyone_and_a_reviewer_no_one(client, auth, ctx):
    lead = builders.make_user("leda@example.se", "Lead A", creator=True)
    rollout, _wave = _opened_wave(lead)
    builders.make_people(4, unit="Elsewhere", prefix="z")
    builders.make_user("hr@example.se", "HR", people_manager=True)
    reviewer = builders.make_user("rev@example.se", "Reviewer", creator=False)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    auth.login("hr@example.se")
    assert "Person z4" in client.get("/people/?q=z4").get_data(as_text=True)
    auth.logout()
    auth.login("rev@example.se")
    assert client.get("/people/").status_code == 403
    assert 'href="/people/"' not in client.get("/rollouts/").get_data(as_text=True)  # no menu entry either
    assert Api(client, builders.make_token(reviewer)).get("/people").status_code == 403


def test_changing_the_address_of_someone_with_a_live_link_revokes_it(client, auth, ctx, lead):
    _rollout, wave = _opened_wave(lead)
    token = builders.wave_tokens(wave)["a1"]
    assert client.get(f"/f/{token}").status_code == 200
    a1 = people.search_people("a1")[0][0]
    auth.login()
    response = client.post(f"/people/{a1.id}/edit", data={
        "external_id": "a1", "name": "Person a1", "email": "attacker@evil.example", "unit": "Pilot",
        "language": "sv", "attributes": ""})
    assert response.status_code == 302
    assert client.get(f"/f/{token}").status_code == 404  # the old link no longer opens the form
    link = db.session.scalar(select(FeedbackLink).where(FeedbackLink.person_id == a1.id))
    db.session.refresh(link)
    assert link.revoked_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "link.revoke"))
    assert event.subject == "a1" and event.details["reason"] == "email_changed"
    # the same through the API's upsert; someone else's name change alone keeps their link
    a2_token = builders.wave_tokens(wave)["a2"]
    api = Api(client, builders.make_token(lead))
    assert api.post("/people", json={"people": [
        {"external_id": "a2", "name": "Renamed", "email": "a2@example.se", "unit": "Pilot"},
        {"external_id": "a3", "name": "Person a3", "email": "new-a3@example.se", "unit": "Pilot"}]}).status_code == 200
    assert client.get(f"/f/{a2_token}").status_code == 200
    revoked = {e.subject for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "link.revoke"))}
    assert revoked == {"a1", "a3"}


def test_only_rollout_creators_and_admins_plan_rollouts(client, auth, ctx):
    builders.make_user("plain@example.se", "Plain", creator=False)
    auth.login("plain@example.se")
    assert "Plan a new rollout" not in client.get("/language/en?next=/rollouts/", follow_redirects=True) \
        .get_data(as_text=True)
    assert client.post("/rollouts/new", data={"key": "phish", "name": "Uppdatera ditt lösenord"}).status_code == 403
    assert db.session.scalar(select(func.count(Rollout.id))) == 0
    creator = builders.make_user("creator@example.se", "Creator", creator=True)
    assert rollouts.create_rollout({"key": "real-2027", "name": "Real"}, creator).key == "real-2027"


def test_an_admin_grants_the_organisation_roles(client, auth, ctx, admin):
    plain = builders.make_user("plain@example.se", "Plain", creator=False)
    auth.login("admin@example.se")
    response = client.post(f"/admin/users/{plain.id}/roles", data={"is_people_manager": "y"})
    assert response.status_code == 302
    db.session.refresh(plain)
    assert plain.is_people_manager and not plain.is_rollout_creator
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.roles"))
    assert event.details["after"] == {"people_manager": True, "rollout_creator": False, "council": False}
    auth.logout()
    auth.login("plain@example.se")
    assert client.get("/people/").status_code == 200
    assert client.get("/people/import").status_code == 200


def test_the_library_names_only_rollouts_the_reader_may_open(client, auth, ctx, lead):
    rollout, wave = _opened_wave(lead, key="secret-project")
    rollout.name = "Hemligt projekt"
    waves.transition(wave, "review", lead)
    card = retro.add_card(wave, {"kind": "better", "text": "Mer info"}, lead)
    theme = retro.create_theme(wave, {"title": "Info", "cards": [card.id]}, lead)
    lessons.create_lesson(rollout, {"title": "Informera tidigare", "action": "Mejla"}, lead, theme=theme)
    outsider = builders.make_user("out@example.se", "Outsider", creator=False)
    item = Api(client, builders.make_token(outsider)).get("/lessons").get_json()["items"][0]
    assert item["title"] == "Informera tidigare" and item["rollout"] is None
    auth.login("out@example.se")
    page = client.get("/lessons").get_data(as_text=True)
    assert "Informera tidigare" in page
    assert "Hemligt projekt" not in page and "secret-project" not in page
    mine = Api(client, builders.make_token(lead)).get("/lessons").get_json()["items"][0]
    assert mine["rollout"] == "secret-project"


def test_a_refused_caller_learns_nothing_from_the_checks_of_the_body(client, ctx):
    """The role is checked before the body: the same 403 for a wrong body as for a right one."""
    api = Api(client, builders.make_token(builders.make_user("plain@example.se", "Plain", creator=False)))
    assert api.post("/people", json={"people": [{"external_id": 42}]}).status_code == 403
    assert api.post("/people/import", data=b"x", headers={"Content-Type": "image/png"}).status_code == 403


def test_a_role_taken_away_counts_at_once_though_the_session_remembers_roles(ctx, lead):
    """A page asks for the viewer's role several times and the session reads it once; a role given
    or taken away in between is not answered from that memory."""
    from rollout.models import RolloutRole
    from rollout.services.errors import NotFound
    rollout = builders.make_rollout("alpha", lead)
    reviewer = builders.make_user("rev@example.se", "Reviewer")
    with pytest.raises(NotFound):
        rollouts.get_rollout("alpha", reviewer)  # remembered: no role
    rollouts.set_role(rollout, "rev@example.se", "reviewer", lead)
    assert rollouts.get_rollout("alpha", reviewer) is rollout
    role_id = db.session.scalar(select(RolloutRole.id).where(RolloutRole.user_id == reviewer.id))
    rollouts.remove_role(rollout, role_id, lead)
    with pytest.raises(NotFound):
        rollouts.get_rollout("alpha", reviewer)
    db.session.add(RolloutRole(rollout_id=rollout.id, user_id=reviewer.id, role="reviewer"))
    db.session.flush()
    assert rollouts.get_rollout("alpha", reviewer) is rollout
    db.session.rollback()  # given, then thought better of before the commit
    with pytest.raises(NotFound):
        rollouts.get_rollout("alpha", reviewer)
