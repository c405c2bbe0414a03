"""Lessons: created from a retrospective, owned, targeted, guarding the next wave's
start, verified against their metric; and the library across rollouts."""
from __future__ import annotations

import pytest

from rollout.models import Lesson
from rollout.services import gates, lessons, retro, waves
from rollout.services.errors import GuardFailed, ValidationFailed

from . import builders


@pytest.fixture
def reviewer(ctx):
    return builders.make_user("rita@example.se", "Rita Reviewer")


def team(rollout, lead, reviewer):
    from rollout.services import rollouts
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)


def test_a_lesson_targets_the_next_wave_by_default_and_its_owner_is_emailed(ctx, lead, reviewer, mailbox):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    team(rollout, lead, reviewer)
    lesson = lessons.create_lesson(rollout, {"title": "Fix the printer driver", "action": "Ship the new driver",
                                             "origin_wave": 0, "owner": reviewer.email,
                                             "metric": "problems:printing", "tags": "Printing, drivers"}, lead)
    assert lesson.status == "open" and lesson.target_wave == wave1 and lesson.origin_wave == pilot
    assert lesson.tags == ["drivers", "printing"]
    [message] = mailbox.to(reviewer.email)
    assert message["Content-Language"] == reviewer.language  # the reader's language, for screen readers too
    assert "Fix the printer driver" in mailbox.text(message) and f"/lessons/{lesson.id}" in mailbox.text(message)
    lessons.update_lesson(lesson, {"title": "Fix the printer driver now"}, lead)
    assert len(mailbox.to(reviewer.email)) == 1  # the same owner is told once


def test_the_owner_must_be_on_the_team_and_bad_fields_change_nothing(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    outsider = builders.make_user("out@example.se", "Out Sider")
    with pytest.raises(ValidationFailed) as failure:
        lessons.create_lesson(rollout, {"title": "", "owner": outsider.email, "target_wave": 7,
                                        "metric": "nope", "origin_wave": 0}, lead)
    fields = {d["field"] for d in failure.value.details}
    assert fields == {"title", "owner", "target_wave", "metric"}
    assert ctx and lessons.for_rollout(rollout, lead)[1] == 0


def test_the_next_wave_cannot_start_while_a_lesson_for_it_is_open_or_planned(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "Brief the service desk", "origin_wave": 0}, lead)
    waves.decide(pilot, "go", "good enough", lead)
    with pytest.raises(GuardFailed) as failure:
        waves.transition(wave1, "active", lead)
    assert failure.value.guard == "lessons_not_applied" and "Brief the service desk" in failure.value.message
    lessons.update_lesson(lesson, {"status": "planned"}, lead)
    with pytest.raises(GuardFailed):
        waves.transition(wave1, "active", lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    assert waves.transition(wave1, "active", lead).state == "active"
    with pytest.raises(GuardFailed) as failure:  # a started wave cannot be held back by it again
        lessons.update_lesson(lesson, {"status": "planned"}, lead)
    assert failure.value.guard == "target_started" and lesson.status == "applied"


def test_a_deferred_lesson_lets_the_wave_start_but_needs_a_reason(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "New intranet page", "origin_wave": 0}, lead)
    waves.decide(pilot, "go", "ok", lead)
    with pytest.raises(ValidationFailed) as failure:
        lessons.update_lesson(lesson, {"status": "deferred"}, lead)
    assert failure.value.details[0]["field"] == "reason" and lesson.status == "open"
    lessons.update_lesson(lesson, {"status": "deferred", "reason": "Waits for the new intranet"}, lead)
    assert lesson.status_reason == "Waits for the new intranet"
    assert waves.transition(wave1, "active", lead).state == "active"


def test_the_gate_asks_that_every_lesson_for_the_next_wave_has_a_plan(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead, ratings=(5,) * 6)
    criterion = {c.name: c for c in gates.evaluate(pilot).criteria}["lessons_ready"]
    assert criterion.passed is True and criterion.value == 0
    lesson = lessons.create_lesson(rollout, {"title": "Train the pilot group", "origin_wave": 0}, lead)
    evaluation = gates.evaluate(pilot)
    criterion = {c.name: c for c in evaluation.criteria}["lessons_ready"]
    assert criterion.passed is False and criterion.value == 1 and evaluation.verdict == "no_go"
    lessons.update_lesson(lesson, {"status": "planned"}, lead)
    assert {c.name: c for c in gates.evaluate(pilot).criteria}["lessons_ready"].passed is True


