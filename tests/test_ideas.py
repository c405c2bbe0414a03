"""Ideas from the floor: sending one without an account (all or nothing, limits against abuse),
similar ideas and lessons found by the search on both databases, supporting instead of sending,
and the council's triage with its guards and its e-mails, exactly once per person and decision,
in each reader's language."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import AuditEvent, Idea, IdeaSupport, Lesson, Notification, Rollout, RolloutRole
from rollout.services import accounts, ideas, lessons, notify
from rollout.services.errors import GuardFailed, NotAllowed, ValidationFailed

from . import builders

IDEA = {"name": "Siv Svensson", "email": "siv@example.se", "unit": "Kundcenter", "language": "sv",
        "problem": "Skrivarna på plan tre tappar kopplingen varje morgon",
        "idea": "Gemensamma skrivare med utskriftskö för hela huset", "reach": "up_to_50"}


def council(email: str = "rad@example.se", name: str = "Rut Råd"):
    return accounts.create_user(email, name, builders.PASSWORD, council=True)


def send(**changes) -> Idea:
    idea = ideas.submit({**IDEA, **changes}, "10.0.0.1")
    assert idea is not None
    return idea


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def messages(idea: Idea) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == "idea_decision",
                                                              Notification.dedupe_key.like(f"idea_decision:{idea.id}:%"))
                                   .order_by(Notification.id)))


# --- sending ---------------------------------------------------------------------

def test_an_idea_is_sent_without_an_account_and_stored_as_new(ctx):
    idea = send()
    assert (idea.state, idea.name, idea.email, idea.unit_label, idea.reach) == (
        "new", "Siv Svensson", "siv@example.se", "Kundcenter", "up_to_50")
    assert idea.supporters == 0


def test_bad_input_lists_every_problem_and_stores_nothing(ctx):
    with pytest.raises(ValidationFailed) as raised:
        ideas.submit({"name": " ", "email": "not-an-address", "unit": "", "problem": "", "idea": "x" * 6000,
                      "reach": "everyone", "language": "de"}, "10.0.0.1")
    fields = raised.value.field_errors()
    assert set(fields) == {"name", "email", "unit", "problem", "idea", "reach", "language"}
    assert count(Idea) == 0
    with pytest.raises(ValidationFailed):
        ideas.submit("not a dict", "10.0.0.1")
    assert count(Idea) == 0


def test_the_honeypot_stores_nothing_and_the_rate_limit_holds_per_address(ctx):
    assert ideas.submit(IDEA, "10.0.0.9", honeypot="http://spam.example") is None
    assert count(Idea) == 0
    ctx.config["IDEAS_PER_HOUR"] = 2
    send(email="a@example.se")
    send(email="b@example.se")
    with pytest.raises(ideas.TooManyIdeas):
        send(email="c@example.se")
    assert count(Idea) == 2
    # another address may still send
    assert ideas.submit({**IDEA, "email": "d@example.se"}, "10.0.0.2") is not None


def test_the_unit_of_the_directory_is_linked_by_its_name_in_any_case(ctx, admin):
    from rollout.services import people
    unit = people.create_unit("Kundcenter", admin)
    idea = send(unit="kundcenter")
    assert idea.unit_id == unit.id and idea.unit_label == "Kundcenter"


# --- similar ideas and lessons ------------------------------------------------------

def test_similar_ideas_and_lessons_are_found_by_their_words(ctx, lead):
    printers = send()
    send(email="o@example.se", problem="Lunchrummet är för litet", idea="Större lunchrum i källaren")
    rollout = builders.make_rollout("print-2027", lead)
    lessons.create_lesson(rollout, {"title": "Installera skrivarna före vågen", "action": "Skrivardrivrutin"}, lead)
    found = ideas.similar("Mina skrivare tappar kopplingen")
    assert [i.id for i in found.ideas] == [printers.id]
    assert [lesson.title for lesson in found.lessons] == ["Installera skrivarna före vågen"]
    assert not ideas.similar("ok")  # short words only: nothing to look for
    assert not ideas.similar("Parkering")


def test_declined_ideas_are_not_offered_to_support(ctx):
    idea = send()
    ideas.decide(idea, "review", {}, None)
    ideas.decide(idea, "decline", {"reason": "Redan beställt"}, None)
    assert not ideas.similar("skrivarna kopplingen").ideas


# --- support ---------------------------------------------------------------------

def test_support_counts_once_per_address_and_not_for_the_proposer(ctx):
    idea = send()
    person = {"name": "Per", "email": "Per@Example.se", "unit": "Ekonomi", "language": "en"}
    assert ideas.support(idea, person, "10.0.0.3") == (idea, True)
    assert ideas.support(idea, {**person, "email": "per@example.se"}, "10.0.0.3")[1] is False
    assert ideas.support(idea, {**IDEA}, "10.0.0.3")[1] is False  # the proposer counts already
    db.session.refresh(idea)
    assert idea.supporters == 1 and count(IdeaSupport) == 1
    with pytest.raises(ValidationFailed):
        ideas.support(idea, {"email": "bad"}, "10.0.0.3")
    assert count(IdeaSupport) == 1


# --- triage ----------------------------------------------------------------------

def test_only_the_council_and_admins_triage(ctx, lead):
    idea = send()
    with pytest.raises(NotAllowed):
        ideas.decide(idea, "review", {}, lead)
    member = council()
    ideas.decide(idea, "review", {}, member)
    assert idea.state == "under_review"


@pytest.mark.parametrize("decision,data", [("accept_lesson", {"rollout": "x"}), ("decline", {"reason": "Nej"}),
                                           ("merge", {"into": 1})])
def test_a_new_idea_is_taken_under_review_before_any_decision(ctx, decision, data):
    idea = send()
    with pytest.raises(GuardFailed) as raised:
        ideas.decide(idea, decision, data, None)
    assert raised.value.status == 409 and raised.value.guard == "idea_new"
    assert idea.state == "new"


def test_a_decided_idea_takes_no_second_decision(ctx):
    idea = send()
    ideas.decide(idea, "review", {}, None)
    ideas.decide(idea, "decline", {"reason": "Redan beställt"}, None)
    for decision in ("review", "decline", "merge", "accept_rollout"):
        with pytest.raises(GuardFailed):
            ideas.decide(idea, decision, {"reason": "igen", "key": "k-2027", "name": "K"}, None)
    assert idea.state == "declined"


def test_declining_needs_a_reason_and_tells_everyone_once_in_their_language(ctx):
    idea = send()
    ideas.support(idea, {"name": "Per", "email": "per@example.se", "unit": "Ekonomi", "language": "en"}, "x")
    ideas.decide(idea, "review", {}, None)
    with pytest.raises(ValidationFailed) as raised:
        ideas.decide(idea, "decline", {"reason": "  "}, None)
    assert set(raised.value.field_errors()) == {"reason"}
    assert idea.state == "under_review"
    ideas.decide(idea, "decline", {"reason": "Skrivarna byts ändå i vår"}, None)
    rows = messages(idea)
    by_state = {(row.to_address, row.dedupe_key.split(":")[2]): row for row in rows}
    assert set(by_state) == {("siv@example.se", "under_review"), ("per@example.se", "under_review"),
                             ("siv@example.se", "declined"), ("per@example.se", "declined")}
    declined_sv, declined_en = by_state[("siv@example.se", "declined")], by_state[("per@example.se", "declined")]
    assert declined_sv.language == "sv" and "avböjde" in declined_sv.body_text
    assert "Skrivarna byts ändå i vår" in declined_sv.body_text
    assert declined_en.language == "en" and "declined" in declined_en.body_text
    # queued again (a retry, a second worker): still one message per person and decision
    assert ideas.queue_decision_emails(idea) and len(messages(idea)) == 4


def test_accepting_into_a_lesson_links_both_ways(ctx, lead):
    rollout = builders.make_rollout("print-2027", lead)
    idea = send()
    member = council()
    ideas.decide(idea, "review", {}, member)
    with pytest.raises(ValidationFailed):
        ideas.decide(idea, "accept_lesson", {"rollout": "nothing-here"}, member)
    ideas.decide(idea, "accept_lesson", {"rollout": "print-2027", "title": "Gemensamma skrivare"}, member)
    lesson = db.session.get(Lesson, idea.lesson_id)
    assert (idea.state, lesson.rollout_id, lesson.title, lesson.action) == (
        "accepted", rollout.id, "Gemensamma skrivare", IDEA["idea"])
    assert ideas.idea_of_lesson(lesson) == idea and idea.decided_by_id == member.id
    accepted = [row for row in messages(idea) if ":accepted:" in row.dedupe_key]
    assert len(accepted) == 1 and "Gemensamma skrivare" in accepted[0].body_text


def test_accepting_into_a_draft_rollout_makes_the_council_member_its_first_lead(ctx):
    idea = send()
    member = council()
    ideas.decide(idea, "review", {}, member)
    with pytest.raises(ValidationFailed) as raised:
        ideas.decide(idea, "accept_rollout", {"key": "Not A Key", "name": ""}, member)
    assert {"key", "name"} <= set(raised.value.field_errors())
    assert db.session.scalar(select(func.count()).select_from(Rollout)) == 0
    ideas.decide(idea, "accept_rollout", {"key": "skrivare-2027", "name": "Gemensamma skrivare"}, member)
    rollout = idea.rollout
    assert (rollout.key, rollout.waves) == ("skrivare-2027", [])
    assert db.session.scalar(select(RolloutRole.role).where(RolloutRole.rollout_id == rollout.id,
                                                            RolloutRole.user_id == member.id)) == "lead"
    assert ideas.idea_of_rollout(rollout) == idea


def test_merging_moves_the_supporters_and_the_proposer_over(ctx):
    target = send()
    duplicate = send(name="Olle", email="olle@example.se", unit="Ekonomi")
    ideas.support(duplicate, {"name": "Per", "email": "per@example.se", "unit": "IT", "language": "en"}, "x")
    ideas.support(duplicate, {"name": "Siv", "email": "siv@example.se", "unit": "Kundcenter"}, "x")
    ideas.decide(duplicate, "review", {}, None)
    with pytest.raises(ValidationFailed):
        ideas.decide(duplicate, "merge", {"into": duplicate.id}, None)
    ideas.decide(duplicate, "merge", {"into": target.id}, None)
    db.session.refresh(target)
    assert duplicate.state == "merged" and duplicate.merged_into_id == target.id
    assert sorted(s.email for s in ideas.supporters_of(target)) == ["olle@example.se", "per@example.se"]
    assert target.supporters == 2
    merged = {row.to_address for row in messages(duplicate) if ":merged:" in row.dedupe_key}
    assert merged == {"olle@example.se", "per@example.se", "siv@example.se"}
    # support for the merged idea counts for the one it went into
    supported, added = ideas.support(duplicate, {"name": "Ny", "email": "ny@example.se", "unit": "HR"}, "x")
    assert supported == target and added


def test_ideas_by_unit_and_the_needs_several_units_share(ctx):
    printers = send()
    ideas.support(printers, {"name": "Per", "email": "per@example.se", "unit": "Ekonomi"}, "x")
    send(email="o@example.se", unit="kundcenter", problem="Lunchrummet", idea="Större lunchrum")
    groups = ideas.by_unit(None)
    assert [(group.unit, len(group.ideas)) for group in groups] == [("Kundcenter", 2)]
    shared = ideas.shared_needs(None)
    assert [(need.idea.id, need.units) for need in shared] == [(printers.id, ["ekonomi", "kundcenter"])]


def test_each_decision_is_in_the_audit_log_in_words(ctx, app):
    from rollout.services import audit_text
    idea = send()
    ideas.decide(idea, "review", {}, None)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "idea.decide"))
    assert audit_text.sentence(event) == f"Flyttade idé {idea.id} till ”Granskas”"


def test_decision_emails_reach_a_real_smtp_server(ctx, mailbox):
    idea = send()
    ideas.decide(idea, "review", {}, None)
    [message] = mailbox.to("siv@example.se")
    assert message["Subject"] == "Din idé granskas av digitaliseringsrådet"
    assert notify.privacy_url("sv") in mailbox.text(message)
