"""The wave flow and its guards (services, no HTTP)."""
from __future__ import annotations

import pytest

from rollout.extensions import db
from rollout.models import AuditEvent, Membership
from rollout.services import waves
from rollout.services.errors import GuardFailed, NotAllowed, NotFound, ValidationFailed
from rollout.services.rollouts import set_role

from . import builders


@pytest.fixture
def planned(ctx, lead):
    builders.make_people(40)
    rollout = builders.make_rollout(lead=lead)
    pilot = builders.make_wave(rollout, lead, people=["p1", "p2", "p3"])
    wave1 = builders.make_wave(rollout, lead, percentage=50)
    return rollout, pilot, wave1


def test_waves_are_numbered_from_the_pilot(planned):
    rollout, pilot, wave1 = planned
    assert (pilot.number, wave1.number) == (0, 1)
    assert pilot.is_pilot and not wave1.is_pilot
    assert pilot.state == wave1.state == "planned"


def test_the_whole_flow_records_times_members_and_the_decision(planned, lead):
    _, pilot, _ = planned
    waves.transition(pilot, "active", lead)
    assert pilot.state == "active" and pilot.started_at and pilot.members_count == 3
    assert db.session.query(Membership).filter_by(wave_id=pilot.id).count() == 3
    waves.transition(pilot, "feedback", lead)
    assert pilot.feedback_opened_at
    waves.transition(pilot, "review", lead)
    assert pilot.closed_at
    waves.transition(pilot, "done", lead, decision="go", rationale="Everyone could work on day one.")
    assert pilot.state == "done" and pilot.decision == "go" and pilot.done_at
    assert pilot.decision_rationale == "Everyone could work on day one."
    moves = [e.details for e in db.session.query(AuditEvent).filter_by(action="wave.transition").order_by(AuditEvent.id)]
    assert [(m["from"], m["to"]) for m in moves] == [
        ("planned", "active"), ("active", "feedback"), ("feedback", "review"), ("review", "done")]
    assert moves[0]["members"] == 3 and moves[-1]["decision"] == "go"


def test_the_next_wave_waits_for_a_go_decision(planned, lead):
    _, pilot, wave1 = planned
    with pytest.raises(GuardFailed) as caught:
        waves.transition(wave1, "active", lead)
    assert caught.value.guard == "previous_wave_not_done"
    assert "Wave 0" in caught.value.message or "Våg 0" in caught.value.message
    builders.run_to_done(pilot, lead, decision="no_go")
    with pytest.raises(GuardFailed) as caught:
        waves.transition(wave1, "active", lead)
    assert caught.value.guard == "previous_wave_no_go"
    assert wave1.state == "planned" and wave1.members_count == 0


def test_go_lets_the_next_wave_start_without_the_pilots_people(planned, lead):
    _, pilot, wave1 = planned
    builders.run_to_done(pilot, lead)
    waves.transition(wave1, "active", lead)
    members = {m.person.external_id for m in db.session.query(Membership).filter_by(wave_id=wave1.id)}
    assert members and not members & {"p1", "p2", "p3"}


@pytest.mark.parametrize("to", ["feedback", "review", "done"])
def test_steps_cannot_be_skipped(planned, lead, to):
    _, pilot, _ = planned
    with pytest.raises((GuardFailed, ValidationFailed)):
        waves.transition(pilot, to, lead, decision="go")
    assert pilot.state == "planned"


def test_moving_to_the_same_state_says_so(planned, lead):
    _, pilot, _ = planned
    waves.transition(pilot, "active", lead)
    with pytest.raises(GuardFailed) as caught:
        waves.transition(pilot, "active", lead)
    assert caught.value.guard == "same_state"


def test_pause_resumes_to_where_it_was(planned, lead):
    _, pilot, _ = planned
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    waves.transition(pilot, "paused", lead)
    assert pilot.state == "paused" and pilot.paused_from == "feedback"
    with pytest.raises(GuardFailed):
        waves.transition(pilot, "review", lead)
    waves.transition(pilot, "feedback", lead)
    assert pilot.state == "feedback" and pilot.paused_from is None


def test_a_paused_planned_wave_resumes_to_planned_without_members(planned, lead):
    _, pilot, _ = planned
    with pytest.raises(GuardFailed):  # it starts only by hand: nothing to pause
        waves.transition(pilot, "paused", lead)
    waves.update_wave(pilot, {"name": pilot.name, "selection": {**pilot.selection, "percentage": pilot.percentage},
                              "auto_advance": True, "planned_start": "2030-01-10"}, lead)
    waves.transition(pilot, "paused", lead)  # held: it will not start by itself on its date
    waves.transition(pilot, "planned", lead)
    assert pilot.state == "planned" and pilot.members_count == 0


