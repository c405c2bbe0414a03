"""Results of a wave, aggregated in SQL: invited, responded, the response rate,
per question the satisfied share / mean / distribution with intervals (from the
tallies kept current with the answers, services/tallies.py), problems per 100
members by category, hours lost. A fixed number of queries, and per question a
few rows, whatever the number of responses."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from sqlalchemy import func, select

from ..extensions import db
from ..models import ProblemReport, Question, Questionnaire, Rollout, User, Wave
from . import questionnaires, tallies
from .accounts import require_view
from .frozen import frozen_questionnaire
from .stats import Estimate, mean_interval, wilson
from .tallies import SATISFIED_FROM  # noqa: F401  (a rating of 4 or 5 counts as satisfied)

HOURS_LOST = "hours_lost"


@dataclass
class QuestionResult:
    code: str
    kind: str
    prompt: dict
    answered: int
    satisfied: Optional[Estimate] = None  # rating: share of 4-5
    mean: Optional[Estimate] = None  # rating, nps, number
    share_yes: Optional[Estimate] = None  # yes_no
    nps: Optional[float] = None  # promoters minus detractors, in points
    total: Optional[float] = None  # number: the sum (hours lost in all)
    distribution: dict = field(default_factory=dict)  # option or value -> count
    hidden: bool = False

    def as_dict(self) -> dict:
        data = {"code": self.code, "kind": self.kind, "prompt": self.prompt, "answered": self.answered,
                "hidden": self.hidden}
        for name in ("satisfied", "mean", "share_yes"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value.as_dict()
        if self.nps is not None:
            data["nps"] = self.nps
        if self.total is not None:
            data["total"] = self.total
        if self.distribution:
            data["distribution"] = self.distribution
        return data


@dataclass
class WaveResults:
    wave: Wave
    invited: int
    responded: int
    response_rate: Estimate
    questions: dict[str, QuestionResult]
    problems: dict  # {"total", "open_blockers", "by_category": {code: {"count", "per_100"}}, "by_severity"}
    hours_lost: Optional[dict]
    hidden: bool  # an anonymous rollout with fewer respondents than k

    def satisfied(self) -> Optional[Estimate]:
        result = self.questions.get("satisfaction")
        return result.satisfied if result and not result.hidden else None

    def as_dict(self) -> dict:
        return {"wave": self.wave.number, "invited": self.invited, "responded": self.responded,
                "response_rate": self.response_rate.as_dict(),
                "questions": {code: q.as_dict() for code, q in self.questions.items()},
                "problems": self.problems, "hours_lost": self.hours_lost, "hidden": self.hidden}


def answers_hidden(wave: Wave) -> bool:
    """Whether only counts of `wave` may be shown: an anonymous rollout with fewer respondents than
    its k. Pages, API, exports and the retrospective all ask this one function, so that what is
    hidden in one place is hidden in every other (no answers, free texts, distributions or means)."""
    rollout = wave.rollout
    return bool(rollout.anonymous and 0 < wave.responses_count < rollout.anonymity_k)


def wave_results(wave: Wave, actor: Optional[User] = None) -> WaveResults:
    rollout = wave.rollout
    require_view(actor, rollout)
    invited = wave.members_count if wave.feedback_opened_at else 0
    responded = wave.responses_count
    hidden = answers_hidden(wave)
    questions: dict[str, QuestionResult] = {}
    questionnaire = frozen_questionnaire(wave.questionnaire_id) if wave.questionnaire_id else None
    if questionnaire is not None:
        questions = _question_results(wave, questionnaire, hidden)
    return WaveResults(wave, invited, responded, wilson(responded, invited), questions,
                       _problems(wave), _hours(questions), hidden)


def _question_results(wave: Wave, questionnaire: Questionnaire, hidden: bool) -> dict[str, QuestionResult]:
    # the tallies kept with the answers (services/tallies.py): one query, a few rows per question
    numbers, distribution = tallies.of_wave(wave.id)
    results = {}
    for q in questionnaire.questions:
        row = numbers.get(q.code)
        result = QuestionResult(q.code, q.kind, {"sv": q.prompt_sv, "en": q.prompt_en}, row.answered if row else 0,
                                hidden=hidden)
        if not hidden:
            n = row.n if row else 0
            if q.kind in ("rating", "nps", "number"):
                mean = mean_interval(n, float(row.total or 0) if row else 0, float(row.squares or 0) if row else 0)
                result.mean = within_scale(mean, *_scale(q))
            if q.kind == "rating":
                result.satisfied = wilson(int(row.high or 0) if row else 0, n)
            if q.kind == "nps" and n and row:
                result.nps = round(100 * (int(row.promoters or 0) - int(row.detractors or 0)) / n, 1)
            if q.kind == "number":
                result.total = float(row.total or 0) if row else 0.0
            if q.kind == "yes_no":
                counts = distribution.get(q.code, {})
                result.share_yes = wilson(counts.get("yes", 0), counts.get("yes", 0) + counts.get("no", 0))
            if q.kind in ("rating", "nps", "choice", "multi", "yes_no"):
                result.distribution = _ordered(q, distribution.get(q.code, {}))
        results[q.code] = result
    return results


def _scale(q: Question) -> tuple[Optional[float], Optional[float]]:
    """The least and the most an answer can be: 1-5, 0-10, or a number question's own limits."""
    if q.kind == "rating":
        return 1.0, 5.0
    if q.kind == "nps":
        return 0.0, 10.0
    return q.min_value, q.max_value


