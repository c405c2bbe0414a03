"""What the council reads of the ideas: the board by state, the ideas grouped by the units they
come from, the needs that several units share, and an idea as the API gives it; and the ideas
that became a change, for "you said, we did".

A need is shared when the people behind one idea -- its proposer and its supporters, and so the
proposers of the ideas merged into it -- come from at least SHARED_UNITS different units (units
compared without regard to case). An idea that became a change is done once the change is: a
lesson made of it once the lesson is applied (applied or verified effective), a rollout made of
it once one of its waves is done."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import func, literal_column, select, union_all

from ...extensions import db
from ...models import Idea, IdeaSupport, Lesson, Rollout, Unit, User, Wave
from ...models.vocabularies import IdeaState
from .triage import require_council

SHARED_UNITS = 2
# a lesson that is done, for "you said, we did" (as the lessons' own list counts them)
LESSON_DONE = ("applied", "verified_effective")
BOARD_LIMIT = 200  # ideas shown per state on the board, most supported first


def board(actor: Optional[User], state: str = "") -> dict[str, list[Idea]]:
    """The ideas by state (every state, or the one asked for), most supported first, then oldest."""
    require_council(actor)
    states = [state] if state in IdeaState.__members__.values() else list(IdeaState)
    result: dict[str, list[Idea]] = {}
    for one in states:
        result[one] = list(db.session.scalars(
            select(Idea).where(Idea.state == one).order_by(Idea.supporters.desc(), Idea.created_at, Idea.id)
            .limit(BOARD_LIMIT)))
    return result


def list_ideas(actor: Optional[User], state: str = "") -> list[Idea]:
    require_council(actor)
    query = select(Idea).order_by(Idea.id)
    if state:
        query = query.where(Idea.state == state)
    return list(db.session.scalars(query))


def _unit_key(column: Any) -> Any:
    return func.lower(func.trim(column))


def _people_units() -> Any:
    """(idea id, unit) of every proposer and supporter with a unit, each idea's merged ones folded in."""
    proposers = select(Idea.id.label("idea_id"), _unit_key(func.coalesce(Unit.name, Idea.unit_name)).label("unit")) \
        .outerjoin(Unit, Unit.id == Idea.unit_id)
    supporters = select(IdeaSupport.idea_id.label("idea_id"), _unit_key(IdeaSupport.unit_name).label("unit"))
    merged = select(Idea.merged_into_id.label("idea_id"),
                    _unit_key(func.coalesce(Unit.name, Idea.unit_name)).label("unit")) \
        .outerjoin(Unit, Unit.id == Idea.unit_id).where(Idea.merged_into_id.is_not(None))
    return union_all(proposers, supporters, merged).subquery()


@dataclass(frozen=True)
class UnitGroup:
    unit: str
    ideas: list[Idea]


def by_unit(actor: Optional[User]) -> list[UnitGroup]:
    """The ideas that are not merged, under the unit their proposer named (its directory name when
    it is one), the units with most ideas first."""
    require_council(actor)
    label = func.coalesce(Unit.name, Idea.unit_name)
    rows = db.session.execute(select(Idea, label.label("unit")).outerjoin(Unit, Unit.id == Idea.unit_id)
                              .where(Idea.state != IdeaState.MERGED)
                              .order_by(label, Idea.supporters.desc(), Idea.id)).all()
    groups: dict[str, list[Idea]] = {}
    names: dict[str, str] = {}
    for idea, unit in rows:
        key = (unit or "").strip().lower()
        names.setdefault(key, (unit or "").strip())
        groups.setdefault(key, []).append(idea)
    return sorted((UnitGroup(names[key], ideas) for key, ideas in groups.items()),
                  key=lambda group: (-len(group.ideas), group.unit.lower()))


@dataclass(frozen=True)
class SharedNeed:
    idea: Idea
    units: list[str]


def shared_needs(actor: Optional[User]) -> list[SharedNeed]:
    """Ideas (not merged, not declined) whose people come from SHARED_UNITS units or more, those
    with most units first."""
    require_council(actor)
    units = _people_units()
    counted = select(units.c.idea_id, func.count(func.distinct(units.c.unit)).label("n")) \
        .where(units.c.unit != "").group_by(units.c.idea_id) \
        .having(func.count(func.distinct(units.c.unit)) >= SHARED_UNITS).subquery()
    ideas = list(db.session.scalars(
        select(Idea).join(counted, counted.c.idea_id == Idea.id)
        .where(Idea.state.in_((IdeaState.NEW, IdeaState.UNDER_REVIEW, IdeaState.ACCEPTED)))
        .order_by(counted.c.n.desc(), Idea.supporters.desc(), Idea.id)))
    if not ideas:
        return []
    names: dict[int, set[str]] = {}
    for idea_id, unit in db.session.execute(select(units.c.idea_id, units.c.unit).where(
            units.c.idea_id.in_([idea.id for idea in ideas]), units.c.unit != "")):
        names.setdefault(idea_id, set()).add(unit)
    return [SharedNeed(idea, sorted(names.get(idea.id, ()))) for idea in ideas]


def as_dict(idea: Idea) -> dict[str, Any]:
    """An idea as the council's API gives it."""
    return {"id": idea.id, "state": str(idea.state), "name": idea.name, "email": idea.email,
            "language": idea.language, "unit": idea.unit_label, "problem": idea.problem, "idea": idea.idea,
            "reach": idea.reach, "supporters": idea.supporters, "reason": idea.reason,
            "merged_into": idea.merged_into_id, "rollout": idea.rollout.key if idea.rollout else None,
            "lesson": idea.lesson_id, "created_at": idea.created_at, "decided_at": idea.decided_at}


def public_dict(idea: Idea) -> dict[str, Any]:
    """What anyone sees of an idea (the similar ones, a receipt): no names, no addresses."""
    return {"id": idea.id, "state": str(idea.state), "problem": idea.problem, "idea": idea.idea,
            "supporters": idea.supporters, "created_at": idea.created_at}


def done_in(rollout: Rollout) -> list[Idea]:
    """Ideas from the floor that became a change in this rollout, once the change is done."""
    lesson_done = select(Lesson.id).where(Lesson.rollout_id == rollout.id, Lesson.status.in_(LESSON_DONE))
    wave_done = select(literal_column("1")).select_from(Wave).where(Wave.rollout_id == rollout.id,
                                                                    Wave.state == "done").exists()
    query = select(Idea).where(Idea.state == IdeaState.ACCEPTED,
                               Idea.lesson_id.in_(lesson_done) | ((Idea.rollout_id == rollout.id) & wave_done))
    return list(db.session.scalars(query.order_by(Idea.decided_at, Idea.id)))
