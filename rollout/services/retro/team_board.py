"""The team's board of a wave's retrospective: its cards (written by the team,
or copied from a participant's answer), the themes that group them, and the
board that shows both with the dots on them. Also who takes part, and from
when (`taking_part`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import CARD_KINDS, CardKind, Lesson, RetroCard, RetroTheme, RetroVote, User, Wave
from ...models.vocabularies import labelled
from .. import audit
from ..errors import FieldErrors, GuardFailed, NotFound
from ..lessons import require_team
from ..paging import page_of
from ..results import answers_hidden
from ..validation import an_id, text_problem
from .evidence import KIND_OF_ANSWER, answer_by_ref

KIND_LABELS = labelled(CardKind, {"went_well": _l("Went well"), "better": _l("Could be better"),
                                  "celebrate": _l("Celebrate"), "idea": _l("Idea")})
OPEN_STATES = ("feedback", "review", "done")
MAX_CARD = 2000
# a theme is made of the cards on one board: a few dozen, never thousands; the UI and the API
# refuse a longer list of cards to put into a theme or move at once
MAX_THEME_CARDS = 1000


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def is_open(wave: Wave) -> bool:
    state = wave.paused_from if wave.state == "paused" else wave.state
    return state in OPEN_STATES


def taking_part(wave: Wave, actor: Optional[User]) -> Wave:
    """The wave, once it is known that `actor` is on its team and its retrospective is open."""
    require_team(actor, wave.rollout)
    if not is_open(wave):
        raise GuardFailed("retro_not_open", _("The retrospective opens when the wave starts collecting feedback."))
    return wave


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
    theme_lessons: dict[Optional[int], list[Lesson]] = {}
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


def _card_fields(wave: Wave, data: object, problems: FieldErrors, card: Optional[RetroCard]) -> dict:
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
    taking_part(wave, actor)
    problems = FieldErrors()
    clean = _card_fields(wave, data, problems, None)
    problems.raise_if_any(_("The card could not be added."))
    return _new_card(wave, actor, "team", {}, **clean)


def _new_card(wave: Wave, actor: Optional[User], source: str, details: dict, **fields: Any) -> RetroCard:
    card = RetroCard(wave_id=wave.id, author_id=actor.id if actor else None, source=source, votes=0, **fields)
    db.session.add(card)
    db.session.flush()
    audit.record(actor, "retro.card", rollout=wave.rollout, subject=f"{wave.number}/{card.id}",
                 details={"kind": card.kind, **details})
    db.session.commit()
    return card


def card_from_answer(wave: Wave, ref: str, kind: Optional[str], actor: Optional[User]) -> RetroCard:
    """A participant's free-text answer (by its reference), copied onto a card (never with their name)."""
    taking_part(wave, actor)
    answer = None if answers_hidden(wave) else answer_by_ref(wave, ref)
    if answer is None or not answer.text:
        raise NotFound(_("No such answer."))
    kind = kind if kind in CARD_KINDS else KIND_OF_ANSWER.get(answer.code, "idea")
    return _new_card(wave, actor, "participant", {"from_answer": ref}, kind=kind, text=answer.text[:MAX_CARD])


def update_card(card: RetroCard, data: dict, actor: Optional[User]) -> RetroCard:
    wave = taking_part(db.session.get_one(Wave, card.wave_id), actor)
    problems = FieldErrors()
    clean = _card_fields(wave, data, problems, card)
    problems.raise_if_any(_("The card could not be saved."))
    for name, value in clean.items():
        setattr(card, name, value)
    audit.record(actor, "retro.card_update", rollout=wave.rollout, subject=f"{wave.number}/{card.id}",
                 details={k: v for k, v in clean.items() if k != "text"})
    db.session.commit()
    return card


