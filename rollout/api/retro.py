"""A wave's retrospective: the evidence it opens with, cards, themes and dot votes."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from ..models import CARD_KINDS, Wave
from ..services import lessons, questionnaires, retro
from ..services.errors import NotFound, ValidationFailed
from . import serialize
from .common import MAX_ID, api, language, listing, no_content, paging, token_required, typed_body, wave_for

CARD_FIELDS = {"kind": "text", "text": "text", "theme": "integer", "answer": "text"}
CARD_CHANGE_FIELDS = {"kind": "text", "text": "text", "theme": "integer"}  # a card keeps its source
THEME_FIELDS = {"title": "text"}


def _card(key: str, number: int, card_id: int):
    wave = wave_for(key, number)
    if card_id > MAX_ID:
        raise NotFound(_("No such card."))
    return wave, retro.get_card(wave, card_id, g.user)


def _theme(key: str, number: int, theme_id: int):
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


def _card_with_votes(wave: Wave, card) -> dict:
    mine = retro.my_votes(wave, g.user)
    return {**retro.card_dict(card, mine.get(card.id, 0)), "votes_left": retro.votes_left(wave, mine)}


def _theme_answer(wave: Wave, theme_id: int) -> dict:
    board = retro.board(wave, g.user)
    view = next(v for v in board.themes if v.theme.id == theme_id)
    return serialize.theme(view, board.my_votes)


def _code_filter() -> str:
    code = request.args.get("code", "")
    if code and not questionnaires.CODE.fullmatch(code):
        raise ValidationFailed(_("Bad query parameters."), [{"field": "code", "message": _("No such question code.")}])
    return code


# --- the whole retrospective ---------------------------------------------------

@api.get("/rollouts/<key>/waves/<int:number>/retro")
@token_required
def get_retro(key: str, number: int):
    """The board (themes, their cards and votes; the cards in no theme), the caller's votes
    left, and the evidence; the participants' texts are paged with page / per_page."""
    wave = wave_for(key, number)
    page, per_page = paging()
    code = _code_filter()
    board = retro.board(wave, g.user)
    seed = retro.wave_evidence(wave, g.user, language(), page=page, per_page=per_page, code=code)
    return {
        "wave": wave.number, "open": retro.is_open(wave), "budget": board.budget, "votes_left": board.votes_left,
        "cards_total": board.cards_total,
        "themes": [serialize.theme(view, board.my_votes) for view in board.themes],
        "ungrouped": [retro.card_dict(card, board.my_votes.get(card.id, 0))
                      for kind in board.loose for card in board.loose[kind]],
        "evidence": {
            "previous_wave": seed.previous.number if seed.previous is not None else None,
            "changes": [comparison.as_dict() for comparison in seed.changes],
            "problem_categories": seed.problem_categories,
            "serious_problems": [serialize.retro_problem(report) for report in seed.serious_problems],
            "lessons": [{"lesson": lessons.as_dict(lesson), "verification": check.as_dict() if check else None}
                        for lesson, check in seed.carried],
            "texts": {**listing([serialize.text_answer(t) for t in seed.texts], seed.texts_total, page, per_page),
                      "hidden": seed.texts_hidden, "code": code or None},
        },
    }


# --- cards ---------------------------------------------------------------------

@api.get("/rollouts/<key>/waves/<int:number>/retro/cards")
@token_required
def list_cards(key: str, number: int):
    wave = wave_for(key, number)
    page, per_page = paging()
    items, total = retro.cards(wave, g.user, page=page, per_page=per_page)
    mine = retro.my_votes(wave, g.user)
    return listing([retro.card_dict(card, mine.get(card.id, 0)) for card in items], total, page, per_page)


@api.post("/rollouts/<key>/waves/<int:number>/retro/cards")
@token_required
def add_card(key: str, number: int):
    """A card written in the retrospective, or (with `answer`) a participant's free-text
    answer copied onto a card."""
    wave = wave_for(key, number)
    body = typed_body(CARD_FIELDS)
    _check_theme_id(body)
    answer, kind = body.get("answer"), body.get("kind")
    if answer is not None:
        if kind is not None and kind not in CARD_KINDS:
            # the service would quietly take the kind the answer suggests
            raise ValidationFailed(_("The card could not be added."), [{"field": "kind", "message": _(
                "Choose went well, could be better, celebrate or idea.")}])
        card = retro.card_from_answer(wave, answer, kind, g.user)
    else:
        card = retro.add_card(wave, {name: body[name] for name in ("kind", "text", "theme") if name in body}, g.user)
    return retro.card_dict(card, 0), 201


@api.get("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>")
@token_required
def get_card(key: str, number: int, card_id: int):
    wave, card = _card(key, number, card_id)
    return _card_with_votes(wave, card)


@api.patch("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>")
@token_required
def update_card(key: str, number: int, card_id: int):
    """Change a card's kind or text, or move it: {"theme": id} into a theme, {"theme": null} out."""
    wave, card = _card(key, number, card_id)
    body = typed_body(CARD_CHANGE_FIELDS)
    _check_theme_id(body)
    card = retro.update_card(card, {name: body[name] for name in ("kind", "text", "theme") if name in body}, g.user)
    return _card_with_votes(wave, card)


@api.delete("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>")
@token_required
def delete_card(key: str, number: int, card_id: int):
    card = _card(key, number, card_id)[1]
    retro.delete_card(card, g.user)
    return no_content()


# --- dot votes -----------------------------------------------------------------

@api.post("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>/votes")
@token_required
def vote(key: str, number: int, card_id: int):
    """One of the caller's dots on the card (409 no_votes_left when the budget is spent)."""
    wave, card = _card(key, number, card_id)
    return _card_with_votes(wave, retro.vote(card, g.user))


@api.delete("/rollouts/<key>/waves/<int:number>/retro/cards/<int:card_id>/votes")
@token_required
def unvote(key: str, number: int, card_id: int):
    """Take one of the caller's dots back from the card (409 no_vote when there is none)."""
    wave, card = _card(key, number, card_id)
    return _card_with_votes(wave, retro.unvote(card, g.user))


# --- themes --------------------------------------------------------------------

@api.post("/rollouts/<key>/waves/<int:number>/retro/themes")
@token_required
def create_theme(key: str, number: int):
    wave = wave_for(key, number)
    body = typed_body(THEME_FIELDS)
    _check_card_ids(body)
    theme = retro.create_theme(wave, {"title": body.get("title"), "cards": body.get("cards")}, g.user)
    return _theme_answer(wave, theme.id), 201


@api.get("/rollouts/<key>/waves/<int:number>/retro/themes/<int:theme_id>")
@token_required
def get_theme(key: str, number: int, theme_id: int):
    wave, theme = _theme(key, number, theme_id)
    return _theme_answer(wave, theme.id)


@api.patch("/rollouts/<key>/waves/<int:number>/retro/themes/<int:theme_id>")
@token_required
def rename_theme(key: str, number: int, theme_id: int):
    wave, theme = _theme(key, number, theme_id)
    body = typed_body(THEME_FIELDS)
    theme = retro.rename_theme(theme, {"title": body.get("title", theme.title)}, g.user)
    return _theme_answer(wave, theme.id)


@api.delete("/rollouts/<key>/waves/<int:number>/retro/themes/<int:theme_id>")
@token_required
def delete_theme(key: str, number: int, theme_id: int):
    """The theme goes; its cards stay, in no theme."""
    theme = _theme(key, number, theme_id)[1]
    retro.delete_theme(theme, g.user)
    return no_content()
