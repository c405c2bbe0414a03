"""A rollout's wins: list them, share an answer or a card as one, withdraw one."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from ..services import waves, wins
from ..services.errors import NotFound, ValidationFailed
from .common import MAX_ID, Paging, api, listing, load, no_content, paging, rollout_for, token_required
from .schemas.base import page_of
from .schemas.wins import NewWinSchema, WinSchema
from .spec import ID_PARAMETER, KEY_PARAMETER, body, operation, query

WIN_PARAMETERS = [KEY_PARAMETER, {**ID_PARAMETER, "name": "win_id"}]


@api.get("/rollouts/<key>/wins", parameters=[KEY_PARAMETER])
@operation("The rollout's wins, the latest first")
@query(Paging)
@api.response(200, page_of(WinSchema))
@token_required
def list_wins(key: str) -> dict:
    rollout = rollout_for(key)
    page, per_page = paging()
    items, total = wins.for_rollout(rollout, g.user, page=page, per_page=per_page)
    return listing([wins.as_dict(win) for win in items], total, page, per_page)


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("The win could not be saved."), [{"field": field, "message": message}])


@api.post("/rollouts/<key>/wins", parameters=[KEY_PARAMETER])
@operation("Share an answer or a card as a win", conflict=True,
           description="409 no_consent for an answer whose author did not say it may be shared (a rollout that "
                       "is not anonymous), not_celebrated for a card that is not \"celebrate\" or \"went well\", "
                       "already_a_win when it is one.")
@body(NewWinSchema)
@api.response(201, WinSchema)
@token_required
def mark_win(key: str) -> tuple[dict, int]:
    rollout = rollout_for(key)
    new = load(NewWinSchema)
    source, ref, number = new.get("source"), new.get("id"), new.get("wave")
    if source not in ("answer", "card"):
        raise _bad("source", _("Choose answer or card."))
    if number is not None and not 0 <= number <= MAX_ID:
        raise NotFound(_("No such wave."))
    if source == "answer":
        if number is None:
            raise _bad("wave", _("Give the wave of the answer."))
        if not isinstance(ref, str):
            raise _bad("id", _("Give the answer's reference."))
        win = wins.mark_answer(waves.get_wave(rollout, number), ref, g.user, new.get("title"))
    else:
        if isinstance(ref, float) and ref.is_integer():
            ref = int(ref)
        if not isinstance(ref, int) or isinstance(ref, bool):
            raise _bad("id", _("Give the card's id."))
        card_wave = wins.wave_of_card(rollout, ref, g.user)
        if number is not None and number != card_wave.number:
            raise NotFound(_("No such card."))
        win = wins.mark_card(card_wave, ref, g.user, new.get("title"))
    return wins.as_dict(win), 201


@api.delete("/rollouts/<key>/wins/<int:win_id>", parameters=WIN_PARAMETERS)
@operation("Withdraw a win: it leaves every page and e-mail", conflict=True)
@api.response(204, description="Done; no body.")
@token_required
def withdraw_win(key: str, win_id: int) -> tuple[str, int]:
    rollout = rollout_for(key)
    if win_id > MAX_ID:
        raise NotFound(_("No such win."))
    wins.withdraw(wins.get_win(rollout, win_id, g.user), g.user)
    return no_content()