def test_status_moves_follow_the_flow(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "x", "origin_wave": 0}, lead)
    with pytest.raises(GuardFailed):
        lessons.update_lesson(lesson, {"status": "verified_effective"}, lead)
    lessons.update_lesson(lesson, {"status": "dropped", "reason": "not needed"}, lead)
    with pytest.raises(GuardFailed):
        lessons.update_lesson(lesson, {"status": "applied"}, lead)
    assert lesson.status == "dropped"


def test_verification_compares_the_metric_in_the_origin_and_the_target_wave(ctx, lead):
    rollout, pilot, wave1, lesson = builders.lesson_applied_for_wave1(lead)
    with pytest.raises(GuardFailed) as failure:  # not before the target wave's review
        lessons.update_lesson(lesson, {"status": "verified_effective"}, lead)
    assert failure.value.guard == "target_not_reviewed"
    builders.answer_wave(wave1, [5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 5, 4, 4, 5, 5, 4, 5, 4, 5, 5])
    waves.transition(wave1, "review", lead)
    comparison = lessons.verification(lesson)
    assert comparison.before.value == 0 and comparison.after.value == 1
    assert comparison.change.low > 0 and comparison.outcome == "better" and comparison.proposal == "effective"
    lessons.update_lesson(lesson, {"status": "verified_effective"}, lead)
    assert lesson.verification["proposal"] == "effective" and lesson.verification["confirmed"] == "effective"
    assert lessons.chart_counts(rollout) == {0: {"raised": 1, "applied": 0, "verified": 0},
                                             1: {"raised": 0, "applied": 1, "verified": 1}}


