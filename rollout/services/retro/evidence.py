"""The evidence a wave's retrospective opens with (what `wave_evidence` builds): the
wave's free-text answers, named by opaque references, its top problems, what
changed since the previous wave and the lessons that targeted it; and how its
numbers and outcomes read on the page and in the Markdown export."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Optional

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import case, select

from ...extensions import db
from ...models import Answer, Lesson, Person, ProblemReport, Question, Response, User, Wave
from .. import compare, lessons, questionnaires
from ..feedback import keyed_hash
from ..lessons import require_team
from ..paging import offset_of, page_of
from ..results import WaveResults, wave_results
from ..stats import Estimate

# the kind of card a free-text answer suggests, by the default questions' codes
KIND_OF_ANSWER = {"went_well": "went_well", "could_be_better": "better", "celebrate": "celebrate"}


@dataclass
class TextAnswer:
    id: str  # an opaque reference (answer_ref), not the row id: ids in order would tie one person's answers together
    code: str
    prompt: str
    text: str
    respondent: Optional[str]  # None in an anonymous rollout
    suggested_kind: str
    language: Optional[str] = None  # the response's language (anonymous responses keep none)


@dataclass
class Evidence:
    texts: list[TextAnswer]
    texts_total: int
    texts_hidden: bool  # an anonymous rollout with fewer respondents than k
    problem_categories: list[dict]  # [{"code", "label", "count", "per_100"}], most first
    serious_problems: list[ProblemReport]
    previous: Optional[Wave]
    changes: list[compare.Comparison]
    carried: list[tuple[Lesson, Optional[compare.Comparison]]]
    results: WaveResults


def _previous(wave: Wave) -> Optional[Wave]:
    earlier = [w for w in wave.rollout.waves if w.number < wave.number and w.state != "cancelled"
               and w.feedback_opened_at is not None]
    return earlier[-1] if earlier else None


def wave_evidence(wave: Wave, actor: Optional[User], language: str = "sv", *, page: int = 1, per_page: int = 50,
                  code: str = "") -> Evidence:
    rollout = wave.rollout
    require_team(actor, rollout)
    results = wave_results(wave)
    previous = _previous(wave)
    before = wave_results(previous) if previous is not None else None
    texts, total = ([], 0) if results.hidden else _texts(wave, language, page, per_page, code)
    labels = {c["code"]: c.get(language) or c["sv"] for c in questionnaires.categories(rollout)}
    categories = sorted(({"code": code_, "label": labels.get(code_, code_), **entry}
                         for code_, entry in results.problems["by_category"].items()),
                        key=lambda c: (-c["count"], c["label"]))
    serious = list(db.session.scalars(
        select(ProblemReport).where(ProblemReport.wave_id == wave.id)
        .order_by(case((ProblemReport.severity == "blocker", 0), (ProblemReport.severity == "major", 1), else_=2),
                  ProblemReport.created_at.desc()).limit(10)))
    return Evidence(texts, total, results.hidden, categories, serious, previous,
                compare.changes(rollout, before, results, language), carried_into(wave, results, language), results)


def carried_into(wave: Wave, results: WaveResults, language: str = "sv"
                 ) -> list[tuple[Lesson, Optional[compare.Comparison]]]:
    """The lessons targeted at `wave`, each with its verification (`lessons.verification`): the
    results of each origin wave are computed once, however many lessons came from it."""
    carried_lessons, _total = lessons.for_rollout(wave.rollout, None, target=wave, per_page=200)
    known: dict[int, WaveResults] = {wave.id: results}
    names = compare.catalogue(wave.rollout, language) if carried_lessons else None
    carried = []
    for lesson in carried_lessons:
        comparison = None
        origin = lesson.origin_wave
        if lesson.metric and origin is not None:
            if origin.id not in known:
                known[origin.id] = wave_results(origin)
            comparison = compare.compare(wave.rollout, lesson.metric, known[origin.id], results, language, names)
        carried.append((lesson, comparison))
    return carried


def _texts(wave: Wave, language: str, page: int, per_page: int, code: str) -> tuple[list[TextAnswer], int]:
    anonymous = wave.rollout.anonymous
    prompts = {}
    if wave.questionnaire_id:
        prompts = {q.code: (q.prompt_en if language == "en" else q.prompt_sv) or q.prompt_sv
                   for q in db.session.scalars(select(Question).where(Question.questionnaire_id == wave.questionnaire_id))}
    where = [Answer.wave_id == wave.id, Answer.text.is_not(None), Answer.text != ""] + (
        [Answer.code == code] if code else [])
    query = select(Answer.id, Answer.code, Answer.text, Person.name, Response.language) \
        .join(Response, Response.id == Answer.response_id) \
        .outerjoin(Person, Person.id == Response.person_id).where(*where)
    offset = offset_of(page, per_page)
    if anonymous:
        # in the order of the opaque references (keyed hashes), per question: a position then says
        # nothing of who answered or when, and ties no answer to another of the same person
        refs = sorted((row.code, answer_ref(row.id), row.id)
                      for row in db.session.execute(select(Answer.id, Answer.code).where(*where)))
        total = len(refs)
        shown = [answer_id for _code, _ref, answer_id in refs[offset:offset + per_page]]
        by_id = {row.id: row for row in db.session.execute(query.where(Answer.id.in_(shown)))} if shown else {}
        rows = [by_id[answer_id] for answer_id in shown]
    else:
        rows, total = page_of(query.order_by(Answer.code, Response.submitted_at, Answer.id), page, per_page, rows=True)
    return [TextAnswer(answer_ref(row.id), row.code, prompts.get(row.code, row.code), row.text,
                       None if anonymous else row.name, KIND_OF_ANSWER.get(row.code, "idea"),
                       None if anonymous else row.language) for row in rows], total


def answer_ref(answer_id: int) -> str:
    """How the retrospective names a free-text answer: a keyed hash of its id, so that neither the
    page nor the API shows row ids, whose order would tie an anonymous person's answers together."""
    return keyed_hash(f"answer:{answer_id}")[:24]


