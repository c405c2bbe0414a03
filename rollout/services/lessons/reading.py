"""Reading lessons: one, or a rollout's (with what their pages show loaded at
once), where one came from, and the theme about to become one; and how a
rollout's lessons stand towards its waves: what keeps a wave from starting
(`pending_for`, the guard of the wave flow), the default origin and target of
a new lesson, what the gate and the participants are told, the chart's counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Lesson, RetroCard, RetroTheme, Rollout, User, Wave
from ..accounts import require_view
from ..errors import NotFound
from ..paging import page_of
from .statuses import BLOCKING, DONE_FOR_THE_WAVE, VERIFIABLE_WAVE_STATES, VERIFIED


def require_team(actor: Optional[User], rollout: Rollout) -> None:
    """The review team (leads and reviewers) runs retrospectives and keeps the lessons."""
    require_view(actor, rollout)


def get_lesson(lesson_id: int, actor: Optional[User]) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(_("No such lesson."))
    require_view(actor, lesson.rollout)
    return lesson


def with_parts(query: Select[Lesson]) -> Select[Lesson]:
    """The query with what lists and pages of lessons show loaded at once (tags, owner, waves,
    the rollout and its tags)."""
    return query.options(selectinload(Lesson.tag_rows), selectinload(Lesson.owner),
                         selectinload(Lesson.origin_wave), selectinload(Lesson.target_wave),
                         selectinload(Lesson.rollout).selectinload(Rollout.tag_rows))


def for_rollout(rollout: Rollout, actor: Optional[User], *, status: str = "", target: Optional[Wave] = None,
                origin: Optional[Wave] = None, page: int = 1, per_page: int = 100) -> tuple[list[Lesson], int]:
    require_view(actor, rollout)
    query = select(Lesson).where(Lesson.rollout_id == rollout.id)
    if status:
        query = query.where(Lesson.status == status)
    if target is not None:
        query = query.where(Lesson.target_wave_id == target.id)
    if origin is not None:
        query = query.where(Lesson.origin_wave_id == origin.id)
    return page_of(with_parts(query).order_by(Lesson.id), page, per_page)


@dataclass
class ThemeContext:
    """A retrospective theme about to become a lesson: its wave, its cards and the lessons made of it."""

    theme: RetroTheme
    wave: Wave
    cards: list[RetroCard]
    lessons: list[Lesson]


def theme_context(rollout: Rollout, theme_id: int, actor: Optional[User]) -> ThemeContext:
    """A theme of one of this rollout's waves (NotFound otherwise), with its cards, most votes first."""
    require_team(actor, rollout)
    theme = db.session.get(RetroTheme, theme_id)
    wave = next((w for w in rollout.waves if theme is not None and w.id == theme.wave_id), None)
    if wave is None or theme is None:
        raise NotFound(_("No such theme."))
    cards = db.session.scalars(select(RetroCard).where(RetroCard.theme_id == theme.id)
                               .order_by(RetroCard.votes.desc(), RetroCard.id)).all()
    made = db.session.scalars(select(Lesson).where(Lesson.theme_id == theme.id).order_by(Lesson.id)).all()
    return ThemeContext(theme, wave, list(cards), list(made))


@dataclass
class Provenance:
    """Where a lesson came from: a theme of a retrospective, or a lesson of another rollout."""

    theme: Optional[RetroTheme]
    theme_wave: Optional[Wave]
    source: Optional[Lesson]


def provenance(lesson: Lesson) -> Provenance:
    theme = db.session.get(RetroTheme, lesson.theme_id) if lesson.theme_id else None
    theme_wave = next((w for w in lesson.rollout.waves if theme is not None and w.id == theme.wave_id), None)
    source = db.session.get(Lesson, lesson.source_lesson_id) if lesson.source_lesson_id else None
    return Provenance(theme, theme_wave, source)


def pending_for(wave: Wave) -> list[Lesson]:
    """Lessons targeted at `wave` that keep it from starting (still open or planned)."""
    return list(db.session.scalars(select(Lesson).where(Lesson.target_wave_id == wave.id,
                                                        Lesson.status.in_(BLOCKING)).order_by(Lesson.id)))


def next_wave(wave: Wave) -> Optional[Wave]:
    later = [w for w in wave.rollout.waves if w.number > wave.number and w.state != "cancelled"]
    return later[0] if later else None


