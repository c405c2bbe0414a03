"""A wave's retrospective: the evidence it opens with, cards, themes and dot votes."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from ..models import CARD_KINDS, RetroCard, RetroTheme, Wave
from ..services import lessons, questionnaires, retro
from ..services.errors import NotFound, ValidationFailed
from .common import MAX_ID, Paging, api, language, listing, load, no_content, paging, token_required, wave_for
from .schemas.base import page_of
from .schemas.retro import (
    CardChangeSchema,
    CardSchema,
    CardVotesSchema,
    NewCardSchema,
    NewThemeSchema,
    RetroQuery,
    RetroSchema,
    ThemeChangeSchema,
    ThemeSchema,
    VotedCard,
    VotedTheme,
)
from .spec import ID_PARAMETER, WAVE_PARAMETERS, body, operation, query

CARD_PARAMETERS = [*WAVE_PARAMETERS, {**ID_PARAMETER, "name": "card_id"}]
THEME_PARAMETERS = [*WAVE_PARAMETERS, {**ID_PARAMETER, "name": "theme_id"}]


def _card(key: str, number: int, card_id: int) -> tuple[Wave, RetroCard]:
    wave = wave_for(key, number)
    if card_id > MAX_ID:
        raise NotFound(_("No such card."))
    return wave, retro.get_card(wave, card_id, g.user)


def _theme(key: str, number: int, theme_id: int) -> tuple[Wave, RetroTheme]:
    wave = wave_for(key, number)
    if theme_id > MAX_ID:
        raise NotFound(_("No such theme."))
    return wave, retro.get_theme(wave, theme_id, g.user)


def _check_theme_id(body: dict) -> None:
    """An id no theme can have is refused here: the database cannot even look it up."""
    theme = body.get("theme")
    if isinstance(theme, int) and not isinstance(theme, bool) and not 1 <= theme <= MAX_ID:
        raise ValidationFailed(_("The card could not be saved."),
                               [{"field": "theme", "message": _("No such theme in this retrospective.")}])


def _check_card_ids(body: dict) -> None:
    cards = body.get("cards")
    if cards is None:
        return
    if isinstance(cards, list):
        # JSON has one kind of number: 5.0 is the card 5
        body["cards"] = cards = [int(c) if isinstance(c, float) and c.is_integer() else c for c in cards]
    if not isinstance(cards, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in cards):
        message = _("Give the cards as a list of card ids.")
    elif not all(1 <= c <= MAX_ID for c in cards):
        message = _("No such card in this retrospective: %(ids)s.",
                    ids=", ".join(str(c) for c in cards if not 1 <= c <= MAX_ID)[:200])
    else:
        return
    raise ValidationFailed(_("The theme could not be created."), [{"field": "cards", "message": message}])


def _card_with_votes(wave: Wave, card: RetroCard) -> VotedCard:
    mine = retro.my_votes(wave, g.user)
    return VotedCard(card, mine.get(card.id, 0), retro.votes_left(wave, mine))


def _theme_answer(wave: Wave, theme_id: int) -> VotedTheme:
    board = retro.board(wave, g.user)
    view = next(v for v in board.themes if v.theme.id == theme_id)
    return VotedTheme(view, board.my_votes)


def _code_filter() -> str:
    code = request.args.get("code", "")
    if code and not questionnaires.CODE.fullmatch(code):
        raise ValidationFailed(_("Bad query parameters."), [{"field": "code", "message": _("No such question code.")}])
    return code


# --- the whole retrospective ---------------------------------------------------

@api.get("/rollouts/<key>/waves/<int:number>/retro", parameters=WAVE_PARAMETERS)
@operation("The wave's retrospective: the board, the caller's votes left, and the evidence",
           description="page / per_page page the participants' texts (evidence.texts); code keeps the answers to "
                       "one question. Labels follow Accept-Language (sv or en).")
@query(RetroQuery, Paging)
@api.response(200, RetroSchema)
@token_required
def get_retro(key: str, number: int) -> dict:
    wave = wave_for(key, number)
    page, per_page = paging()
    code = _code_filter()
    board = retro.board(wave, g.user)
    seed = retro.wave_evidence(wave, g.user, language(), page=page, per_page=per_page, code=code)
    return {
        "wave": wave.number, "open": retro.is_open(wave), "budget": board.budget, "votes_left": board.votes_left,
        "cards_total": board.cards_total,
        "themes": [VotedTheme(view, board.my_votes) for view in board.themes],
        "ungrouped": [VotedCard(card, board.my_votes.get(card.id, 0))
                      for kind in board.loose for card in board.loose[kind]],
        "evidence": {
            "previous_wave": seed.previous.number if seed.previous is not None else None,
            "changes": seed.changes,
            "problem_categories": seed.problem_categories,
            "serious_problems": seed.serious_problems,
            # a lesson as the lessons service gives it, in the export too
            "lessons": [{"lesson": lessons.as_dict(lesson), "verification": check} for lesson, check in seed.carried],
            "texts": {**listing(seed.texts, seed.texts_total, page, per_page), "hidden": seed.texts_hidden,
                      "code": code or None},
        },
    }


# --- cards ---------------------------------------------------------------------

@api.get("/rollouts/<key>/waves/<int:number>/retro/cards", parameters=WAVE_PARAMETERS)
@operation("The retrospective's cards, oldest first")
@query(Paging)
@api.response(200, page_of(CardSchema))
@token_required
def list_cards(key: str, number: int) -> dict:
    wave = wave_for(key, number)
    page, per_page = paging()
    items, total = retro.cards(wave, g.user, page=page, per_page=per_page)
    mine = retro.my_votes(wave, g.user)
    return listing([VotedCard(card, mine.get(card.id, 0)) for card in items], total, page, per_page)


@api.post("/rollouts/<key>/waves/<int:number>/retro/cards", parameters=WAVE_PARAMETERS)
@operation("Add a card (or copy a participant's answer onto one)", conflict=True,
           description="409 retro_not_open before the wave collects feedback.")
@body(NewCardSchema)
@api.response(201, CardSchema)
@token_required
def add_card(key: str, number: int) -> VotedCard:
    # a card written in the retrospective, or (with `answer`) a participant's free-text answer copied onto one
    wave = wave_for(key, number)
    new = load(NewCardSchema)
    _check_theme_id(new)
    answer, kind = new.get("answer"), new.get("kind")
    if answer is not None:
        if kind is not None and kind not in CARD_KINDS:
            # the service would quietly take the kind the answer suggests
            raise ValidationFailed(_("The card could not be added."), [{"field": "kind", "message": _(
                "Choose went well, could be better, celebrate or idea.")}])
        card = retro.card_from_answer(wave, answer, kind, g.user)
    else:
        card = retro.add_card(wave, {name: new[name] for name in ("kind", "text", "theme") if name in new}, g.user)
    return VotedCard(card, 0)


@api.get("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>", parameters=CARD_PARAMETERS)
@operation("One card")
@api.response(200, CardVotesSchema)
@token_required
def get_card(key: str, number: int, card_id: int) -> VotedCard:
    wave, card = _card(key, number, card_id)
    return _card_with_votes(wave, card)


@api.patch("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>", parameters=CARD_PARAMETERS)
@operation("Change a card's kind or text, or move it into a theme (theme: null takes it out)", conflict=True)
@body(CardChangeSchema)
@api.response(200, CardVotesSchema)
@token_required
def update_card(key: str, number: int, card_id: int) -> VotedCard:
    wave, card = _card(key, number, card_id)
    change = load(CardChangeSchema)
    _check_theme_id(change)
    card = retro.update_card(card, change, g.user)
    return _card_with_votes(wave, card)


@api.delete("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>", parameters=CARD_PARAMETERS)
@operation("Remove a card (its votes go back to the voters)", conflict=True)
@api.response(204, description="Done; no body.")
@token_required
def delete_card(key: str, number: int, card_id: int) -> tuple[str, int]:
    card = _card(key, number, card_id)[1]
    retro.delete_card(card, g.user)
    return no_content()


# --- dot votes -----------------------------------------------------------------

@api.post("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>/votes", parameters=CARD_PARAMETERS)
@operation("Put one of the caller's dots on the card", conflict=True,
           description="No body. 409 with guard no_votes_left when the caller's budget is spent.")
@api.response(200, CardVotesSchema)
@token_required
def vote(key: str, number: int, card_id: int) -> VotedCard:
    wave, card = _card(key, number, card_id)
    return _card_with_votes(wave, retro.vote(card, g.user))


@api.delete("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>/votes", parameters=CARD_PARAMETERS)
@operation("Take one of the caller's dots back from the card", conflict=True,
           description="409 with guard no_vote when the caller has none on it.")
@api.response(200, CardVotesSchema)
@token_required
def unvote(key: str, number: int, card_id: int) -> VotedCard:
    wave, card = _card(key, number, card_id)
    return _card_with_votes(wave, retro.unvote(card, g.user))


# --- themes --------------------------------------------------------------------

@api.post("/rollouts/<key>/waves/<int:number>/retro/themes", parameters=WAVE_PARAMETERS)
@operation("Group cards into a new theme", conflict=True)
@body(NewThemeSchema)
@api.response(201, ThemeSchema)
@token_required
def create_theme(key: str, number: int) -> VotedTheme:
    wave = wave_for(key, number)
    new = load(NewThemeSchema)
    _check_card_ids(new)
    theme = retro.create_theme(wave, {"title": new.get("title"), "cards": new.get("cards")}, g.user)
    return _theme_answer(wave, theme.id)


@api.get("/rollouts/<key>/waves/<int:number>/retro/themes/<int:theme_id>", parameters=THEME_PARAMETERS)
@operation("One theme with its cards")
@api.response(200, ThemeSchema)
@token_required
def get_theme(key: str, number: int, theme_id: int) -> VotedTheme:
    wave, theme = _theme(key, number, theme_id)
    return _theme_answer(wave, theme.id)


@api.patch("/rollouts/<key>/waves/<int:number>/retro/themes/<int:theme_id>", parameters=THEME_PARAMETERS)
@operation("Rename a theme", conflict=True)
@body(ThemeChangeSchema)
@api.response(200, ThemeSchema)
@token_required
def rename_theme(key: str, number: int, theme_id: int) -> VotedTheme:
    wave, theme = _theme(key, number, theme_id)
    change = load(ThemeChangeSchema)
    theme = retro.rename_theme(theme, {"title": change.get("title", theme.title)}, g.user)
    return _theme_answer(wave, theme.id)


@api.delete("/rollouts/<key>/waves/<int:number>/retro/themes/<int:theme_id>", parameters=THEME_PARAMETERS)
@operation("Remove a theme; its cards stay, in no theme", conflict=True)
@api.response(204, description="Done; no body.")
@token_required
def delete_theme(key: str, number: int, theme_id: int) -> tuple[str, int]:
    theme = _theme(key, number, theme_id)[1]
    retro.delete_theme(theme, g.user)
    return no_content()