def test_a_small_pilot_proves_nothing_by_luck(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead, ratings=(3, 4, 3), pilot_size=3, rest=6)
    lesson = lessons.create_lesson(rollout, {"title": "x", "origin_wave": 0, "metric": "satisfaction"}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    waves.decide(pilot, "go", "ok", lead)
    for state in ("active", "feedback"):
        waves.transition(wave1, state, lead)
    builders.answer_wave(wave1, [4, 5, 4])
    waves.transition(wave1, "review", lead)
    comparison = lessons.verification(lesson)
    assert comparison.after.value > comparison.before.value
    assert comparison.outcome == "unclear" and comparison.proposal == "inconclusive"


def test_applied_lessons_are_what_participants_of_later_waves_see(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    applied = lessons.create_lesson(rollout, {"title": "Printers fixed", "origin_wave": 0}, lead)
    lessons.create_lesson(rollout, {"title": "Still open", "origin_wave": 0}, lead)
    lessons.update_lesson(applied, {"status": "applied"}, lead)
    assert [lesson.title for lesson in lessons.applied_before(wave1)] == ["Printers fixed"]
    assert lessons.applied_before(pilot) == []


def test_the_library_finds_a_lesson_by_a_word_of_its_action(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lessons.create_lesson(rollout, {"title": "Skrivare", "origin_wave": 0,
                                    "action": "Installera drivrutinen för skrivaren före utrullningen",
                                    "tags": ["utskrift"]}, lead)
    lessons.create_lesson(rollout, {"title": "Information", "origin_wave": 0,
                                    "action": "Skicka ut en lathund en vecka innan"}, lead)
    found, total = lessons.library(lead, q="DRIVRUTINEN")
    assert total == 1 and found[0].title == "Skrivare"
    assert lessons.library(lead, q="lathund")[0][0].title == "Information"
    assert lessons.library(lead, q="driv")[1] == 1  # a word's beginning finds it
    assert lessons.library(lead, q="före utrullningen")[1] == 1  # å ä ö too, every word required
    assert lessons.library(lead, q="skrivaren lathund")[1] == 0
    assert lessons.library(lead, q="NOT OR lathund")[1] == 0  # FTS operators are plain words
    assert lessons.library(lead, q='" * - ( ) :')[1] == 2  # no words: everything
    assert lessons.library(lead, tag="utskrift")[1] == 1
    lessons.create_lesson(rollout, {"title": "Intranätet", "origin_wave": 0,
                                    "action": "Länka till intranet.karlstad.se och servicedesk@karlstad.se, Straße 2.0"}, lead)
    for word in ("karlstad", "servicedesk", "straße", "Straße", "INTRANÄTET", "2"):
        assert lessons.library(lead, q=word)[1] == 1, word  # the same words on SQLite and PostgreSQL
    edited = lessons.library(lead, q="lathund")[0][0]
    lessons.update_lesson(edited, {"action": "Ett mejl till alla"}, lead)
    assert lessons.library(lead, q="lathund")[1] == 0 and lessons.library(lead, q="mejl")[1] == 1


def test_suggestions_come_from_other_rollouts_with_shared_tags(ctx, lead):
    from rollout.services import rollouts
    old, pilot, _wave1 = builders.pilot_in_review(lead, key="pc-2025")
    rollouts.update_rollout(old, {"name": old.name, "tags": ["windows", "pc"]}, lead)
    proven = lessons.create_lesson(old, {"title": "Image the PCs before", "origin_wave": 0,
                                         "tags": ["imaging"]}, lead)
    lessons.create_lesson(old, {"title": "Unrelated", "origin_wave": 0}, lead)
    dropped = lessons.create_lesson(old, {"title": "Dropped", "origin_wave": 0, "tags": ["pc"]}, lead)
    lessons.update_lesson(dropped, {"status": "dropped", "reason": "no"}, lead)
    new = rollouts.create_rollout({"key": "win12", "name": "Windows 12", "tags": "Windows, imaging"}, lead)
    wave0 = builders.make_wave(new, lead, name="Pilot", units=["Pilot"])
    suggested = lessons.suggestions(new, lead)
    assert [(lesson.title, shared) for lesson, shared in suggested][0] == ("Image the PCs before", ["imaging", "windows"])
    assert "Dropped" not in [lesson.title for lesson, _ in suggested]
    carried = lessons.carry(new, proven, lead)
    assert carried.rollout_id == new.id and carried.target_wave == wave0 and carried.source_lesson_id == proven.id
    assert proven.id not in [lesson.id for lesson, _ in lessons.suggestions(new, lead)]


def test_dot_votes_keep_the_budget(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Printing"}, lead)
    other = retro.add_card(pilot, {"kind": "went_well", "text": "Support"}, lead)
    for _ in range(4):
        retro.vote(card, lead)
    retro.vote(other, lead)
    with pytest.raises(GuardFailed) as failure:
        retro.vote(other, lead)
    assert failure.value.guard == "no_votes_left"
    retro.unvote(card, lead)
    retro.vote(other, lead)
    board = retro.board(pilot, lead)
    assert (card.votes, other.votes, board.votes_left) == (3, 2, 0)
    assert board.my_votes == {card.id: 3, other.id: 2}
    retro.unvote(card, lead)
    retro.unvote(card, lead)  # dots in slots 1 and 2 are free now; 3, 4 and 5 are taken
    retro.set_budget(pilot, 3, lead)
    with pytest.raises(GuardFailed):  # a lowered budget counts the dots already placed
        retro.vote(card, lead)


def test_the_retrospective_opens_with_the_waves_evidence(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    evidence = retro.wave_evidence(pilot, lead, "en")
    texts = {(t.code, t.text) for t in evidence.texts}
    assert ("could_be_better", "The printer did not work") in texts and evidence.texts_total == 4
    assert all(t.respondent for t in evidence.texts)
    assert {c.metric for c in evidence.changes} >= {"satisfaction", "worked_day_one", "problems:all"}
    assert all(c.before is None for c in evidence.changes)  # the pilot has no previous wave
    card = retro.card_from_answer(pilot, next(t.id for t in evidence.texts if t.code == "could_be_better"), None, lead)
    assert card.kind == "better" and card.source == "participant"


def test_themes_group_cards_and_become_lessons(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    a = retro.add_card(pilot, {"kind": "better", "text": "Printer A"}, lead)
    b = retro.add_card(pilot, {"kind": "better", "text": "Printer B"}, lead)
    theme = retro.create_theme(pilot, {"title": "Printing", "cards": [a.id, b.id]}, lead)
    retro.vote(a, lead)
    lesson = lessons.create_lesson(rollout, {"action": "New drivers"}, lead, theme=theme)
    assert (lesson.title, lesson.origin_wave, lesson.target_wave) == ("Printing", pilot, wave1)
    board = retro.board(pilot, lead)
    assert board.themes[0].votes == 1 and {c.id for c in board.themes[0].cards} == {a.id, b.id}
    assert board.themes[0].lessons == [lesson]


def test_a_planned_wave_has_no_retrospective_yet(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    with pytest.raises(GuardFailed):
        retro.add_card(wave1, {"kind": "idea", "text": "x"}, lead)
    assert isinstance(Lesson, type)


def test_anonymous_answers_carry_no_name_and_no_row_id(ctx, lead):
    from rollout.extensions import db
    from rollout.models import Answer
    rollout, pilot, wave1 = builders.pilot_in_review(lead, anonymous=True)
    evidence = retro.wave_evidence(pilot, lead, "en")
    row_ids = {str(i) for i in db.session.scalars(db.select(Answer.id))}
    assert evidence.texts and all(t.respondent is None and t.id not in row_ids for t in evidence.texts)
    assert [t.text for t in evidence.texts if t.code == "could_be_better"] == sorted(
        ["The printer did not work", "Too little information before"])  # by text, not by who answered first
    card = retro.card_from_answer(pilot, evidence.texts[0].id, None, lead)
    assert card.text == evidence.texts[0].text


def test_a_lesson_without_an_origin_is_learnt_in_the_latest_wave_that_was_heard(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "Say it earlier"}, lead)
    assert (lesson.origin_wave, lesson.target_wave) == (pilot, wave1)
    from rollout.models import RetroTheme
    from rollout.services.errors import NotFound
    other, other_pilot, _w = builders.pilot_in_review(lead, key="teams-2026")
    theme = retro.create_theme(other_pilot, {"title": "Elsewhere"}, lead)
    with pytest.raises(NotFound):  # a theme of another rollout is not this rollout's to use
        lessons.create_lesson(rollout, {"title": "x"}, lead, theme=theme)
    assert isinstance(theme, RetroTheme)


def test_proven_lessons_are_suggested_first_even_when_an_open_one_shares_more_tags(ctx, lead):
    from rollout.extensions import db
    from rollout.services import rollouts
    old, _pilot, _wave1 = builders.pilot_in_review(lead, key="pc-2025")
    open_one = lessons.create_lesson(old, {"title": "Open, three tags", "origin_wave": 0}, lead)
    proven = lessons.create_lesson(old, {"title": "Proven, one tag", "origin_wave": 0}, lead)
    planned = lessons.create_lesson(old, {"title": "Planned, three tags", "origin_wave": 0}, lead)
    rollouts.update_rollout(old, {"name": old.name, "tags": "windows"}, lead)
    lessons.update_lesson(open_one, {"tags": "pc, imaging"}, lead)
    lessons.update_lesson(planned, {"tags": "pc, imaging"}, lead)
    proven.status, planned.status = "verified_effective", "planned"  # as after a wave proved it
    db.session.commit()
    new = rollouts.create_rollout({"key": "win12", "name": "Windows 12", "tags": "Windows, pc, imaging"}, lead)
    assert [lesson.title for lesson, _shared in lessons.suggestions(new, lead)] == [
        "Proven, one tag", "Planned, three tags", "Open, three tags"]


def test_a_lesson_carried_in_before_the_rollout_has_waves_targets_its_first_wave(ctx, lead):
    old, pilot, _wave1 = builders.pilot_in_review(lead, key="pc-2025")
    source = lessons.create_lesson(old, {"title": "Image the PCs before", "origin_wave": 0}, lead)
    from rollout.services import rollouts
    new = rollouts.create_rollout({"key": "win12", "name": "Windows 12"}, lead)
    carried = lessons.carry(new, source, lead)
    assert carried.target_wave is None
    first = builders.make_wave(new, lead, name="Pilot", units=["Pilot"])
    from rollout.extensions import db
    db.session.refresh(carried)
    assert carried.target_wave == first  # no longer "no wave yet" for ever
    with pytest.raises(GuardFailed) as refused:
        waves.transition(first, "active", lead)  # and, like any lesson for a wave, it must be dealt with
    assert "Image the PCs before" in refused.value.message
    later = builders.make_wave(new, lead, name="Wave 1", units=["Rest"])
    db.session.refresh(carried)
    assert carried.target_wave == first and lessons.pending_for(later) == []


def test_a_carried_lesson_is_listed_once_in_the_library(ctx, lead):
    old, pilot, _wave1 = builders.pilot_in_review(lead, key="pc-2025")
    source = lessons.create_lesson(old, {"title": "Skrivare", "origin_wave": 0, "action": "Drivrutinen först",
                                         "tags": "utskrift"}, lead)
    from rollout.services import rollouts
    new = rollouts.create_rollout({"key": "win12", "name": "Windows 12"}, lead)
    lessons.carry(new, source, lead)
    found, total = lessons.library(lead, q="drivrutinen")
    assert total == 1 and [lesson.id for lesson in found] == [source.id]
    assert lessons.library_tags() == [("utskrift", 1)]