def can_target(wave: Wave) -> bool:
    """A lesson can be newly targeted at a wave that can still change: not started, not cancelled."""
    return not wave.has_started and wave.state != "cancelled"


def next_unstarted_wave(wave: Wave) -> Optional[Wave]:
    """The default target of a lesson learnt in `wave`: the first later wave that can still change."""
    later = [w for w in wave.rollout.waves if w.number > wave.number and can_target(w)]
    return later[0] if later else None


def default_target_wave(rollout: Rollout, origin: Optional[Wave] = None) -> Optional[Wave]:
    """The target a new lesson gets: the first wave after its origin that can still change;
    without an origin (a lesson carried in, or written before any wave was heard), the first such wave."""
    if origin is not None:
        return next_unstarted_wave(origin)
    return next((w for w in rollout.waves if can_target(w)), None)


def verifiable_in(wave: Optional[Wave]) -> bool:
    """Whether a lesson targeted at `wave` can be verified now: its results are in (review or done)."""
    return wave is not None and wave.state in VERIFIABLE_WAVE_STATES


def default_origin(rollout: Rollout) -> Optional[Wave]:
    """Where a lesson is learnt unless it says otherwise: the latest wave that has collected feedback."""
    heard = [w for w in rollout.waves if w.feedback_opened_at is not None and w.state != "cancelled"]
    return heard[-1] if heard else None


def not_ready_for_next(wave: Wave) -> Optional[int]:
    """For the gate after `wave`: how many lessons targeted at the next wave are still `open`
    (without a plan); None when no lesson targets the next wave."""
    following = next_wave(wave)
    if following is None:
        return None
    total, still_open = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Lesson.status == "open", 1), else_=0)), 0))
        .where(Lesson.target_wave_id == following.id, Lesson.status != "dropped")).one()
    return int(still_open) if total else None


def applied_before(wave: Wave) -> list[Lesson]:
    """"You said, we did": the lessons applied for this wave or an earlier one."""
    return list(db.session.scalars(
        select(Lesson).join(Wave, Wave.id == Lesson.target_wave_id)
        .where(Lesson.rollout_id == wave.rollout_id, Wave.number <= wave.number,
               Lesson.status.in_(DONE_FOR_THE_WAVE))
        .order_by(Wave.number, Lesson.id)))


def chart_counts(rollout: Rollout) -> dict[int, dict[str, int]]:
    """Per wave number: lessons raised in it, and applied / verified for it (two queries)."""
    counts: dict[int, dict[str, int]] = {w.number: {"raised": 0, "applied": 0, "verified": 0} for w in rollout.waves}
    for number, count in db.session.execute(
            select(Wave.number, func.count()).join(Lesson, Lesson.origin_wave_id == Wave.id)
            .where(Lesson.rollout_id == rollout.id).group_by(Wave.number)):
        counts.setdefault(number, {"raised": 0, "applied": 0, "verified": 0})["raised"] = count
    for number, applied, verified in db.session.execute(
            select(Wave.number,
                   func.sum(case((Lesson.status.in_(DONE_FOR_THE_WAVE), 1), else_=0)),
                   func.sum(case((Lesson.status.in_(VERIFIED), 1), else_=0)))
            .join(Lesson, Lesson.target_wave_id == Wave.id)
            .where(Lesson.rollout_id == rollout.id).group_by(Wave.number)):
        entry = counts.setdefault(number, {"raised": 0, "applied": 0, "verified": 0})
        entry["applied"], entry["verified"] = int(applied or 0), int(verified or 0)
    return counts


def as_dict(lesson: Lesson) -> dict:
    return {"id": lesson.id, "rollout": lesson.rollout.key, "title": lesson.title, "action": lesson.action,
            "origin_wave": lesson.origin_wave.number if lesson.origin_wave else None,
            "target_wave": lesson.target_wave.number if lesson.target_wave else None,
            "owner": lesson.owner.email if lesson.owner else None, "metric": lesson.metric,
            "status": lesson.status, "reason": lesson.status_reason, "tags": lesson.tags,
            "theme": lesson.theme_id, "source_lesson": lesson.source_lesson_id,
            "verification": lesson.verification,
            "created_at": lesson.created_at.isoformat(), "updated_at": lesson.updated_at.isoformat()}
