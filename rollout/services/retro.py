"""A wave's retrospective: the evidence it opens with (the wave's free-text
answers, its top problems, what changed since the previous wave, the lessons
that targeted it), the team's cards, themes and dot votes, and its Markdown
export.

The retrospective is open from the moment the wave collects feedback; the
review team (leads and reviewers) takes part. Each member has the rollout's
vote budget of dots per wave; the database keeps the budget (one numbered slot
per dot, unique per wave and voter).
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    CARD_KINDS,
    Answer,
    Lesson,
    Person,
    ProblemReport,
    Question,
    Response,
    RetroCard,
    RetroTheme,
    RetroVote,
    User,
    Wave,
)
from . import audit, compare, lessons, questionnaires
from .accounts import require_lead
from .errors import GuardFailed, NotFound, Problems
from .feedback import keyed_hash
from .lessons import require_team
from .results import WaveResults, answers_hidden, wave_results
from .validation import an_id, text_problem, whole_number

KIND_LABELS = {"went_well": _l("Went well"), "better": _l("Could be better"), "celebrate": _l("Celebrate"),
               "idea": _l("Idea")}
# the kind of card a free-text answer suggests, by the default questions' codes
KIND_OF_ANSWER = {"went_well": "went_well", "could_be_better": "better", "celebrate": "celebrate"}
OPEN_STATES = ("feedback", "review", "done")
MAX_CARD = 2000
MAX_BUDGET = 50


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def is_open(wave: Wave) -> bool:
    state = wave.paused_from if wave.state == "paused" else wave.state
    return state in OPEN_STATES


def _taking_part(wave: Wave, actor: Optional[User]) -> Wave:
    """The wave, once it is known that `actor` is on its team and its retrospective is open."""
    require_team(actor, wave.rollout)
    if not is_open(wave):
        raise GuardFailed("retro_not_open", _("The retrospective opens when the wave starts collecting feedback."))
    return wave


# --- the evidence it opens with ---------------------------------------------------

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
class Seed:
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


def seed(wave: Wave, actor: Optional[User], language: str = "sv", *, page: int = 1, per_page: int = 50,
         code: str = "") -> Seed:
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
    return Seed(texts, total, results.hidden, categories, serious, previous,
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
    offset = (max(page, 1) - 1) * per_page
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
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = db.session.execute(query.order_by(Answer.code, Response.submitted_at, Answer.id)
                                  .limit(per_page).offset(offset)).all()
    return [TextAnswer(answer_ref(row.id), row.code, prompts.get(row.code, row.code), row.text,
                       None if anonymous else row.name, KIND_OF_ANSWER.get(row.code, "idea"),
                       None if anonymous else row.language) for row in rows], total


# --- the board -------------------------------------------------------------------

@dataclass
class ThemeView:
    theme: RetroTheme
    cards: list[RetroCard]
    votes: int
    lessons: list[Lesson] = field(default_factory=list)


@dataclass
class Board:
    wave: Wave
    themes: list[ThemeView]  # most votes first
    loose: dict[str, list[RetroCard]]  # cards in no theme, by kind
    my_votes: dict[int, int]  # card id -> my dots on it
    budget: int
    votes_left: int
    cards_total: int


def board(wave: Wave, actor: Optional[User]) -> Board:
    require_team(actor, wave.rollout)
    # the authors in one more query, not one per card
    cards = list(db.session.scalars(select(RetroCard).where(RetroCard.wave_id == wave.id)
                                    .options(selectinload(RetroCard.author))
                                    .order_by(RetroCard.votes.desc(), RetroCard.id)))
    themes = list(db.session.scalars(select(RetroTheme).where(RetroTheme.wave_id == wave.id).order_by(RetroTheme.id)))
    theme_lessons: dict[int, list[Lesson]] = {}
    if themes:
        for lesson in db.session.scalars(select(Lesson).where(Lesson.theme_id.in_([t.id for t in themes]))
                                         .order_by(Lesson.id)):
            theme_lessons.setdefault(lesson.theme_id, []).append(lesson)
    views = {t.id: ThemeView(t, [], 0, theme_lessons.get(t.id, [])) for t in themes}
    loose: dict[str, list[RetroCard]] = {kind: [] for kind in CARD_KINDS}
    for card in cards:
        if card.theme_id in views:
            views[card.theme_id].cards.append(card)
            views[card.theme_id].votes += card.votes
        else:
            loose[card.kind].append(card)
    mine = my_votes(wave, actor)
    budget = wave.rollout.vote_budget
    ordered = sorted(views.values(), key=lambda v: (-v.votes, v.theme.id))
    return Board(wave, ordered, loose, mine, budget, votes_left(wave, mine), len(cards))


def my_votes(wave: Wave, actor: Optional[User]) -> dict[int, int]:
    """card id -> the actor's dots on it in this wave (nothing for the system)."""
    if actor is None:
        return {}
    return dict(db.session.execute(select(RetroVote.card_id, func.count()).where(
        RetroVote.wave_id == wave.id, RetroVote.user_id == actor.id).group_by(RetroVote.card_id)).all())


