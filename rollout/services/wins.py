"""Wins: what went well, which the team chose to celebrate and share with later waves.

A win is made of a participant's free-text answer or of a retrospective card:

- an answer of a rollout that is not anonymous only with its author's consent (they ticked
  "may we share this?", feedback/consent.py); an answer of an anonymous rollout without asking,
  but never while the wave's answers are hidden (fewer respondents than k), and never with
  anything that leads to its author: no name, no language, no time finer than the day;
- a "celebrate" or "went well" card the team wrote, without further consent (its author is on
  the team); a card copied from an answer only where the rollout is anonymous.

The win keeps the text as it was shared. The review team (leads, reviewers) and admins mark and
withdraw wins; withdrawing takes the win off every page and e-mail and drops its text.
Participants of a later wave see the latest wins of the earlier waves (`latest_for`).

Retention: when the rollout's free texts are erased, so are the wins made of answers and of
copied cards (`erase_texts`); those of the team's own cards stay, as the cards do. A person's
erasure takes the wins made of their answers (`erase_for_responses`); their export lists them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db, execute_dml
from ..models import Answer, CardKind, Question, Response, RetroCard, Rollout, ShareConsent, User, Wave, Win
from ..models.types import utcnow
from . import audit
from .accounts import require_view
from .errors import FieldErrors, GuardFailed, NotFound
from .feedback import start_of_day
from .feedback.consent import SHAREABLE_CODES
from .paging import page_of
from .results import answers_hidden
from .retro.evidence import answer_by_ref, answer_ref
from .validation import text_problem

MAX_TITLE = 120
LATEST = 3  # how many wins a later wave's participants are shown
CARD_KINDS = (CardKind.CELEBRATE, CardKind.WENT_WELL)
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Candidate:
    """Something of a wave the team may mark as a win: an answer (by its opaque reference) or a card."""

    source: str
    ref: str  # answer_ref(...) for an answer, the card's id for a card
    wave: int
    text: str
    prompt: str


def _heard(wave: Wave) -> bool:
    return wave.feedback_opened_at is not None and wave.state != "cancelled"


def _win_of(**where: object) -> Optional[Win]:
    return db.session.scalars(select(Win).filter_by(**where)).first()


def _title(title: object, problems: FieldErrors) -> str:
    if title is None:
        return ""
    if not isinstance(title, str):
        problems.add("title", _("Write the title as text."))
        return ""
    title = " ".join(title.split())
    if reason := text_problem(title, MAX_TITLE):
        problems.add("title", reason)
    return title


def _save(wave: Wave, actor: Optional[User], found: Optional[Win], title: str, text: str, *,
          anonymous_answer: bool, **source: object) -> Win:
    now = utcnow()
    win = found or Win(rollout_id=wave.rollout_id, wave_id=wave.id, **source)
    if found is not None and found.shown:
        raise GuardFailed("already_a_win", _("This is a win already."))
    win.text, win.title = text, title
    win.marked_by_id = actor.id if actor is not None else None
    # the day only: the moment an anonymous answer was marked could tie it to its author's submit
    win.marked_at = start_of_day(now) if anonymous_answer else now
    win.withdrawn_at, win.withdrawn_by_id = None, None
    db.session.add(win)
    db.session.flush()
    audit.record(actor, "win.mark", rollout=wave.rollout, subject=f"{wave.number}/{win.id}",
                 details={"source": win.source, **({"title": title} if title else {})})
    db.session.commit()
    return win


def mark_answer(wave: Wave, ref: object, actor: Optional[User], title: object = None) -> Win:
    """Make a win of a participant's free-text answer (by its reference, see retro.answer_ref)."""
    rollout = wave.rollout
    require_view(actor, rollout)
    answer = answer_by_ref(wave, ref) if _heard(wave) and not answers_hidden(wave) else None
    if answer is None or not (answer.text or "").strip():
        raise NotFound(_("No such answer."))
    problems = FieldErrors()
    clean_title = _title(title, problems)
    problems.raise_if_any(_("The win could not be saved."))
    if not rollout.anonymous and db.session.get(ShareConsent, (answer.response_id, answer.code)) is None:
        raise GuardFailed("no_consent", _("The participant did not say this answer may be shared, "
                                          "so it cannot be a win."))
    return _save(wave, actor, _win_of(response_id=answer.response_id, code=answer.code), clean_title,
                 answer.text or "", anonymous_answer=rollout.anonymous, source="answer",
                 response_id=answer.response_id, code=answer.code)