def within_scale(estimate: Estimate, least: Optional[float], most: Optional[float]) -> Estimate:
    """The mean's interval cut to what the scale allows: a mean of answers 1-5 lies in 1-5, hours
    lost are never below 0 (the t-interval alone said "3.80 (2.2-5.4)" and "(-1.5-6.7)")."""
    if estimate.low is None or estimate.high is None:
        return estimate
    low = estimate.low if least is None else max(estimate.low, least)
    high = estimate.high if most is None else min(estimate.high, most)
    return replace(estimate, low=low, high=high)


def _ordered(q: Question, counts: dict[str, int]) -> dict[str, int]:
    if q.kind == "rating":
        keys = [str(i) for i in range(1, 6)]
    elif q.kind == "nps":
        keys = [str(i) for i in range(0, 11)]
    elif q.kind == "yes_no":
        keys = ["yes", "no"]
    else:
        keys = [o["value"] for o in q.options or []]
    return {key: counts.get(key, 0) for key in keys}


def per_100(count: int, members: int) -> Optional[float]:
    """Reports per 100 members, rounded once to the one decimal every page, chart and export shows.

    A wave's total is computed from its own count, never added up from its
    categories' rounded values (1 + 1 reports in 6 members: 16.7 + 16.7, total 33.3)."""
    return round(100 * count / members, 1) if members else None


def _problems(wave: Wave) -> dict:
    rows = db.session.execute(
        select(ProblemReport.category, ProblemReport.severity, ProblemReport.status, func.count())
        .where(ProblemReport.wave_id == wave.id)
        .group_by(ProblemReport.category, ProblemReport.severity, ProblemReport.status)).all()
    members = wave.members_count
    by_category: dict[str, dict] = {}
    by_severity = {"blocker": 0, "major": 0, "minor": 0}
    open_blockers = total = 0
    for category, severity, status, count in rows:
        total += count
        entry = by_category.setdefault(category, {"count": 0, "per_100": None})
        entry["count"] += count
        by_severity[severity] = by_severity.get(severity, 0) + count
        if severity == "blocker" and status != "resolved":
            open_blockers += count
    for entry in by_category.values():
        entry["per_100"] = per_100(entry["count"], members)
    # how many people reported (someone may report three times); unknown in an anonymous rollout
    # and once retention has unlinked the reports from the people
    unlinked = wave.rollout.anonymous or wave.rollout.purged_at is not None
    reporters = None
    if not unlinked and rows:
        distinct = func.count(func.distinct(ProblemReport.person_id))
        for category, count in db.session.execute(select(ProblemReport.category, distinct)
                                                  .where(ProblemReport.wave_id == wave.id)
                                                  .group_by(ProblemReport.category)):
            by_category[category]["reporters"] = count
        reporters = db.session.scalar(select(distinct).where(ProblemReport.wave_id == wave.id))
    return {"total": total, "open_blockers": open_blockers, "by_category": by_category, "by_severity": by_severity,
            "per_100": per_100(total, members),
            "reporters": reporters if not unlinked else None}


def _hours(questions: dict[str, QuestionResult]) -> Optional[dict]:
    result = questions.get(HOURS_LOST)
    if result is None or result.hidden or result.mean is None or result.mean.value is None:
        return None
    return {"total": result.total, "mean": result.mean.as_dict()}


def rollout_results(rollout: Rollout, actor: Optional[User] = None) -> list[WaveResults]:
    """Every wave's results, in order (a fixed number of queries per wave)."""
    require_view(actor, rollout)
    return [wave_results(wave, actor) for wave in rollout.waves]


def category_labels(rollout: Rollout, language: str) -> dict[str, str]:
    return {c["code"]: c.get(language) or c["sv"] for c in questionnaires.categories(rollout)}