def votes_left(wave: Wave, mine: dict[int, int]) -> int:
    return max(0, wave.rollout.vote_budget - sum(mine.values()))


def get_card(wave: Wave, card_id: int, actor: Optional[User]) -> RetroCard:
    require_team(actor, wave.rollout)
    card = db.session.get(RetroCard, card_id)
    if card is None or card.wave_id != wave.id:
        raise NotFound(_("No such card."))
    return card


def get_theme(wave: Wave, theme_id: int, actor: Optional[User]) -> RetroTheme:
    require_team(actor, wave.rollout)
    theme = db.session.get(RetroTheme, theme_id)
    if theme is None or theme.wave_id != wave.id:
        raise NotFound(_("No such theme."))
    return theme


def _card_fields(wave: Wave, data, problems: Problems, card: Optional[RetroCard]) -> dict:
    if not isinstance(data, dict):
        problems.add("", _("Send an object with kind and text."))
        return {}
    clean: dict = {}
    if card is None or "kind" in data:
        if data.get("kind") not in CARD_KINDS:
            problems.add("kind", _("Choose went well, could be better, celebrate or idea."))
        clean["kind"] = data.get("kind")
    if card is None or "text" in data:
        value = data.get("text")
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            problems.add("text", _("Write something on the card."))
        elif reason := text_problem(value.replace("\t", " "), MAX_CARD):
            problems.add("text", reason)
        clean["text"] = value
    if "theme" in data:
        theme_id = data["theme"]
        if theme_id in (None, ""):
            clean["theme_id"] = None
        elif an_id(theme_id) is None or \
                (theme := db.session.get(RetroTheme, an_id(theme_id))) is None or theme.wave_id != wave.id:
            problems.add("theme", _("No such theme in this retrospective."))
        else:
            clean["theme_id"] = theme.id
    return clean


def add_card(wave: Wave, data: dict, actor: Optional[User]) -> RetroCard:
    _taking_part(wave, actor)
    problems = Problems()
    clean = _card_fields(wave, data, problems, None)
    problems.raise_if_any(_("The card could not be added."))
    return _new_card(wave, actor, "team", {}, **clean)


def _new_card(wave: Wave, actor: Optional[User], source: str, details: dict, **fields) -> RetroCard:
    card = RetroCard(wave_id=wave.id, author_id=actor.id if actor else None, source=source, votes=0, **fields)
    db.session.add(card)
    db.session.flush()
    audit.record(actor, "retro.card", rollout=wave.rollout, subject=f"{wave.number}/{card.id}",
                 details={"kind": card.kind, **details})
    db.session.commit()
    return card


def answer_ref(answer_id: int) -> str:
    """How the retrospective names a free-text answer: a keyed hash of its id, so that neither the
    page nor the API shows row ids, whose order would tie an anonymous person's answers together."""
    return keyed_hash(f"answer:{answer_id}")[:24]


def _answer_by_ref(wave: Wave, ref) -> Optional[Answer]:
    if not isinstance(ref, str) or len(ref) != 24:
        return None
    for answer_id in db.session.scalars(select(Answer.id).where(
            Answer.wave_id == wave.id, Answer.text.is_not(None), Answer.text != "")):
        if hmac.compare_digest(answer_ref(answer_id), ref):
            return db.session.get(Answer, answer_id)
    return None


def card_from_answer(wave: Wave, ref: str, kind: Optional[str], actor: Optional[User]) -> RetroCard:
    """A participant's free-text answer (by its reference), copied onto a card (never with their name)."""
    _taking_part(wave, actor)
    answer = None if answers_hidden(wave) else _answer_by_ref(wave, ref)
    if answer is None or not answer.text:
        raise NotFound(_("No such answer."))
    kind = kind if kind in CARD_KINDS else KIND_OF_ANSWER.get(answer.code, "idea")
    return _new_card(wave, actor, "participant", {"from_answer": ref}, kind=kind, text=answer.text[:MAX_CARD])


