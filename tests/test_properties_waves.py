"""The wave flow as a Hypothesis state machine: random sequences of the lead's actions (start,
open and close feedback, decide, pause, resume, cancel, change the percentage, plan and settle
lessons) and the participants' (answer, report a blocker) go through the real services on the
real database, beside a small model of DESIGN's "The flow of one wave". After every step the
database must agree with the model, and:

- only the moves DESIGN allows succeed (a planned wave can be held only if it would start by
  itself); a refused one raises the service's error, with the guard named, and changes nothing
  (the wave's row, its members, links, decisions and audit trail);
- a done or cancelled wave never changes again;
- members are fixed when a wave starts, are exactly the people whose bucket fits and who are in
  no earlier wave, and no one is in two waves; each member gets one feedback link, once;
- the recorded decision carries the gate's verdict, and going against it needs a reason;
- timestamps are set once and in order; closing again after an extension only moves forward.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Optional

from hypothesis import HealthCheck, settings, stateful
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import AuditEvent, Decision, FeedbackLink, Lesson, Membership, Person, ProblemReport, User, Wave
from rollout.services import cohorts, feedback, gates, lessons, waves
from rollout.services.errors import DomainError, GuardFailed, ValidationFailed

from . import builders
from .test_properties_buckets import free_names

FLOW_SETTINGS = settings(max_examples=25, stateful_step_count=40, derandomize=True, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow])
NEXT = {"planned": "active", "active": "feedback", "feedback": "review", "review": "done"}
TERMINAL = ("done", "cancelled")
MOVES = ("planned", "active", "feedback", "review", "paused", "cancelled")
# A gate whose verdict the model can tell without intervals (those are tests/test_properties_gates.py's):
# go on one answer, unless a blocker is open or a lesson for the next wave has no plan.
LENIENT_GATE = {"min_responses": 1, "min_response_rate": 0.0, "min_satisfied": 0.0, "max_open_blockers": 0}
PILOT_SIZE, REST_SIZE = 4, 10
KEY, PILOT_UNIT, REST_UNIT = "flow", "Pilot", "Rest"
PEOPLE = {PILOT_UNIT: [f"pil{i}" for i in range(1, PILOT_SIZE + 1)],
          REST_UNIT: [f"rest{i}" for i in range(1, REST_SIZE + 1)]}


@dataclass
class Expected:
    """What DESIGN says one wave should look like now."""

    unit: str
    percentage: Optional[int]
    auto_advance: bool = False
    state: str = "planned"
    paused_from: Optional[str] = None
    decision: Optional[str] = None
    members: Optional[set] = None  # external ids, fixed at start
    opened: bool = False
    responded: set = field(default_factory=set)
    blockers: set = field(default_factory=set)  # ids of open blocker reports


class WaveFlow(RuleBasedStateMachine):
    lead_id: int  # set by the test that runs the machine

    def __init__(self):
        super().__init__()
        # every run has the same rollout key and people, so the same buckets: a run replays exactly
        free_names([KEY], PEOPLE, [p for group in PEOPLE.values() for p in group])
        self.lead = db.session.get(User, self.lead_id)
        builders.make_people(PILOT_SIZE, unit=PILOT_UNIT, prefix="pil")
        builders.make_people(REST_SIZE, unit=REST_UNIT, prefix="rest")
        self.people = PEOPLE
        self.rollout = builders.make_rollout(KEY, lead=self.lead)
        self.key = self.rollout.key
        gates.set_rollout_gate(self.rollout, LENIENT_GATE, self.lead)
        # the last wave starts by itself on its planned date (the scheduler's, not run here)
        self.model = [Expected(PILOT_UNIT, None), Expected(REST_UNIT, 50), Expected(REST_UNIT, 100, auto_advance=True)]
        self.wave_ids = [builders.make_wave(self.rollout, self.lead, units=[m.unit], percentage=m.percentage,
                                            auto_advance=m.auto_advance).id for m in self.model]
        self.lessons: dict[int, tuple[int, str]] = {}  # lesson id -> (target wave, status)
        self.transitions = 0
        self.decisions = 0
        self.seen_times: list[dict] = [{} for _ in self.model]
        self.frozen: list[Optional[dict]] = [None for _ in self.model]

    def teardown(self):
        db.session.remove()

    # --- reading the database ------------------------------------------------------------------

    def wave(self, index: int) -> Wave:
        return db.session.get(Wave, self.wave_ids[index])

    def row(self, index: int) -> dict:
        db.session.expire_all()
        wave = self.wave(index)
        return {column.key: getattr(wave, column.key) for column in Wave.__table__.columns}

    def footprint(self, index: int) -> tuple:
        """The wave's row and everything a move may write."""
        wave_id = self.wave_ids[index]

        def count(model, *where):
            return db.session.scalar(select(func.count()).select_from(model).where(*where))
        return (self.row(index), count(Membership, Membership.wave_id == wave_id),
                count(FeedbackLink, FeedbackLink.wave_id == wave_id), count(Decision, Decision.wave_id == wave_id),
                count(AuditEvent, AuditEvent.rollout_id == self.rollout.id))

    def member_ids(self, index: int) -> set:
        return set(db.session.scalars(select(Person.external_id).join(Membership, Membership.person_id == Person.id)
                                      .where(Membership.wave_id == self.wave_ids[index])))

    # --- the model -----------------------------------------------------------------------------

    def chosen(self, index: int, taken: set) -> set:
        m = self.model[index]
        percentage = m.percentage if m.percentage is not None else 100
        return {p for p in self.people[m.unit] if cohorts.bucket(self.key, p) <= percentage} - taken

    def expected_members(self, index: int) -> set:
        """DESIGN: a bucket within the percentage, and in no earlier wave (cancelled ones hold nobody)."""
        taken: set = set()
        for earlier in range(index):
            m = self.model[earlier]
            if m.state != "cancelled":
                taken |= m.members if m.members is not None else self.chosen(earlier, taken)
        return self.chosen(index, taken)

    def previous(self, index: int) -> Optional[Expected]:
        earlier = [m for m in self.model[:index] if m.state != "cancelled"]
        return earlier[-1] if earlier else None

    def following(self, index: int) -> Optional[int]:
        later = [i for i in range(index + 1, len(self.model)) if self.model[i].state != "cancelled"]
        return later[0] if later else None

    def targets(self, m: Expected) -> list[str]:
        if m.state in TERMINAL:
            return []
        if m.state == "paused":
            return [m.paused_from, "cancelled"]
        if m.state == "planned" and not m.auto_advance:
            return ["active", "cancelled"]  # only a wave that would start by itself can be held
        return [NEXT[m.state], "paused", "cancelled"]

    def guard_for(self, index: int, to: str) -> Optional[str]:
        """The guard that should refuse moving wave `index` to `to`; None when the move is allowed."""
        m = self.model[index]
        if m.state == to:
            return "same_state"
        if to not in self.targets(m):
            return "not_allowed"
        if to == "active" and m.state == "planned":
            previous = self.previous(index)
            if previous is not None and previous.state != "done":
                return "previous_wave_not_done"
            if previous is not None and previous.decision != "go":
                return "previous_wave_no_go"
            if any(target == index and status in ("open", "planned") for target, status in self.lessons.values()):
                return "lessons_not_applied"
            if not self.expected_members(index):
                return "no_members"
        return None

    def expected_verdict(self, index: int) -> str:
        m = self.model[index]
        nxt = self.following(index)
        unplanned = nxt is not None and any(t == nxt and s == "open" for t, s in self.lessons.values())
        if m.blockers or unplanned:
            return "no_go"
        return "go" if m.responded else "insufficient_evidence"

    # --- the lead's actions --------------------------------------------------------------------

    @initialize(steps=st.integers(0, 4), answers=st.integers(0, PILOT_SIZE),
                detour=st.sampled_from([None, "nobody", "pause", "lesson", "blocker"]),
                decision=st.sampled_from(["go", "no_go", "extend"]))
    def a_head_start(self, steps, answers, detour, decision):
        """Start some runs with the pilot on its way: started, answered, closed, decided (each
        step checked like any other), with a pause, a lesson for wave 1 or a blocker on the way --
        or first a selection that (most likely) takes nobody."""
        if detour == "nobody":
            self.change_percentage(0, 1)
            self.move(0, "active")
            if self.model[0].state == "planned":
                self.change_percentage(0, None)
        for step in range(steps):
            if step == 2:
                self.answer_all(0, answers)
                if detour == "pause":
                    self.move(0, "paused")
                    self.move(0, "active")  # a pause resumes where it was, nowhere else
                elif detour == "lesson":
                    self.plan_lesson(1)
                elif detour == "blocker":
                    self.report_as(0, 0)
            self.step(0, decision)

    def answer_all(self, index, count):
        for who in range(count):
            self.answer_as(index, who, 4)

    @rule(decision=st.sampled_from(["go", "go", "no_go", "extend"]))
    def advance(self, decision):
        """The usual next step of the first wave still under way (start, open, close, decide,
        resume), so that runs get far into the flow; random moves are `move`'s."""
        index = next((i for i, m in enumerate(self.model) if m.state not in TERMINAL), None)
        if index is not None:
            self.step(index, decision)

    def step(self, index: int, decision: str = "go") -> None:
        m = self.model[index]
        if m.state == "paused":
            self.move(index, m.paused_from)
        elif m.state == "review":
            self.decide(index, decision, "The team looked at the answers together.")
        else:
            self.move(index, NEXT[m.state])

    @rule(index=st.integers(0, 2), to=st.sampled_from(MOVES))
    def move(self, index, to):
        m = self.model[index]
        guard = self.guard_for(index, to)
        before = self.footprint(index)
        came_from = m.state
        try:
            waves.transition(self.wave(index), to, self.lead)
        except GuardFailed as refused:
            assert guard is not None, f"wave {index}: {came_from} -> {to} was refused ({refused.guard})"
            assert refused.guard == guard and refused.message
            assert self.footprint(index) == before, "a refused move changed something"
            return
        assert guard is None, f"wave {index}: {came_from} -> {to} went through; expected {guard}"
        self.transitions += 1
        if to == "paused":
            m.paused_from = came_from
        elif came_from == "paused":
            m.paused_from = None
        if to == "active" and came_from == "planned":
            m.members = self.expected_members(index)
        if to == "feedback":
            m.opened = True
        m.state = to
        logged = db.session.scalar(select(AuditEvent).where(AuditEvent.rollout_id == self.rollout.id,
                                                           AuditEvent.action == "wave.transition")
                                  .order_by(AuditEvent.id.desc()).limit(1))
        assert (logged.details["from"], logged.details["to"]) == (came_from, to)

    @rule(index=st.integers(0, 2), decision=st.sampled_from(["go", "no_go", "extend", "maybe", None]),
          rationale=st.sampled_from(["", "The team looked at the answers together."]))
    def decide(self, index, decision, rationale):
        m = self.model[index]
        before = self.footprint(index)
        verdict = self.expected_verdict(index) if m.state == "review" else None
        against = (decision == "go" and verdict != "go") or (decision == "no_go" and verdict == "go")
        try:
            waves.transition(self.wave(index), "done", self.lead, decision=decision, rationale=rationale)
        except GuardFailed as refused:
            assert m.state != "review" and refused.guard == "not_in_review"
            assert self.footprint(index) == before
            return
        except ValidationFailed as refused:
            assert m.state == "review", "a decision outside review must be refused by its guard"
            field_name = refused.details[0]["field"]
            assert (field_name == "decision" and decision not in ("go", "no_go", "extend")) or \
                   (field_name == "rationale" and against and not rationale), refused.details
            assert self.footprint(index) == before
            return
        assert m.state == "review" and decision in ("go", "no_go", "extend")
        assert not (against and not rationale), "a decision against the gate went through without a reason"
        recorded = db.session.scalars(select(Decision).where(Decision.wave_id == self.wave_ids[index])
                                      .order_by(Decision.id.desc())).first()
        assert (recorded.decision, recorded.verdict, recorded.against_verdict) == (decision, verdict, against)
        assert recorded.snapshot["gate"]["verdict"] == verdict
        self.decisions += 1
        self.transitions += 1
        wave = self.wave(index)
        if decision == "extend":
            m.state = "feedback"
            assert wave.closed_at is None and wave.feedback_closes_at > wave.feedback_opened_at
        else:
            m.state, m.decision = "done", decision
            assert wave.decision_rationale == rationale

    @rule(index=st.integers(0, 2), percentage=st.sampled_from([None, 1, 25, 50, 100]))
    def change_percentage(self, index, percentage):
        m = self.model[index]
        before = self.footprint(index)
        wave = self.wave(index)
        data = {"name": wave.name, "auto_advance": m.auto_advance,
                "selection": {"units": [m.unit], "percentage": percentage}}
        try:
            waves.update_wave(wave, data, self.lead)
        except GuardFailed as refused:
            expected = "terminal" if m.state in TERMINAL else "members_fixed"
            assert refused.guard == expected and (m.state in TERMINAL or m.members is not None)
            assert m.state in TERMINAL or percentage != m.percentage
            assert self.footprint(index) == before
            return
        assert m.state not in TERMINAL
        if m.members is None:
            m.percentage = percentage
        else:
            assert percentage == m.percentage, "a started wave's selection changed"

    @rule(index=st.integers(0, 2))
    def plan_lesson(self, index):
        m = self.model[index]
        try:
            lesson = lessons.create_lesson(self.rollout, {"title": f"Lesson for wave {index}", "origin_wave": None,
                                                          "target_wave": index}, self.lead)
        except ValidationFailed:
            assert m.state == "cancelled" or m.members is not None
            return
        assert m.state != "cancelled" and m.members is None
        self.lessons[lesson.id] = (index, "open")

    @precondition(lambda self: any(s in ("open", "planned") for _, s in self.lessons.values()))
    @rule(data=st.data(), status=st.sampled_from(["planned", "applied", "deferred"]))
    def settle_lesson(self, data, status):
        lesson_id = data.draw(st.sampled_from(sorted(i for i, (_, s) in self.lessons.items()
                                                     if s in ("open", "planned"))))
        target, _ = self.lessons[lesson_id]
        lessons.update_lesson(db.session.get(Lesson, lesson_id), {"status": status, "reason": "Next time."}, self.lead)
        self.lessons[lesson_id] = (target, status)
        assert db.session.get(Lesson, lesson_id).status == status

    # --- the participants' actions -------------------------------------------------------------

    def token(self, index: int, who: int) -> tuple[str, str]:
        tokens = sorted(builders.wave_tokens(self.wave(index)).items())
        return tokens[who % len(tokens)]

    @precondition(lambda self: any(m.opened for m in self.model))
    @rule(data=st.data(), people=st.lists(st.integers(0, REST_SIZE - 1), min_size=1, max_size=3),
          rating=st.integers(1, 5))
    def answer(self, data, people, rating):
        index = data.draw(st.sampled_from([i for i, m in enumerate(self.model) if m.opened]))
        for who in people:
            self.answer_as(index, who, rating)

    def answer_as(self, index, who, rating):
        m = self.model[index]
        person, token = self.token(index, who)
        try:
            feedback.submit(token, {"satisfaction": rating, "worked_day_one": "yes"})
        except DomainError:
            assert m.state != "feedback", "an answer in the feedback window was refused"
            return
        assert m.state == "feedback", f"an answer was taken in state {m.state}"
        m.responded.add(person)

    @precondition(lambda self: any(m.opened for m in self.model))
    @rule(data=st.data(), who=st.integers(0, REST_SIZE - 1))
    def report_blocker(self, data, who):
        self.report_as(data.draw(st.sampled_from([i for i, m in enumerate(self.model) if m.opened])), who)

    def report_as(self, index, who):
        m = self.model[index]
        _, token = self.token(index, who)
        try:
            report = feedback.report_problem(token, {"category": "login", "severity": "blocker",
                                                     "description": "Nothing starts."})
        except DomainError:
            assert m.state not in feedback.REPORTING_STATES, f"a report was refused in state {m.state}"
            return
        assert m.state in feedback.REPORTING_STATES, f"a report was taken in state {m.state}"
        assert m.state not in TERMINAL, "a report was taken after the decision"
        m.blockers.add(report.id)

    @precondition(lambda self: any(m.blockers for m in self.model))
    @rule(data=st.data())
    def resolve_blocker(self, data):
        index = data.draw(st.sampled_from([i for i, m in enumerate(self.model) if m.blockers]))
        report_id = data.draw(st.sampled_from(sorted(self.model[index].blockers)))
        feedback.triage(db.session.get(ProblemReport, report_id), "resolved", "", self.lead)
        self.model[index].blockers.discard(report_id)

    # --- after every step ----------------------------------------------------------------------

    @invariant()
    def the_database_agrees_with_the_model(self):
        db.session.expire_all()
        memberships: dict[int, set] = {}
        for index, m in enumerate(self.model):
            wave = self.wave(index)
            row = {column.key: getattr(wave, column.key) for column in Wave.__table__.columns}
            assert (row["state"], row["paused_from"], row["decision"]) == (m.state, m.paused_from, m.decision), index
            assert wave.responses_count == len(m.responded)
            members = self.member_ids(index)
            if m.members is None:
                assert not members and row["members_count"] == 0 and row["started_at"] is None
                if m.state != "cancelled":
                    assert {c.external_id for c in cohorts.preview(wave)} == self.expected_members(index)
            else:
                assert members == m.members and row["members_count"] == len(members) and row["started_at"]
                if m.state != "cancelled":
                    memberships[index] = members
            links = list(db.session.scalars(select(FeedbackLink.person_id).where(FeedbackLink.wave_id == wave.id)))
            if m.opened:
                assert row["feedback_opened_at"] and row["questionnaire_id"]
                assert len(links) == len(set(links)) == len(members), "one link per member, exactly once"
            else:
                assert not links and row["feedback_opened_at"] is None
            self.check_times(index, m, row)
            if m.state in TERMINAL:
                # a done or cancelled wave never changes again, in any column
                self.frozen[index] = self.frozen[index] or row
                assert row == self.frozen[index], f"wave {index} changed after it was {m.state}"
        for a, b in itertools.combinations(memberships.values(), 2):
            assert not a & b, "someone is in two waves"
        transitions = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.rollout_id == self.rollout.id, AuditEvent.action == "wave.transition"))
        decisions = db.session.scalar(select(func.count()).select_from(Decision).where(
            Decision.wave_id.in_(self.wave_ids)))
        assert (transitions, decisions) == (self.transitions, self.decisions)

    def check_times(self, index: int, m: Expected, row: dict) -> None:
        """Set once and in order; closing again after an extension only moves forward."""
        seen = self.seen_times[index]
        for name in ("started_at", "feedback_opened_at", "done_at"):
            if seen.get(name) is not None:
                assert row[name] == seen[name], f"{name} of wave {index} moved"
        if seen.get("closed_at") is not None and row["closed_at"] is not None:
            assert row["closed_at"] >= seen["closed_at"]
        assert (row["done_at"] is not None) == (m.state == "done")
        if m.state == "review" or (m.state == "paused" and m.paused_from == "review"):
            assert row["closed_at"] is not None
        names = ("started_at", "feedback_opened_at", "closed_at", "done_at")
        times = [row[name] for name in names if row[name] is not None]
        assert times == sorted(times), f"wave {index}: {times}"
        seen.update({name: row[name] for name in names if row[name] is not None})


def test_the_wave_flow_keeps_its_rules(ctx, lead):
    machine = type("WaveFlowRun", (WaveFlow,), {"lead_id": lead.id})
    stateful.run_state_machine_as_test(machine, settings=FLOW_SETTINGS)
