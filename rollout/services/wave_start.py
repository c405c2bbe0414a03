"""Starting a very large wave outside the request: when the selection would take more than
WAVE_START_SYNC_MAX people, the lead's "start" queues a background job (services.jobs) and the
page (or the API's 202) shows the job; a runner then starts the wave.

The start itself stays one transaction (cohorts.fix_members, the state, the audit entry), so a
runner that dies midway leaves the wave planned with no member fixed, and the runner that takes
the job over starts it afresh: nothing half-done is ever visible, and a start committed just
before its runner died is recognised (the wave has started) rather than done twice. The job's
progress is the number of people the selection took when the lead asked; `result` gives the
members fixed once it is done."""
from __future__ import annotations

from typing import Any, Optional

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Job, JobState, User, Wave
from . import buckets, cohorts, jobs, waves
from .accounts import require_lead
from .errors import DomainError

KIND = "start_wave"
START_SYNC_MAX = 20_000  # people; a start that takes more runs as a job (config WAVE_START_SYNC_MAX)


class WaveGone(DomainError):
    status = 404
    code = "not_found"


def sync_max() -> int:
    return int(current_app.config.get("WAVE_START_SYNC_MAX", START_SYNC_MAX))


def pending_start(wave: Wave) -> Optional[Job]:
    """The start job queued or running for `wave`, if any (one at a time)."""
    return db.session.scalar(select(Job).where(
        Job.kind == KIND, Job.state.in_((JobState.QUEUED, JobState.RUNNING)),
        Job.params["wave_id"].as_integer() == wave.id).order_by(Job.id).limit(1))


def transition(wave: Wave, to: str, actor: Optional[User], *, decision: Optional[str] = None,
               rationale: str = "") -> Wave | Job:
    """waves.transition, except that a start taking more than sync_max() people is queued as a
    job (returned; it is the one already queued when the lead asks twice). The guards are checked
    first, so a start that cannot happen is refused at once, as a small one is."""
    if to == "active" and wave.state == "planned":
        require_lead(actor, wave.rollout)
        if (pending := pending_start(wave)) is not None:
            return pending
        found = waves.blockers(wave, to)
        if found:
            raise waves.refusal(wave, found)
        count = cohorts.preview_count(wave)
        if count > sync_max():
            language = str(get_locale() or "sv")
            params = {"wave_id": wave.id, "wave_number": wave.number, "rollout": wave.rollout.key, "language": language}
            return jobs.enqueue(KIND, params, actor,
                                rollout=wave.rollout, total=count)
    return waves.transition(wave, to, actor, decision=decision, rationale=rationale)


def start_step(job: Job, _scratch: dict[str, Any]) -> bool:
    """The job's one step: start the wave (one transaction), unless a runner already did."""
    wave = db.session.get(Wave, int(job.params["wave_id"]))
    if wave is None:
        raise WaveGone(_("The wave no longer exists."))
    if not wave.has_started:
        actor = db.session.get(User, job.actor_id) if job.actor_id is not None else None
        # in a job, any bucket still missing (people added since the lead asked) is written here,
        # in the start's transaction, rather than refused as a request refuses many
        buckets.top_up(wave.rollout)
        waves.transition(wave, "active", actor)  # commits the start, or raises GuardFailed
        job = db.session.get_one(Job, job.id)
    job.progress_total = job.progress_done = wave.members_count
    job.result = {"members": wave.members_count, "wave": wave.number, "rollout": wave.rollout.key}
    return True


def start_stopped(job: Job) -> None:
    """A cancelled start (services.jobs.STOPPED): the start is one step, so a cancel seen before it
    leaves the wave as it was; only a start committed just before its runner died has happened,
    and the result says so."""
    wave = db.session.get(Wave, int(job.params["wave_id"]))
    if wave is not None and wave.has_started:
        job.progress_total = job.progress_done = wave.members_count
        job.result = {"members": wave.members_count, "wave": wave.number, "rollout": wave.rollout.key,
                      "started": True}
    else:
        job.result = {"started": False}