def update_card(card: RetroCard, data: dict, actor: Optional[User]) -> RetroCard:
    wave = _taking_part(db.session.get(Wave, card.wave_id), actor)
    problems = Problems()
    clean = _card_fields(wave, data, problems, card)
    problems.raise_if_any(_("The card could not be saved."))
    for name, value in clean.items():
        setattr(card, name, value)
    audit.record(actor, "retro.card_update", rollout=wave.rollout, subject=f"{wave.number}/{card.id}",
                 details={k: v for k, v in clean.items() if k != "text"})
    db.session.commit()
    return card


def delete_card(card: RetroCard, actor: Optional[User]) -> None:
    wave = _taking_part(db.session.get(Wave, card.wave_id), actor)
    audit.record(actor, "retro.card_delete", rollout=wave.rollout, subject=f"{wave.number}/{card.id}",
                 details={"kind": card.kind, "text": card.text[:200]})
    # the dots on it go back to their owners; said here too, for SQLite does not enforce ON DELETE CASCADE
    db.session.execute(delete(RetroVote).where(RetroVote.card_id == card.id))
    db.session.delete(card)
    db.session.commit()


def _theme_title(data, problems: Problems) -> str:
    title = data.get("title") if isinstance(data, dict) else None
    title = " ".join(title.split()) if isinstance(title, str) else ""
    if not title:
        problems.add("title", _("Give the theme a title."))
    elif reason := text_problem(title, 200):
        problems.add("title", reason)
    return title


def _card_ids(wave: Wave, value, problems: Problems) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(an_id(v) is not None for v in value):
        problems.add("cards", _("Give the cards as a list of card ids."))
        return []
    ids = sorted({an_id(v) for v in value})
    found = set(db.session.scalars(select(RetroCard.id).where(RetroCard.wave_id == wave.id, RetroCard.id.in_(ids))))
    if missing := [i for i in ids if i not in found]:
        problems.add("cards", _("No such card in this retrospective: %(ids)s.", ids=", ".join(map(str, missing[:10]))))
    return ids


def create_theme(wave: Wave, data: dict, actor: Optional[User]) -> RetroTheme:
    """A theme, with the cards given (their ids) moved into it."""
    _taking_part(wave, actor)
    problems = Problems()
    title = _theme_title(data, problems)
    ids = _card_ids(wave, data.get("cards") if isinstance(data, dict) else None, problems)
    problems.raise_if_any(_("The theme could not be created."))
    theme = RetroTheme(wave_id=wave.id, title=title, created_by_id=actor.id if actor else None)
    db.session.add(theme)
    db.session.flush()
    if ids:
        db.session.execute(update(RetroCard).where(RetroCard.id.in_(ids)).values(theme_id=theme.id))
    audit.record(actor, "retro.theme", rollout=wave.rollout, subject=f"{wave.number}/{theme.id}",
                 details={"title": title, "cards": ids})
    db.session.commit()
    return theme


def rename_theme(theme: RetroTheme, data: dict, actor: Optional[User]) -> RetroTheme:
    wave = _taking_part(db.session.get(Wave, theme.wave_id), actor)
    problems = Problems()
    title = _theme_title(data, problems)
    problems.raise_if_any(_("The theme could not be saved."))
    theme.title = title
    audit.record(actor, "retro.theme_update", rollout=wave.rollout, subject=f"{wave.number}/{theme.id}",
                 details={"title": title})
    db.session.commit()
    return theme


def delete_theme(theme: RetroTheme, actor: Optional[User]) -> None:
    """The theme goes; its cards stay, ungrouped."""
    wave = _taking_part(db.session.get(Wave, theme.wave_id), actor)
    db.session.execute(update(RetroCard).where(RetroCard.theme_id == theme.id).values(theme_id=None))
    # lessons made of the theme stay, without it (ON DELETE SET NULL, which SQLite does not enforce)
    db.session.execute(update(Lesson).where(Lesson.theme_id == theme.id).values(theme_id=None))
    audit.record(actor, "retro.theme_delete", rollout=wave.rollout, subject=f"{wave.number}/{theme.id}",
                 details={"title": theme.title})
    db.session.delete(theme)
    db.session.commit()


def group(wave: Wave, card_ids, theme_id, actor: Optional[User]) -> int:
    """Move cards into a theme (or out of every theme with None); how many moved."""
    _taking_part(wave, actor)
    problems = Problems()
    ids = _card_ids(wave, card_ids, problems)
    if not ids and not problems.items:
        problems.add("cards", _("Choose the cards to move."))
    theme = None
    if theme_id not in (None, ""):
        theme = db.session.get(RetroTheme, an_id(theme_id)) if an_id(theme_id) is not None else None
        if theme is None or theme.wave_id != wave.id:
            problems.add("theme", _("No such theme in this retrospective."))
    problems.raise_if_any(_("The cards could not be moved."))
    db.session.execute(update(RetroCard).where(RetroCard.id.in_(ids)).values(theme_id=theme.id if theme else None))
    audit.record(actor, "retro.group", rollout=wave.rollout, subject=f"{wave.number}",
                 details={"cards": ids, "theme": theme.id if theme else None})
    db.session.commit()
    return len(ids)


