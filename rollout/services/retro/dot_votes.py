"""Dot votes: each member of the review team puts up to the rollout's vote
budget of dots on a wave's cards and takes them back; the database keeps the
budget (one numbered slot per dot, unique per wave and voter). Leads set the
budget."""
from __future__ import annotations

from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db, execute_dml
from ...models import RetroCard, RetroVote, User, Wave
from .. import audit
from ..accounts import require_lead
from ..errors import FieldErrors, GuardFailed
from ..validation import Limit
from .team_board import taking_part

MAX_BUDGET = 50
# the dots each member of the team has in a retrospective (the rollout's vote budget)
VOTE_BUDGET = Limit(1, MAX_BUDGET, _l("A whole number of votes from 1 to %(n)s.", n=MAX_BUDGET))


def vote(card: RetroCard, actor: User) -> RetroCard:
    """Put one of the actor's dots on the card; refused when their budget is spent."""
    wave = taking_part(db.session.get_one(Wave, card.wave_id), actor)
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
    taking_part(db.session.get_one(Wave, card.wave_id), actor)
    mine = db.session.scalar(select(RetroVote.id).where(RetroVote.card_id == card.id, RetroVote.user_id == actor.id)
                             .order_by(RetroVote.slot.desc()).limit(1))
    if mine is None:
        raise GuardFailed("no_vote", _("You have no vote on this card."))
    removed = execute_dml(delete(RetroVote).where(RetroVote.id == mine)).rowcount
    if removed:
        db.session.execute(update(RetroCard).where(RetroCard.id == card.id).values(votes=RetroCard.votes - 1))
    db.session.commit()
    db.session.refresh(card)
    return card


def set_budget(wave: Wave, value: object, actor: Optional[User]) -> int:
    """The rollout's dots per person and retrospective (leads)."""
    require_lead(actor, wave.rollout)
    budget = VOTE_BUDGET.take(value)
    if budget is None:
        problems = FieldErrors()
        problems.add("vote_budget", str(VOTE_BUDGET.message))
        problems.raise_if_any(_("The vote budget could not be saved."))
    assert budget is not None
    wave.rollout.vote_budget = budget
    audit.record(actor, "retro.budget", rollout=wave.rollout, details={"vote_budget": budget})
    db.session.commit()
    return budget
