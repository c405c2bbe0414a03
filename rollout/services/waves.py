"""Waves: planning them, and the state machine that moves them.

    planned --start--> active --open feedback--> feedback --close--> review --decide--> done
    (any state but done) --pause--> paused --resume--> the state it was paused in
    (any state but done) --cancel--> cancelled

A guard that does not hold raises GuardFailed with the reason; it is never a
silent no-op.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from ..extensions import db
from ..models import DECISIONS, WAVE_STATES, Decision, Rollout, User, Wave
from ..models.types import utcnow
from ..models.vocabularies import Verdict, WaveState, labelled
from . import audit, bucket_jobs, cohorts, feedback, gates, lessons
from .accounts import require_lead
from .errors import FieldErrors, GuardFailed, NotFound, ValidationFailed
from .results import wave_results
from .validation import Limit, text_problem

FLOW = {"planned": "active", "active": "feedback", "feedback": "review", "review": "done"}
TERMINAL = ("done", "cancelled")
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_NAME = 200  # characters of a wave's name
FEEDBACK_DAYS = Limit(1, 90, _l("The feedback window is a whole number of days from 1 to 90."))


def state_label(state: str) -> str:
    return labelled(WaveState, {
        "planned": _("Planned"), "active": _("Active"), "feedback": _("Collecting feedback"),
        "review": _("In review"), "done": _("Done"), "paused": _("Paused"), "cancelled": _("Cancelled"),
    }).get(state, state)


def verdict_label(verdict: str) -> str:
    return labelled(Verdict, {"go": _("go"), "no_go": _("no go"),
                              "insufficient_evidence": _("insufficient evidence")}).get(verdict, verdict)


def title(wave: Wave) -> str:
    """"Wave 1: Kundcenter", but "Wave 1" alone when the name only repeats it ("Våg 1", "wave 1")."""
    label = _("Wave %(n)s", n=wave.number)
    name = (wave.name or "").strip()
    repeats = {label.casefold(), f"wave {wave.number}", f"våg {wave.number}"}
    return label if not name or name.casefold() in repeats else f"{label}: {name}"


def decisions(wave: Wave) -> list[Decision]:
    return list(db.session.scalars(select(Decision).where(Decision.wave_id == wave.id).order_by(Decision.id)))


def decision_as_dict(decision: Decision) -> dict:
    """A decision as the API and the JSON export give it, with the evidence it was made on."""
    return {"decision": decision.decision, "rationale": decision.rationale, "verdict": decision.verdict,
            "against_verdict": decision.against_verdict,
            "decided_by": decision.decided_by.email if decision.decided_by else None,
            "decided_at": decision.decided_at.isoformat() if decision.decided_at else None,
            "snapshot": decision.snapshot or {}}


def action_label(to: str, wave: Optional[Wave] = None) -> str:
    if to == "paused" and wave is not None and wave.state == "planned":
        return _("Hold: do not start on the planned date")
    if to == "paused":
        return _("Pause")
    if wave is not None and wave.state == "paused" and to == wave.paused_from:
        return _("Resume")
    return {
        "active": _("Start the wave"), "feedback": _("Open feedback"), "review": _("Close feedback"),
        "done": _("Record the decision"), "cancelled": _("Cancel the wave"),
    }.get(to, to)


def parse_when(value: object, field: str, problems: FieldErrors, *, end_of_day: bool = False) -> Optional[datetime]:
    """An ISO date or date-time; a bare date means the start (or end) of that day in Sweden."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return _in_range(value if value.tzinfo else value.replace(tzinfo=LOCAL_ZONE), field, problems)
    if isinstance(value, date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            return _in_range(datetime(value.year, 1, 1), field, problems)
        return datetime.combine(value, time.max if end_of_day else time.min, LOCAL_ZONE).replace(microsecond=0)
    try:
        text = str(value).strip()
        if len(text) == 10:
            return parse_when(date.fromisoformat(text), field, problems, end_of_day=end_of_day)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        problems.add(field, _("Give a date (YYYY-MM-DD) or date and time in ISO 8601."))
        return None
    return _in_range(parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_ZONE), field, problems)