def mark_card(wave: Wave, card_id: object, actor: Optional[User], title: object = None) -> Win:
    """Make a win of a "celebrate" or "went well" card of the wave's retrospective."""
    rollout = wave.rollout
    require_view(actor, rollout)
    card = db.session.get(RetroCard, card_id) if isinstance(card_id, int) and 0 < card_id < 2**31 else None
    if card is None or card.wave_id != wave.id:
        raise NotFound(_("No such card."))
    problems = FieldErrors()
    clean_title = _title(title, problems)
    problems.raise_if_any(_("The win could not be saved."))
    if card.kind not in CARD_KINDS:
        raise GuardFailed("not_celebrated", _("Only “celebrate” and “went well” cards can be wins."))
    if card.source == "participant" and not rollout.anonymous:
        raise GuardFailed("no_consent", _("This card was copied from a participant’s answer: mark the answer "
                                          "itself, which may be shared only with its author’s consent."))
    if card.source == "participant" and answers_hidden(wave):
        raise NotFound(_("No such card."))
    return _save(wave, actor, _win_of(card_id=card.id), clean_title, card.text,
                 anonymous_answer=card.source == "participant", source="card", card_id=card.id)


def wave_of_card(rollout: Rollout, card_id: int, actor: Optional[User]) -> Wave:
    """The wave of the rollout a card is of (NotFound for a card of another rollout, or none)."""
    require_view(actor, rollout)
    card = db.session.get(RetroCard, card_id) if 0 < card_id < 2**31 else None
    wave = next((w for w in rollout.waves if card is not None and w.id == card.wave_id), None)
    if wave is None:
        raise NotFound(_("No such card."))
    return wave


def get_win(rollout: Rollout, win_id: object, actor: Optional[User]) -> Win:
    require_view(actor, rollout)
    win = db.session.get(Win, win_id) if isinstance(win_id, int) and 0 < win_id < 2**31 else None
    if win is None or win.rollout_id != rollout.id or not win.shown:
        raise NotFound(_("No such win."))
    return win


def withdraw(win: Win, actor: Optional[User]) -> None:
    """Take the win off every page and e-mail; its text goes, the row says who withdrew it and when."""
    wave = db.session.get_one(Wave, win.wave_id)
    require_view(actor, wave.rollout)
    if not win.shown:
        raise GuardFailed("withdrawn", _("This win was withdrawn already."))
    win.withdrawn_at = utcnow()
    win.withdrawn_by_id = actor.id if actor is not None else None
    win.text, win.title = "", ""
    audit.record(actor, "win.withdraw", rollout=wave.rollout, subject=f"{wave.number}/{win.id}",
                 details={"source": win.source})
    db.session.commit()


def _shown(*where: ColumnElement[bool]) -> list[Win]:
    return list(db.session.scalars(
        select(Win).options(selectinload(Win.wave)).where(Win.withdrawn_at.is_(None), *where)
        .order_by(Win.marked_at.desc(), Win.id.desc())))


def _visible(wins: list[Win]) -> list[Win]:
    """Never an anonymous answer of a wave whose answers are hidden (below k)."""
    hidden = {w.wave_id for w in wins if w.source == "answer" and answers_hidden(w.wave)}
    return [w for w in wins if w.wave_id not in hidden or w.source == "card"]


def for_rollout(rollout: Rollout, actor: Optional[User], *, page: int = 1,
                per_page: int = 100) -> tuple[list[Win], int]:
    """The rollout's wins, the latest first."""
    require_view(actor, rollout)
    wins, total = page_of(select(Win).options(selectinload(Win.wave), selectinload(Win.marked_by))
                          .where(Win.rollout_id == rollout.id, Win.withdrawn_at.is_(None))
                          .order_by(Win.marked_at.desc(), Win.id.desc()), page, per_page)
    return _visible(list(wins)), total


def for_wave(wave: Wave) -> list[Win]:
    """The wins made of this wave (for its results page and retrospective)."""
    return _visible(_shown(Win.wave_id == wave.id))


def latest_for(wave: Wave, limit: int = LATEST) -> list[Win]:
    """What went well before: the latest wins of the earlier waves of the same rollout, for the
    participants of `wave` (its questionnaire and e-mails)."""
    earlier = select(Wave.id).where(Wave.rollout_id == wave.rollout_id, Wave.number < wave.number)
    return _visible(_shown(Win.wave_id.in_(earlier)))[:limit]


