"""The gate between wave N and wave N+1: criteria (rollout defaults, per-wave
overrides), their evaluation on the intervals, and the verdict.

A criterion on a share passes when the interval's pessimistic end meets the
threshold, fails when even its optimistic end does not, and is unclear in
between. The verdict is `go` when every criterion passes, `no_go` when one
fails (or a blocker is open), and `insufficient_evidence` otherwise -- so a
small pilot neither passes on luck nor fails on noise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

from flask_babel import gettext as _
from flask_babel import ngettext

from ..extensions import db
from ..models import Rollout, User, Wave
from . import audit, lessons
from .accounts import require_lead
from .errors import FieldErrors
from .results import WaveResults, wave_results
from .stats import Estimate

DEFAULTS = {"min_responses": 5, "min_response_rate": 0.5, "min_satisfied": 0.6, "max_open_blockers": 0,
            "lessons_ready": True}
SHARES = ("min_response_rate", "min_satisfied")
MAX_COUNT = 100000  # the largest number of responses or open blockers a gate can ask for


@dataclass
class Criterion:
    name: str
    passed: Optional[bool]  # None: the evidence does not settle it
    value: Optional[float]
    threshold: Optional[float]
    low: Optional[float]
    high: Optional[float]
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class GateEvaluation:
    verdict: str
    criteria: list[Criterion]

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "criteria": [c.as_dict() for c in self.criteria]}


def rollout_criteria(rollout: Rollout) -> dict:
    """The criteria every wave of the rollout is held to unless it overrides them."""
    return {**DEFAULTS, **(rollout.gate or {})}


def criteria_for(wave: Wave) -> dict:
    """The criteria the wave is held to: the rollout's, with the wave's own overrides."""
    return {**rollout_criteria(wave.rollout), **(wave.gate_overrides or {})}


def clean_criteria(data: object, problems: FieldErrors, *, partial: bool = True) -> dict:
    """Validate gate settings; shares are given as 0..1."""
    clean: dict[str, Any] = {}
    if not isinstance(data, dict):
        problems.add("gate", _("The gate is an object of criteria."))
        return clean
    for name, value in data.items():
        if name not in DEFAULTS:
            problems.add(f"gate.{name}", _("There is no gate criterion %(name)s.", name=str(name)[:50]))
            continue
        if value is None and partial:
            clean[name] = None  # back to the default
            continue
        if name == "lessons_ready":
            if not isinstance(value, bool):
                problems.add(f"gate.{name}", _("Must be true or false."))
            else:
                clean[name] = value
        elif name in SHARES:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                problems.add(f"gate.{name}", _("A share from 0 to 1 (0.6 is 60 %)."))
            else:
                clean[name] = float(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
                problems.add(f"gate.{name}", _("A whole number, 0 or more."))
            else:
                clean[name] = value
    return clean


def set_rollout_gate(rollout: Rollout, data: dict, actor: Optional[User]) -> dict:
    require_lead(actor, rollout)
    problems = FieldErrors()
    clean = clean_criteria(data, problems)
    problems.raise_if_any(_("The gate could not be saved."))
    gate = {**(rollout.gate or {}), **clean}
    rollout.gate = {k: v for k, v in gate.items() if v is not None}
    audit.record(actor, "gate.rollout", rollout=rollout, details=clean)
    db.session.commit()
    return rollout_criteria(rollout)


def set_wave_gate(wave: Wave, data: dict, actor: Optional[User]) -> dict:
    require_lead(actor, wave.rollout)
    problems = FieldErrors()
    clean = clean_criteria(data, problems)
    problems.raise_if_any(_("The gate could not be saved."))
    overrides = {**(wave.gate_overrides or {}), **clean}
    wave.gate_overrides = {k: v for k, v in overrides.items() if v is not None}
    audit.record(actor, "gate.wave", rollout=wave.rollout, subject=f"{wave.number}", details=clean)
    db.session.commit()
    return criteria_for(wave)


def _share(name: str, estimate: Optional[Estimate], threshold: float, label: str) -> Criterion:
    if estimate is None or estimate.value is None or estimate.low is None or estimate.high is None:
        return Criterion(name, None, None, threshold, None, None, _("No answers yet."))
    if estimate.low >= threshold:
        passed, detail = True, _("Even the pessimistic end (%(low)s) reaches %(t)s.", low=_pct(estimate.low), t=_pct(threshold))
    elif estimate.high < threshold:
        passed, detail = False, _("Even the optimistic end (%(high)s) is below %(t)s.", high=_pct(estimate.high), t=_pct(threshold))
    else:
        passed, detail = None, _("%(label)s is %(value)s, but the interval %(low)s–%(high)s includes %(t)s: too few answers to tell.",
                                 label=label, value=_pct(estimate.value), low=_pct(estimate.low),
                                 high=_pct(estimate.high), t=_pct(threshold))
    return Criterion(name, passed, estimate.value, threshold, estimate.low, estimate.high, detail)


def _pct(value: float) -> str:
    return f"{round(100 * value)} %"


def lessons_pending(wave: Wave) -> Optional[int]:
    """Lessons targeted at the next wave that still have no plan (status open); None when no
    lesson targets the next wave."""
    return lessons.not_ready_for_next(wave)


def evaluate(wave: Wave, results: Optional[WaveResults] = None) -> GateEvaluation:
    results = results or wave_results(wave)
    settings = criteria_for(wave)
    criteria = []
    minimum = settings["min_responses"]
    if results.responded >= minimum:
        passed, detail = True, _("%(n)s of at least %(min)s responses.", n=results.responded, min=minimum)
    elif results.invited < minimum:
        # cannot be met whatever happens: a fail, so that the lead changes the wave or the gate
        passed, detail = False, _("Only %(n)s were invited; the gate asks for %(min)s responses.",
                                  n=results.invited, min=minimum)
    else:
        # too few answers say nothing about the change: not enough evidence, never a no-go by itself
        passed, detail = None, _("%(n)s of at least %(min)s responses.", n=results.responded, min=minimum)
    criteria.append(Criterion("min_responses", passed, results.responded, minimum, None, None, detail))
    criteria.append(_share("min_response_rate", results.response_rate, settings["min_response_rate"],
                           _("The response rate")))
    satisfied = results.satisfied()
    criteria.append(_share("min_satisfied", satisfied, settings["min_satisfied"], _("The satisfied share")))
    if results.hidden:
        criteria[-1].detail = _("Hidden: fewer respondents than the anonymity threshold.")
    blockers = results.problems["open_blockers"]
    criteria.append(Criterion("max_open_blockers", blockers <= settings["max_open_blockers"], blockers,
                              settings["max_open_blockers"], None, None,
                              ngettext_blockers(blockers)))
    if settings["lessons_ready"]:
        pending = lessons_pending(wave)
        criteria.append(Criterion("lessons_ready", pending in (None, 0), pending or 0, 0, None, None,
                                  _("No lessons target the next wave.") if pending is None else
                                  _("Every lesson for the next wave has a plan.") if pending == 0 else
                                  ngettext("%(num)s lesson for the next wave is still open, without a plan.",
                                           "%(num)s lessons for the next wave are still open, without a plan.",
                                           pending)))
    if blockers > 0 or any(c.passed is False for c in criteria):
        verdict = "no_go"
    elif all(c.passed for c in criteria):
        verdict = "go"
    else:
        verdict = "insufficient_evidence"
    return GateEvaluation(verdict, criteria)


def ngettext_blockers(count: int) -> str:
    return ngettext("%(num)s open blocker.", "%(num)s open blockers.", count)