def _in_range(value: datetime, field: str, problems: FieldErrors) -> Optional[datetime]:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        problems.add(field, _("Give a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR))
        return None
    return value


def _clean(data: dict, problems: FieldErrors, wave: Optional[Wave]) -> dict:
    clean: dict = {}
    name = str(data.get("name") or "").strip()
    if not name:
        problems.add("name", _("A name is required."))
    elif reason := text_problem(name, MAX_NAME):
        problems.add("name", reason)
    clean["name"] = name
    if wave is None or not wave.has_started:
        selection = data.get("selection")
        percentage = selection.get("percentage") if isinstance(selection, dict) else None
        clean["selection"], clean["percentage"] = cohorts.clean_selection(selection, percentage, problems)
    elif data.get("selection") is not None:
        selection = data["selection"]
        percentage = selection.get("percentage") if isinstance(selection, dict) else None
        wanted = cohorts.clean_selection(selection, percentage, FieldErrors())
        if wanted != cohorts.clean_selection(wave.selection, wave.percentage, FieldErrors()):
            raise GuardFailed("members_fixed", _("The wave has started: its members are fixed and its "
                                                 "selection cannot change."))
    start = parse_when(data.get("planned_start"), "planned_start", problems)
    end = parse_when(data.get("planned_end"), "planned_end", problems, end_of_day=True)
    if start and end and end < start:
        problems.add("planned_end", _("The planned end comes before the planned start."))
    clean["planned_start"], clean["planned_end"] = start, end
    given = data.get("feedback_days")
    feedback_days = 7 if given in (None, "") else FEEDBACK_DAYS.take(given)
    if feedback_days is None:
        problems.add("feedback_days", str(FEEDBACK_DAYS.message))
    clean["feedback_days"] = feedback_days or 7
    auto_advance = data.get("auto_advance", False)
    if not isinstance(auto_advance, bool):
        problems.add("auto_advance", _("Must be true or false."))
    clean["auto_advance"] = bool(auto_advance)
    return clean


def create_wave(rollout: Rollout, data: dict, actor: Optional[User]) -> Wave:
    require_lead(actor, rollout)
    problems = FieldErrors()
    clean = _clean(data, problems, None)
    problems.raise_if_any(_("The wave could not be created."))
    number = db.session.scalar(select(func.coalesce(func.max(Wave.number) + 1, 0)).where(Wave.rollout_id == rollout.id))
    wave = Wave(rollout_id=rollout.id, number=number, state="planned", **clean)
    db.session.add(wave)
    db.session.flush()
    targeted = lessons.target_waiting(wave)
    audit.record(actor, "wave.create", rollout=rollout, subject=f"{number}",
                 details=dict(_audit_view(clean), **({"lessons_targeted": targeted} if targeted else {})))
    db.session.commit()
    db.session.refresh(rollout)
    return wave


def update_wave(wave: Wave, data: dict, actor: Optional[User]) -> Wave:
    require_lead(actor, wave.rollout)
    if wave.state in TERMINAL:
        raise GuardFailed("terminal", _("A wave that is done or cancelled cannot be changed."))
    problems = FieldErrors()
    clean = _clean(data, problems, wave)
    problems.raise_if_any(_("The wave could not be saved."))
    for name, value in clean.items():
        setattr(wave, name, value)
    audit.record(actor, "wave.update", rollout=wave.rollout, subject=f"{wave.number}", details=_audit_view(clean))
    db.session.commit()
    return wave


def _audit_view(clean: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in clean.items()}


def get_wave(rollout: Rollout, number: int) -> Wave:
    wave = db.session.scalar(select(Wave).where(Wave.rollout_id == rollout.id, Wave.number == number))
    if wave is None:
        raise NotFound(_("No such wave."))
    return wave


def previous_wave(wave: Wave) -> Optional[Wave]:
    earlier = [w for w in wave.rollout.waves if w.number < wave.number and w.state != "cancelled"]
    return earlier[-1] if earlier else None


def targets(wave: Wave) -> list[str]:
    """The states this wave can be moved to from where it is (guards aside)."""
    if wave.state in TERMINAL:
        return []
    if wave.state == "paused":
        return [wave.paused_from, "cancelled"] if wave.paused_from else ["cancelled"]
    if wave.state == "planned" and not wave.auto_advance:
        # it starts only when a lead starts it: there is nothing to pause
        return [FLOW[wave.state], "cancelled"]
    return [FLOW[wave.state], "paused", "cancelled"]


def blockers(wave: Wave, to: str) -> list[tuple[str, str]]:
    """Why the wave cannot move to `to` now: (guard, message) pairs; empty when it can."""
    if to not in ("planned", "active", "feedback", "review", "done", "paused", "cancelled"):
        return [("unknown_state", _("There is no state called %(state)s.", state=to))]
    if wave.state == to:
        return [("same_state", _("The wave is already %(state)s.", state=state_label(to).lower()))]
    if to not in targets(wave):
        return [("not_allowed", _("A wave cannot go from %(from)s to %(to)s.",
                                  **{"from": state_label(wave.state).lower(), "to": state_label(to).lower()}))]
    found: list[tuple[str, str]] = []
    if to == "active" and wave.state == "planned":
        previous = previous_wave(wave)
        if previous is not None and previous.state != "done":
            found.append(("previous_wave_not_done",
                          _("Wave %(n)s (%(name)s) must be done, with a go decision, before this wave starts.",
                            n=previous.number, name=previous.name)))
        elif previous is not None and previous.decision != "go":
            found.append(("previous_wave_no_go",
                          _("Wave %(n)s (%(name)s) ended without a go decision.", n=previous.number, name=previous.name)))
        pending = lessons.pending_for(wave)
        if pending:
            found.append(("lessons_not_applied", ngettext(
                "%(num)s lesson for this wave is still open or planned: apply or defer it first (%(titles)s).",
                "%(num)s lessons for this wave are still open or planned: apply or defer them first (%(titles)s).",
                len(pending), titles="; ".join(lesson.title for lesson in pending[:5]))))
        sorting = None if found else bucket_jobs.sorting(wave.rollout)
        if sorting is not None:
            found.append(("buckets_pending", bucket_jobs.start_message(sorting)))
        elif not found and not cohorts.takes_anyone(wave):
            found.append(("no_members", _("The selection takes nobody: no one would be in this wave.")))
    return found


def refusal(wave: Wave, found: list[tuple[str, str]]) -> GuardFailed:
    """The error of a move that the guards `found` stop; while the rollout's people are still being
    sorted into buckets, one that names the job."""
    guard, message = found[0]
    if guard == "buckets_pending" and (job := bucket_jobs.pending(wave.rollout)) is not None:
        return bucket_jobs.BucketsPending(job, bucket_jobs.start_message(job))
    return GuardFailed(guard, message, [{"guard": g, "message": m} for g, m in found])


def transition(wave: Wave, to: str, actor: Optional[User], *, decision: Optional[str] = None, rationale: str = "") -> Wave:
    """Move a wave to the state `to`, or raise GuardFailed saying why not."""
    require_lead(actor, wave.rollout)
    if to not in WAVE_STATES:
        raise ValidationFailed(_("Unknown state."), [{"field": "to", "message": _(
            "Choose one of: %(states)s.", states=", ".join(s for s in WAVE_STATES if s != "planned"))}])
    if to == "done":
        return decide(wave, decision, rationale, actor)
    return _move(wave, to, actor)


def _move(wave: Wave, to: str, actor: Optional[User], extra: Optional[dict] = None) -> Wave:
    extra = extra or {}
    # Lock the row (PostgreSQL) so that two requests cannot both pass the guards.
    db.session.refresh(wave, with_for_update=True)
    found = blockers(wave, to)
    if found:
        db.session.rollback()
        raise refusal(wave, found)
    came_from = wave.state
    now = utcnow()
    if to == "paused":
        wave.paused_from = came_from
    elif came_from == "paused":
        wave.paused_from = None
    if came_from == "planned" and to == "active":
        wave.started_at = now
        cohorts.fix_members(wave)
    elif to == "feedback" and wave.feedback_opened_at is None:
        wave.feedback_opened_at = now
        feedback.open_feedback(wave)
    elif to == "review" and came_from == "feedback":
        wave.closed_at = now
    elif to == "done":
        wave.done_at = now
    if to == "done":
        wave.decision = extra.get("decision")
        wave.decision_rationale = extra.get("rationale", "")
    wave.state = to
    details = {"from": came_from, "to": to, **extra}
    if to == "active" and came_from == "planned":
        details["members"] = wave.members_count
    audit.record(actor, "wave.transition", rollout=wave.rollout, subject=f"{wave.number}", details=details)
    db.session.commit()
    return wave


def against_verdict(decision: Optional[str], verdict: str) -> bool:
    """Whether a decision goes against the gate's verdict, and so needs a rationale."""
    return (decision == "go" and verdict != "go") or (decision == "no_go" and verdict == "go")


def decide(wave: Wave, decision: Optional[str], rationale: str, actor: Optional[User]) -> Wave:
    """The lead's go / no-go / extend at the end of a wave's review.

    go and no_go end the wave (done); extend sends it back to collect more feedback.
    """
    require_lead(actor, wave.rollout)
    problems = FieldErrors()
    if decision not in DECISIONS:
        problems.add("decision", _("Choose go, no-go or extend."))
    rationale = (rationale or "").strip()
    if reason := text_problem(rationale, 5000):
        problems.add("rationale", reason)
    if wave.state != "review":
        raise GuardFailed("not_in_review", _("A decision is recorded when the wave is in review."))
    problems.raise_if_any(_("The decision could not be recorded."))
    results = wave_results(wave)
    evaluation = gates.evaluate(wave, results)
    against = against_verdict(decision, evaluation.verdict)
    if against and not rationale:
        raise ValidationFailed(_("The decision could not be recorded."), [{"field": "rationale", "message": _(
            "The gate's verdict is %(verdict)s: say why you decide otherwise.",
            verdict=verdict_label(evaluation.verdict))}])
    db.session.add(Decision(wave_id=wave.id, decision=decision, rationale=rationale, verdict=evaluation.verdict,
                            against_verdict=against, decided_by_id=actor.id if actor else None,
                            snapshot={"results": results.as_dict(), "gate": evaluation.as_dict(),
                                      "criteria": gates.criteria_for(wave)}))
    if decision == "extend":
        # more time to collect feedback: the window opens again for another feedback_days
        wave.closed_at = None
        wave.state = "feedback"
        wave.feedback_closes_at = utcnow() + timedelta(days=wave.feedback_days)
        audit.record(actor, "wave.transition", rollout=wave.rollout, subject=f"{wave.number}",
                     details={"decision": decision, "rationale": rationale, "from": "review", "to": "feedback"})
        db.session.commit()
        return wave
    return _move(wave, "done", actor, {"decision": decision, "rationale": rationale})

