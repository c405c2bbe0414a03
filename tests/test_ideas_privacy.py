"""The personal data of ideas from the floor: the proposers' and supporters' names and addresses are
in a person's export and erasure (found by the person's e-mail address), and retention erases
them a while after the council decided; the ideas' text and counts stay."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import AuditEvent, Idea, IdeaSupport
from rollout.models.types import utcnow
from rollout.services import ideas, privacy, reconcile

from . import builders
from .helpers import ok

IDEA = {"name": "Anna Person", "email": "p1@example.se", "unit": "Enhet A", "problem": "Skrivarna krånglar",
        "idea": "Nya skrivare", "reach": "up_to_10", "language": "sv"}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_export_holds_the_ideas_sent_and_supported_from_the_persons_address(api, lead):
    builders.make_people(1)
    mine = ideas.submit(IDEA, "10.0.0.1")
    other = ideas.submit({**IDEA, "name": "Olle", "email": "olle@example.se", "idea": "Skrivare på varje plan"},
                         "10.0.0.1")
    ideas.support(other, {"name": "Anna Person", "email": "P1@example.se", "unit": "Enhet A"}, "10.0.0.1")
    data = ok(api.get("/people/p1/export"))
    assert [(i["id"], i["idea"], i["email"]) for i in data["ideas"]] == [(mine.id, "Nya skrivare", "p1@example.se")]
    assert [(s["idea"], s["name"]) for s in data["supports"]] == [(other.id, "Anna Person")]


def test_erasure_removes_the_name_and_address_and_keeps_the_idea_and_its_count(ctx, lead):
    builders.make_people(1)
    mine = ideas.submit(IDEA, "10.0.0.1")
    other = ideas.submit({**IDEA, "name": "Olle", "email": "olle@example.se"}, "10.0.0.1")
    ideas.support(other, {"name": "Anna", "email": "p1@example.se", "unit": "Enhet A"}, "10.0.0.1")
    person = privacy.person_by_external_id("p1", lead)
    preview = privacy.erasure_preview(person, lead)
    assert (preview["ideas"], preview["supports"]) == (1, 1)
    counts = privacy.erase_person(person, lead)
    assert (counts["ideas"], counts["supports"]) == (1, 1)
    db.session.expire_all()
    mine, other = db.session.get(Idea, mine.id), db.session.get(Idea, other.id)
    assert (mine.name, mine.email, mine.idea) == ("", "", "Nya skrivare")
    assert mine.personal_data_erased_at is not None
    assert count(IdeaSupport) == 0 and other.supporters == 1 and other.email == "olle@example.se"


def test_retention_erases_names_and_addresses_a_year_after_the_decision(ctx):
    idea = ideas.submit(IDEA, "10.0.0.1")
    ideas.support(idea, {"name": "Per", "email": "per@example.se", "unit": "IT"}, "10.0.0.1")
    waiting = ideas.submit({**IDEA, "email": "olle@example.se"}, "10.0.0.1")
    ideas.decide(idea, "review", {}, None)
    ideas.decide(idea, "decline", {"reason": "Redan beställt"}, None)
    assert ideas.purge_due(utcnow() + timedelta(days=364)) == 0
    reconcile.tick(utcnow() + timedelta(days=366))
    db.session.expire_all()
    idea, waiting = db.session.get(Idea, idea.id), db.session.get(Idea, waiting.id)
    assert (idea.name, idea.email, idea.idea, idea.supporters, idea.reason) == (
        "", "", "Nya skrivare", 1, "Redan beställt")
    assert count(IdeaSupport) == 0
    assert waiting.email == "olle@example.se"  # not decided: kept
    assert count(AuditEvent, AuditEvent.action == "retention.ideas") == 1
    assert ideas.purge_due(utcnow() + timedelta(days=400)) == 0  # once


def test_the_retention_period_is_a_setting(ctx):
    ctx.config["IDEA_RETENTION_DAYS"] = 30
    idea = ideas.submit(IDEA, "10.0.0.1")
    ideas.decide(idea, "review", {}, None)
    ideas.decide(idea, "decline", {"reason": "Nej"}, None)
    assert ideas.purge_due(utcnow() + timedelta(days=31)) == 1


def test_the_privacy_notice_tells_about_ideas_in_both_languages(client, ctx):
    swedish = client.get("/privacy?lang=sv").get_data(as_text=True)
    english = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "Om du skickar in en idé" in swedish and "365 dagar efter" in swedish
    assert "If you send an idea" in english and "365 days after" in english