def test_cancel_from_any_state_but_done(planned, lead):
    _, pilot, wave1 = planned
    builders.run_to_done(pilot, lead)
    with pytest.raises(GuardFailed):
        waves.transition(pilot, "cancelled", lead)
    waves.transition(wave1, "cancelled", lead)
    assert wave1.state == "cancelled"
    with pytest.raises(GuardFailed):
        waves.transition(wave1, "active", lead)


def test_extend_sends_the_wave_back_to_feedback(planned, lead):
    _, pilot, _ = planned
    for state in ("active", "feedback", "review"):
        waves.transition(pilot, state, lead)
    waves.decide(pilot, "extend", "Too few answers yet.", lead)
    assert pilot.state == "feedback" and pilot.closed_at is None and pilot.decision is None


def test_a_decision_needs_a_known_choice(planned, lead):
    _, pilot, _ = planned
    for state in ("active", "feedback", "review"):
        waves.transition(pilot, state, lead)
    with pytest.raises(ValidationFailed):
        waves.decide(pilot, "maybe", "", lead)
    with pytest.raises(ValidationFailed):
        waves.transition(pilot, "done", lead)
    assert pilot.state == "review"


def test_only_leads_move_waves(planned, lead):
    rollout, pilot, _ = planned
    reviewer = builders.make_user("reviewer@example.se", "Rita Reviewer")
    outsider = builders.make_user("outsider@example.se", "Otto Outsider")
    set_role(rollout, reviewer.email, "reviewer", lead)
    with pytest.raises(NotAllowed):
        waves.transition(pilot, "active", reviewer)
    with pytest.raises(NotFound):
        waves.transition(pilot, "active", outsider)
    assert pilot.state == "planned"


def test_the_selection_is_frozen_once_started(planned, lead):
    _, pilot, _ = planned
    waves.transition(pilot, "active", lead)
    waves.update_wave(pilot, {"name": "Renamed pilot"}, lead)
    assert pilot.name == "Renamed pilot"
    with pytest.raises(GuardFailed) as caught:
        waves.update_wave(pilot, {"name": "Renamed pilot", "selection": {"people": ["p9"]}}, lead)
    assert caught.value.guard == "members_fixed"
    db.session.refresh(pilot)
    assert pilot.selection["people"] == ["p1", "p2", "p3"] and pilot.members_count == 3
    # sending the same selection back (as a client that echoes the wave does) is fine
    waves.update_wave(pilot, {"name": "Pilot", "selection": {"people": ["p1", "p2", "p3"]}}, lead)
    assert pilot.name == "Pilot"


def test_planned_dates_are_checked(planned, lead):
    rollout, _, _ = planned
    with pytest.raises(ValidationFailed) as caught:
        builders.make_wave(rollout, lead, percentage=100, planned_start="2027-03-10", planned_end="2027-03-01")
    assert {"planned_end"} == {d["field"] for d in caught.value.details}
    with pytest.raises(ValidationFailed) as caught:
        builders.make_wave(rollout, lead, percentage=100, planned_start="next tuesday")
    assert {"planned_start"} == {d["field"] for d in caught.value.details}
    wave = builders.make_wave(rollout, lead, percentage=100, planned_start="2027-03-01", planned_end="2027-03-10")
    assert wave.planned_start.isoformat().startswith("2027-02-28T23:00")  # midnight in Stockholm, in UTC


def test_two_leads_starting_at_once_start_the_wave_once(app, is_postgres, lead):
    """Two requests racing to start the same wave: one wins, the other is told why, members are made once."""
    if not is_postgres:
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    import threading

    from rollout.models import Rollout, Wave

    builders.make_people(30)
    rollout = builders.make_rollout(lead=lead)
    builders.make_wave(rollout, lead, percentage=100)
    outcomes, barrier = [], threading.Barrier(2)

    def start():
        with app.app_context():
            wave = db.session.query(Wave).join(Rollout).filter(Rollout.key == rollout.key).one()
            barrier.wait()
            try:
                waves.transition(wave, "active", None)
                outcomes.append("started")
            except GuardFailed as error:
                outcomes.append(error.guard)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["same_state", "started"]
    db.session.expire_all()
    assert db.session.query(Membership).count() == 30