# --- dot votes ---------------------------------------------------------------------

def vote(card: RetroCard, actor: User) -> RetroCard:
    """Put one of the actor's dots on the card; refused when their budget is spent."""
    wave = _taking_part(db.session.get(Wave, card.wave_id), actor)
    budget = wave.rollout.vote_budget
    for _attempt in range(5):
        taken = set(db.session.scalars(select(RetroVote.slot).where(RetroVote.wave_id == wave.id,
                                                                     RetroVote.user_id == actor.id)))
        free = next((slot for slot in range(1, budget + 1) if slot not in taken), None)
        if free is None or len(taken) >= budget:  # (a lowered budget leaves old dots in higher slots)
            db.session.rollback()
            raise GuardFailed("no_votes_left", _("You have used all your %(n)s votes in this retrospective; "
                                                 "take one back to vote again.", n=budget))
        try:
            db.session.add(RetroVote(wave_id=wave.id, card_id=card.id, user_id=actor.id, slot=free))
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # another vote of the same person took that slot at the same moment
            continue
        db.session.execute(update(RetroCard).where(RetroCard.id == card.id).values(votes=RetroCard.votes + 1))
        db.session.commit()
        db.session.refresh(card)
        return card
    raise GuardFailed("busy", _("Too many votes at the same moment; try again."))


def unvote(card: RetroCard, actor: User) -> RetroCard:
    """Take back one of the actor's dots from the card."""
    _taking_part(db.session.get(Wave, card.wave_id), actor)
    mine = db.session.scalar(select(RetroVote.id).where(RetroVote.card_id == card.id, RetroVote.user_id == actor.id)
                             .order_by(RetroVote.slot.desc()).limit(1))
    if mine is None:
        raise GuardFailed("no_vote", _("You have no vote on this card."))
    removed = db.session.execute(delete(RetroVote).where(RetroVote.id == mine)).rowcount
    if removed:
        db.session.execute(update(RetroCard).where(RetroCard.id == card.id).values(votes=RetroCard.votes - 1))
    db.session.commit()
    db.session.refresh(card)
    return card


def set_budget(wave: Wave, value, actor: Optional[User]) -> int:
    """The rollout's dots per person and retrospective (leads)."""
    require_lead(actor, wave.rollout)
    budget = whole_number(value, 1, MAX_BUDGET)
    if budget is None:
        problems = Problems()
        problems.add("vote_budget", _("A whole number of votes from 1 to %(n)s.", n=MAX_BUDGET))
        problems.raise_if_any(_("The vote budget could not be saved."))
    wave.rollout.vote_budget = budget
    audit.record(actor, "retro.budget", rollout=wave.rollout, details={"vote_budget": budget})
    db.session.commit()
    return budget


def cards(wave: Wave, actor: Optional[User], *, page: int = 1, per_page: int = 100) -> tuple[list[RetroCard], int]:
    require_team(actor, wave.rollout)
    total = db.session.scalar(select(func.count()).select_from(RetroCard).where(RetroCard.wave_id == wave.id)) or 0
    items = db.session.scalars(select(RetroCard).where(RetroCard.wave_id == wave.id).order_by(RetroCard.id)
                               .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(items), total


def card_dict(card: RetroCard, my_votes: Optional[int] = None) -> dict:
    data = {"id": card.id, "kind": card.kind, "text": card.text, "votes": card.votes, "theme": card.theme_id,
            "source": card.source, "created_at": card.created_at.isoformat()}
    if my_votes is not None:
        data["my_votes"] = my_votes
    return data


def theme_dict(view: ThemeView) -> dict:
    return {"id": view.theme.id, "title": view.theme.title, "votes": view.votes,
            "cards": [c.id for c in view.cards], "lessons": [lesson.id for lesson in view.lessons]}


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


def format_estimate(estimate, measure: str) -> str:
    """"67 % (30–90 %)" for a share, "3,4 (2,9–3,9)" for a mean; "–" without a value."""
    if estimate is None or estimate.value is None:
        return "\u2013"
    unit = " %" if measure == "share" else ""
    text = format_number(estimate.value, measure) + unit
    if estimate.low is None or estimate.high is None:
        return text
    return f"{text} ({format_number(estimate.low, measure)}\u2013{format_number(estimate.high, measure)}{unit})"


def format_change(change, measure: str) -> str:
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