def answer_by_ref(wave: Wave, ref: object) -> Optional[Answer]:
    """The wave's free-text answer that `ref` names (see `answer_ref`), or None."""
    if not isinstance(ref, str) or len(ref) != 24:
        return None
    for answer_id in db.session.scalars(select(Answer.id).where(
            Answer.wave_id == wave.id, Answer.text.is_not(None), Answer.text != "")):
        if hmac.compare_digest(answer_ref(answer_id), ref):
            return db.session.get(Answer, answer_id)
    return None


# --- numbers and words for the page and the Markdown export -------------------------

def format_number(value: float, measure: str, signed: bool = False) -> str:
    """A share in whole per cent, a mean with one decimal (in the page's language); a minus sign,
    and with `signed` a plus sign, in front."""
    if measure == "share":
        value = round(100 * value)
        text = format_decimal(abs(value), "0")
    else:
        value = round(value, 1)
        text = format_decimal(abs(value), "0.0")
    if value < 0:
        return "\u2212" + text
    return ("+" + text) if signed and value > 0 else text


def format_estimate(estimate: Optional[Estimate], measure: str) -> str:
    """"67 % (30–90 %)" for a share, "3,4 (2,9–3,9)" for a mean; "–" without a value."""
    if estimate is None or estimate.value is None:
        return "\u2013"
    unit = " %" if measure == "share" else ""
    text = format_number(estimate.value, measure) + unit
    if estimate.low is None or estimate.high is None:
        return text
    return f"{text} ({format_number(estimate.low, measure)}\u2013{format_number(estimate.high, measure)}{unit})"


def format_change(change: Optional[Estimate], measure: str) -> str:
    """"+12 percentage points (−5 to +30)" for a share, "+0,4 (−0,2 to +1,0)" for a mean."""
    if change is None or change.value is None:
        return "\u2013"
    parts = {"value": format_number(change.value, measure, True)}
    if change.low is None or change.high is None:
        return _("%(value)s percentage points", **parts) if measure == "share" else parts["value"]
    parts.update(low=format_number(change.low, measure, True), high=format_number(change.high, measure, True))
    if measure == "share":
        return _("%(value)s percentage points (%(low)s to %(high)s)", **parts)
    return _("%(value)s (%(low)s to %(high)s)", **parts)


def outcome_label(outcome: Optional[str]) -> str:
    return {"better": _("better"), "worse": _("worse"),
            "unclear": _("unclear \u2013 too few answers to tell")}.get(outcome or "", _("not measured in both waves"))


def proposal_label(proposal: Optional[str]) -> str:
    return {"effective": _("effective"), "ineffective": _("not effective"),
            "inconclusive": _("inconclusive")}.get(proposal or "", "\u2013")