def delete_card(card: RetroCard, actor: Optional[User]) -> None:
    wave = taking_part(db.session.get_one(Wave, card.wave_id), actor)
    audit.record(actor, "retro.card_delete", rollout=wave.rollout, subject=f"{wave.number}/{card.id}",
                 details={"kind": card.kind, "text": card.text[:200]})
    # the dots on it go back to their owners; said here too, for SQLite does not enforce ON DELETE CASCADE
    db.session.execute(delete(RetroVote).where(RetroVote.card_id == card.id))
    db.session.delete(card)
    db.session.commit()


def _theme_title(data: object, problems: FieldErrors) -> str:
    title = data.get("title") if isinstance(data, dict) else None
    title = " ".join(title.split()) if isinstance(title, str) else ""
    if not title:
        problems.add("title", _("Give the theme a title."))
    elif reason := text_problem(title, 200):
        problems.add("title", reason)
    return title


def _card_ids(wave: Wave, value: object, problems: FieldErrors) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(an_id(v) is not None for v in value):
        problems.add("cards", _("Give the cards as a list of card ids."))
        return []
    if len(value) > MAX_THEME_CARDS:
        problems.add("cards", _("At most %(n)s cards.", n=MAX_THEME_CARDS))
        return []
    ids = sorted({number for v in value if (number := an_id(v)) is not None})
    found = set(db.session.scalars(select(RetroCard.id).where(RetroCard.wave_id == wave.id, RetroCard.id.in_(ids))))
    if missing := [i for i in ids if i not in found]:
        problems.add("cards", _("No such card in this retrospective: %(ids)s.", ids=", ".join(map(str, missing[:10]))))
    return ids


def create_theme(wave: Wave, data: dict, actor: Optional[User]) -> RetroTheme:
    """A theme, with the cards given (their ids) moved into it."""
    taking_part(wave, actor)
    problems = FieldErrors()
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
    wave = taking_part(db.session.get_one(Wave, theme.wave_id), actor)
    problems = FieldErrors()
    title = _theme_title(data, problems)
    problems.raise_if_any(_("The theme could not be saved."))
    theme.title = title
    audit.record(actor, "retro.theme_update", rollout=wave.rollout, subject=f"{wave.number}/{theme.id}",
                 details={"title": title})
    db.session.commit()
    return theme


def delete_theme(theme: RetroTheme, actor: Optional[User]) -> None:
    """The theme goes; its cards stay, ungrouped."""
    wave = taking_part(db.session.get_one(Wave, theme.wave_id), actor)
    db.session.execute(update(RetroCard).where(RetroCard.theme_id == theme.id).values(theme_id=None))
    # lessons made of the theme stay, without it (ON DELETE SET NULL, which SQLite does not enforce)
    db.session.execute(update(Lesson).where(Lesson.theme_id == theme.id).values(theme_id=None))
    audit.record(actor, "retro.theme_delete", rollout=wave.rollout, subject=f"{wave.number}/{theme.id}",
                 details={"title": theme.title})
    db.session.delete(theme)
    db.session.commit()


def group(wave: Wave, card_ids: object, theme_id: object, actor: Optional[User]) -> int:
    """Move cards into a theme (or out of every theme with None); how many moved."""
    taking_part(wave, actor)
    problems = FieldErrors()
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


def cards(wave: Wave, actor: Optional[User], *, page: int = 1, per_page: int = 100) -> tuple[list[RetroCard], int]:
    require_team(actor, wave.rollout)
    return page_of(select(RetroCard).where(RetroCard.wave_id == wave.id).order_by(RetroCard.id), page, per_page)


def card_dict(card: RetroCard, my_votes: Optional[int] = None) -> dict:
    data = {"id": card.id, "kind": card.kind, "text": card.text, "votes": card.votes, "theme": card.theme_id,
            "source": card.source, "created_at": card.created_at.isoformat()}
    if my_votes is not None:
        data["my_votes"] = my_votes
    return data


def theme_dict(view: ThemeView) -> dict:
    return {"id": view.theme.id, "title": view.theme.title, "votes": view.votes,
            "cards": [c.id for c in view.cards], "lessons": [lesson.id for lesson in view.lessons]}