def candidates(wave: Wave, actor: Optional[User], language: str = "sv") -> list[Candidate]:
    """What of `wave` may be marked now and is not a win yet: the answers its authors allowed to
    be shared (any free-text answer where the rollout is anonymous and its answers are shown),
    and its "celebrate" and "went well" cards."""
    rollout = wave.rollout
    require_view(actor, rollout)
    found: list[Candidate] = []
    if not _heard(wave):
        return found
    prompts: dict[str, str] = {}
    if wave.questionnaire_id:
        prompts = {q.code: q.prompt(language) for q in db.session.scalars(
            select(Question).where(Question.questionnaire_id == wave.questionnaire_id))}
    marked_answers = {(r, c) for r, c in db.session.execute(
        select(Win.response_id, Win.code).where(Win.wave_id == wave.id, Win.withdrawn_at.is_(None),
                                                Win.source == "answer"))}
    if not answers_hidden(wave):
        query = select(Answer.id, Answer.response_id, Answer.code, Answer.text).where(
            Answer.wave_id == wave.id, Answer.text.is_not(None), Answer.text != "")
        if not rollout.anonymous:
            query = query.join(ShareConsent, (ShareConsent.response_id == Answer.response_id)
                               & (ShareConsent.code == Answer.code))
        rows = [row for row in db.session.execute(query.limit(MAX_CANDIDATES * 5))
                if (row.response_id, row.code) not in marked_answers]
        # in the order of their words: a position says nothing of who wrote it or when
        rows.sort(key=lambda row: (0 if row.code in SHAREABLE_CODES else 1, row.code, row.text or "", answer_ref(row.id)))
        found += [Candidate("answer", answer_ref(row.id), wave.number, row.text or "", prompts.get(row.code, row.code))
                  for row in rows[:MAX_CANDIDATES]]
    marked_cards = set(db.session.scalars(select(Win.card_id).where(
        Win.wave_id == wave.id, Win.withdrawn_at.is_(None), Win.card_id.is_not(None))))
    card_query = select(RetroCard).where(RetroCard.wave_id == wave.id, RetroCard.kind.in_(CARD_KINDS))
    if not rollout.anonymous:
        card_query = card_query.where(RetroCard.source == "team")
    for card in db.session.scalars(card_query.order_by(RetroCard.id).limit(MAX_CANDIDATES)):
        if card.id not in marked_cards and (card.source == "team" or not answers_hidden(wave)):
            found.append(Candidate("card", str(card.id), wave.number, card.text, ""))
    return found


def markable(wave: Wave, actor: Optional[User]) -> tuple[set[str], set[int]]:
    """(answer references, card ids) of the wave that may be marked as wins now, for the buttons
    on the retrospective board."""
    listed = candidates(wave, actor)
    return ({c.ref for c in listed if c.source == "answer"}, {int(c.ref) for c in listed if c.source == "card"})


def as_dict(win: Win) -> dict:
    """A win as the API gives it: never who wrote an answer, and for an anonymous answer only the day."""
    anonymous = win.source == "answer" and win.wave.rollout.anonymous
    marked: datetime = win.marked_at
    return {"id": win.id, "wave": win.wave.number, "source": win.source, "title": win.title, "text": win.text,
            "question": win.code if win.source == "answer" else None,
            "card": win.card_id if win.source == "card" else None,
            "marked_on": marked.date().isoformat(),
            "marked_at": None if anonymous else marked.isoformat(),
            "marked_by": win.marked_by.name if win.marked_by is not None else None}


# --- retention and a person's data ------------------------------------------------------

def erase_texts(rollout: Rollout) -> int:
    """With the rollout's free texts (retention): the wins made of answers and of copied cards.
    In the open transaction; how many."""
    copied = select(RetroCard.id).where(RetroCard.source == "participant")
    return execute_dml(delete(Win).where(Win.rollout_id == rollout.id, (Win.source == "answer")
                                         | Win.card_id.in_(copied))
                       .execution_options(synchronize_session=False)).rowcount


def erase_for_responses(response_ids: list[int]) -> int:
    """With a person's answers (erasure): the wins made of them. In the open transaction."""
    if not response_ids:
        return 0
    erased = execute_dml(delete(Win).where(Win.response_id.in_(response_ids))
                         .execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(ShareConsent).where(ShareConsent.response_id.in_(response_ids))
                       .execution_options(synchronize_session=False))
    return erased


def of_responses(response_ids: list[int]) -> list[dict]:
    """A person's export: the wins made of their answers, and what they said may be shared."""
    if not response_ids:
        return []
    rows = db.session.execute(
        select(Win, Rollout.key, Wave.number).join(Wave, Wave.id == Win.wave_id)
        .join(Rollout, Rollout.id == Win.rollout_id).where(Win.response_id.in_(response_ids))
        .order_by(Win.id)).all()
    return [{"rollout": key, "wave": number, "question": win.code, "text": win.text, "title": win.title,
             "shown": win.shown, "marked_at": win.marked_at.isoformat(),
             "withdrawn_at": win.withdrawn_at.isoformat() if win.withdrawn_at else None}
            for win, key, number in rows]


def consents_of(response_ids: list[int]) -> list[dict]:
    if not response_ids:
        return []
    return [{"rollout": key, "wave": number, "question": code, "given_at": given.isoformat()}
            for code, given, key, number in db.session.execute(
                select(ShareConsent.code, ShareConsent.given_at, Rollout.key, Wave.number)
                .join(Response, Response.id == ShareConsent.response_id).join(Wave, Wave.id == Response.wave_id)
                .join(Rollout, Rollout.id == Wave.rollout_id).where(ShareConsent.response_id.in_(response_ids))
                .order_by(Rollout.key, Wave.number, ShareConsent.code))]


def count_for_rollout(rollout: Rollout) -> int:
    return db.session.scalar(select(func.count()).select_from(Win).where(
        Win.rollout_id == rollout.id, Win.withdrawn_at.is_(None))) or 0
