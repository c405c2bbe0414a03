"""Comparing a metric between two waves: the retrospective's "what changed
since the previous wave" and the verification of a lesson (origin wave
against target wave).

A metric is a question code (a rating: the satisfied share; yes / no: the
share of yes; a number or NPS: the mean) or `problems:<category>` (the share
of members who reported a problem in that category; `problems:all` for any).
The change carries its own 95 % interval (Newcombe for shares, Welch for
means): it is *better* or *worse* only when the whole interval says so, and
*unclear* otherwise -- the same rule as the gate, so that a small pilot proves
nothing by luck.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Question, Questionnaire, Rollout
from . import questionnaires
from .results import WaveResults
from .stats import Estimate, mean_difference, share_difference, wilson

PROBLEMS = "problems:"
COMPARABLE_KINDS = ("rating", "yes_no", "nps", "number")
# a verification proposal for each outcome of the comparison
PROPOSALS = {"better": "effective", "worse": "ineffective", "unclear": "inconclusive", None: "inconclusive"}


@dataclass
class Comparison:
    metric: str
    label: str
    measure: str  # "share" or "mean"
    higher_is_better: bool
    before: Optional[Estimate]
    after: Optional[Estimate]
    change: Optional[Estimate]
    outcome: Optional[str]  # "better", "worse", "unclear"; None without data on both sides

    @property
    def proposal(self) -> str:
        return PROPOSALS[self.outcome]

    def as_dict(self) -> dict:
        def plain(estimate: Optional[Estimate]) -> Optional[dict]:
            return estimate.as_dict() if estimate is not None else None
        return {"metric": self.metric, "label": self.label, "measure": self.measure,
                "higher_is_better": self.higher_is_better, "before": plain(self.before),
                "after": plain(self.after), "change": plain(self.change), "outcome": self.outcome,
                "proposal": self.proposal}


@dataclass
class Catalogue:
    """What a rollout's metrics are called and which kind of question each is, read once so that
    comparing many metrics costs no query per metric."""

    questions: dict  # code -> Question, from the current version, then older ones
    labels: dict[str, str]  # metric -> label in one language, as metric_choices gives them
    choices: list[tuple[str, str]]


def catalogue(rollout: Rollout, language: str) -> Catalogue:
    current = questionnaires.current(rollout)
    questions = {q.code: q for q in current.questions}
    for q in db.session.scalars(select(Question).join(Questionnaire, Questionnaire.id == Question.questionnaire_id)
                                .where(Questionnaire.rollout_id == rollout.id)
                                .order_by(Questionnaire.version.desc(), Question.position)):
        questions.setdefault(q.code, q)  # a code never changes kind between versions
    choices = [(q.code, _prompt(q, language)) for q in current.questions if q.kind in COMPARABLE_KINDS]
    choices.append((PROBLEMS + "all", _("Problem reports, any category")))
    for category in questionnaires.categories(rollout):
        choices.append((PROBLEMS + category["code"], _("Problem reports: %(category)s",
                                                     category=category.get(language) or category["sv"])))
    labels = dict(choices)
    for code, q in questions.items():
        labels.setdefault(code, _prompt(q, language))
    return Catalogue(questions, labels, choices)


def metric_choices(rollout: Rollout, language: str) -> list[tuple[str, str]]:
    """(metric, label) for every metric a lesson can be linked to."""
    return catalogue(rollout, language).choices


def _prompt(question: Question, language: str) -> str:
    return (question.prompt_en if language == "en" else question.prompt_sv) or question.prompt_sv


def label(rollout: Rollout, metric: Optional[str], language: str) -> str:
    if not metric:
        return ""
    return catalogue(rollout, language).labels.get(metric) or metric


def is_known(rollout: Rollout, metric: str) -> bool:
    return metric in catalogue(rollout, "sv").labels


def _estimate(results: Optional[WaveResults], metric: str, kind: Optional[str]) -> Optional[Estimate]:
    if results is None or results.hidden:
        return None
    if metric.startswith(PROBLEMS):
        members = results.wave.members_count
        if not members or not results.wave.started_at:
            return None
        category = metric[len(PROBLEMS):]
        entry = results.problems if category == "all" else results.problems["by_category"].get(category, {})
        # the share of members who reported; in an anonymous rollout reporters are unknown, and
        # each report counts as one member (an upper bound)
        count = entry.get("reporters") if entry.get("reporters") is not None else entry.get("count", entry.get("total", 0))
        return wilson(min(count or 0, members), members)
    result = results.questions.get(metric)
    if result is None or result.hidden:
        return None
    if kind == "rating":
        return result.satisfied
    if kind == "yes_no":
        return result.share_yes
    return result.mean


def compare(rollout: Rollout, metric: str, before: Optional[WaveResults], after: Optional[WaveResults],
            language: str, names: Optional[Catalogue] = None) -> Comparison:
    names = names or catalogue(rollout, language)
    question = None if metric.startswith(PROBLEMS) else names.questions.get(metric)
    kind = question.kind if question is not None else None
    measure = "share" if metric.startswith(PROBLEMS) or kind in ("rating", "yes_no") else "mean"
    # fewer problems and fewer hours lost are better; more satisfaction is
    higher_is_better = not (metric.startswith(PROBLEMS) or kind == "number")
    a, b = _estimate(before, metric, kind), _estimate(after, metric, kind)
    change = outcome = None
    if a is not None and b is not None and a.value is not None and b.value is not None:
        change = share_difference(a, b) if measure == "share" else mean_difference(a, b)
        outcome = "unclear"
        if change.low is not None:
            if change.low > 0:
                outcome = "better" if higher_is_better else "worse"
            elif change.high is not None and change.high < 0:
                outcome = "worse" if higher_is_better else "better"
    text = names.labels.get(metric) or metric
    return Comparison(metric, text, measure, higher_is_better, a, b, change, outcome)


def changes(rollout: Rollout, before: Optional[WaveResults], after: WaveResults, language: str) -> list[Comparison]:
    """Every metric of `after`, beside the same metric in `before` (the previous wave)."""
    metrics = [code for code, q in after.questions.items() if q.kind in COMPARABLE_KINDS]
    categories = set(after.problems["by_category"]) | set(before.problems["by_category"] if before else ())
    metrics.append(PROBLEMS + "all")
    metrics.extend(PROBLEMS + code for code in sorted(categories))
    names = catalogue(rollout, language)
    return [compare(rollout, metric, before, after, language, names) for metric in metrics]
