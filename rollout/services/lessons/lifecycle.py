"""The life of a lesson: created (from a theme, another rollout's lesson or
directly), changed, moved from status to status with the guards of each move,
verified against its metric, deleted while still open; its owner told by
e-mail. A new wave takes over the lessons that had no target."""
from __future__ import annotations

from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from ...extensions import db, execute_dml
from ...models import LESSON_STATUSES, Lesson, RetroTheme, Rollout, User, Wave
from ...models.types import utcnow
from .. import audit, compare, notify
from ..errors import FieldErrors, GuardFailed, NotFound, ValidationFailed
from ..results import wave_results
from .fields import apply_fields, audit_view, clean_fields, long_text
from .reading import default_origin, default_target_wave, require_team, verifiable_in
from .statuses import BLOCKING, NEEDS_REASON, TRANSITIONS, VERIFIED, VERIFY_OUTCOMES, status_label


def target_waiting(wave: Wave) -> int:
    """A new wave becomes the target of the rollout's open and planned lessons that had none: those
    carried in before the rollout had waves, and those learnt in what was its last wave. The number."""
    earlier = select(Wave.id).where(Wave.rollout_id == wave.rollout_id, Wave.number < wave.number)
    return execute_dml(
        update(Lesson).where(Lesson.rollout_id == wave.rollout_id, Lesson.target_wave_id.is_(None),
                             Lesson.status.in_(("open", "planned")),
                             or_(Lesson.origin_wave_id.is_(None), Lesson.origin_wave_id.in_(earlier)))
        .values(target_wave_id=wave.id).execution_options(synchronize_session=False)).rowcount


def _hold_target(target: Optional[Wave]) -> None:
    """Lock the target wave's row (PostgreSQL) and check again that it has not started: a wave
    starting at the same moment takes the same lock, so it either sees this lesson or this sees it
    started -- never a new open lesson on a running wave."""
    if target is None:
        return
    db.session.refresh(target, with_for_update=True)
    if target.has_started:
        db.session.rollback()
        raise GuardFailed("target_started", _(
            "Wave %(n)s has started, so the lesson cannot be open or planned for it again; "
            "target a later wave first.", n=target.number))


def create_lesson(rollout: Rollout, data: dict, actor: Optional[User], *, theme: Optional[RetroTheme] = None,
                  source: Optional[Lesson] = None) -> Lesson:
    """A new lesson, `open`. From a theme its origin is the theme's wave; the target defaults to
    the wave after the origin."""
    require_team(actor, rollout)
    problems = FieldErrors()
    data = dict(data) if isinstance(data, dict) else data
    if isinstance(data, dict) and theme is not None:
        theme_wave = next((w for w in rollout.waves if w.id == theme.wave_id), None)
        if theme_wave is None:
            raise NotFound(_("No such theme in this rollout's retrospectives."))
        data.setdefault("origin_wave", theme_wave.number)
        if not data.get("title"):
            data["title"] = theme.title
    elif isinstance(data, dict) and source is None and "origin_wave" not in data:
        heard = default_origin(rollout)
        if heard is not None:
            data["origin_wave"] = heard.number
    clean = clean_fields(rollout, data, problems, None)
    if "target_wave" not in clean and clean.get("origin_wave") is not None:
        clean["target_wave"] = default_target_wave(rollout, clean["origin_wave"])
    problems.raise_if_any(_("The lesson could not be saved."))
    _hold_target(clean.get("target_wave"))
    lesson = Lesson(rollout_id=rollout.id, status="open", created_by_id=actor.id if actor else None,
                    theme_id=theme.id if theme else None, source_lesson_id=source.id if source else None,
                    title="", action="")
    lesson.rollout = rollout
    db.session.add(lesson)
    apply_fields(lesson, clean)
    db.session.flush()
    audit.record(actor, "lesson.create", rollout=rollout, subject=str(lesson.id), details=audit_view(clean))
    keys = _tell_owner(lesson, actor)
    db.session.commit()
    _deliver(keys)
    return lesson


def update_lesson(lesson: Lesson, data: dict, actor: Optional[User], language: str = "sv") -> Lesson:
    """Change a lesson's fields and, with `status` (and `reason` where needed), where it stands."""
    rollout = lesson.rollout
    require_team(actor, rollout)
    if not isinstance(data, dict):
        raise ValidationFailed(_("The lesson could not be saved."),
                               [{"field": "", "message": _("Send an object of lesson fields.")}])
    problems = FieldErrors()
    fields = {k: v for k, v in data.items() if k not in ("status", "reason")}
    clean = clean_fields(rollout, fields, problems, lesson)
    status = data.get("status")
    if status is not None and status not in LESSON_STATUSES:
        problems.add("status", _("Choose one of: %(states)s.", states=", ".join(LESSON_STATUSES)))
    reason = long_text(data.get("reason"), "reason", 2000, _("Give the reason as text."), problems)
    if status in NEEDS_REASON and status != lesson.status and not reason:
        problems.add("reason", _("Say why the lesson is deferred or dropped."))
    problems.raise_if_any(_("The lesson could not be saved."))
    old_owner = lesson.owner_id
    if "target_wave" in clean and clean["target_wave"] != lesson.target_wave and \
            (status or lesson.status) in BLOCKING:
        _hold_target(clean["target_wave"])
    if status is not None and status != lesson.status:
        _move(lesson, status, reason, language, clean.get("target_wave", lesson.target_wave))
    apply_fields(lesson, clean)
    lesson.updated_at = utcnow()
    details = audit_view(clean)
    if status is not None:
        details.update(status=status, reason=reason)
    audit.record(actor, "lesson.update", rollout=rollout, subject=str(lesson.id), details=details)
    keys = _tell_owner(lesson, actor) if lesson.owner_id != old_owner else []
    db.session.commit()
    _deliver(keys)
    return lesson


def _move(lesson: Lesson, status: str, reason: str, language: str, target: Optional[Wave]) -> None:
    if status not in TRANSITIONS[lesson.status]:
        raise GuardFailed("lesson_status", _("A lesson cannot go from %(from)s to %(to)s.",
                                             **{"from": status_label(lesson.status).lower(),
                                                "to": status_label(status).lower()}))
    if status in BLOCKING and target is not None and target.has_started:
        raise GuardFailed("target_started", _(
            "Wave %(n)s has started, so the lesson cannot be open or planned for it again; "
            "target a later wave first.", n=target.number))
    now = utcnow()
    if status in VERIFIED:
        if not verifiable_in(target):
            raise GuardFailed("target_not_reviewed", _(
                "A lesson is verified in its target wave's review, once that wave's feedback is closed."))
        comparison = verification(lesson, language)
        lesson.verification = {**(comparison.as_dict() if comparison else {}),
                               "confirmed": "effective" if status == "verified_effective" else "ineffective",
                               "at": now.isoformat()}
        lesson.verified_at = now
    elif status == "applied":
        lesson.applied_at = now
    if status not in VERIFIED:
        lesson.verification = None
        lesson.verified_at = None
    if status in ("open", "planned"):
        lesson.applied_at = None
    lesson.status = status
    lesson.status_reason = reason if status in NEEDS_REASON else ""


def verify(lesson: Lesson, outcome: Optional[str], actor: Optional[User], language: str = "sv") -> Lesson:
    """The team's conclusion on an applied lesson once its target wave is in review: `outcome`
    "effective" or "ineffective" (the lesson becomes verified_<outcome>, the comparison kept with it).
    The one way both verification panels (the lesson's page, the retrospective) go."""
    if outcome not in VERIFY_OUTCOMES:
        raise ValidationFailed(_("The lesson could not be saved."),
                               [{"field": "outcome", "message": _("Choose whether the lesson was effective.")}])
    return update_lesson(lesson, {"status": f"verified_{outcome}"}, actor, language)


def verification(lesson: Lesson, language: str = "sv") -> Optional[compare.Comparison]:
    """The lesson's metric in its origin and its target wave, with the proposal; None when the
    lesson has no metric or no origin / target."""
    if not lesson.metric or lesson.origin_wave is None or lesson.target_wave is None:
        return None
    return compare.compare(lesson.rollout, lesson.metric, wave_results(lesson.origin_wave),
                           wave_results(lesson.target_wave), language)


def delete_lesson(lesson: Lesson, actor: Optional[User]) -> None:
    """Only an open lesson can be deleted (a mistake); later, drop it with a reason."""
    require_team(actor, lesson.rollout)
    if lesson.status != "open":
        raise GuardFailed("lesson_not_open", _("Only an open lesson can be deleted; drop it with a reason instead."))
    audit.record(actor, "lesson.delete", rollout=lesson.rollout, subject=str(lesson.id), details={"title": lesson.title})
    db.session.delete(lesson)
    db.session.commit()


def _tell_owner(lesson: Lesson, actor: Optional[User]) -> list[str]:
    """E-mail a lesson's new owner (once per lesson and owner), unless they made it themselves."""
    owner = lesson.owner
    if owner is None or (actor is not None and actor.id == owner.id):
        return []
    key = f"lesson_owner:{lesson.id}:{owner.id}"
    url = notify.public_url(f"/rollouts/{lesson.rollout.key}/lessons/{lesson.id}")
    notify.queue("lesson_owner", key, owner.email, owner.language, "lesson_owner", user_id=owner.id,
                 lesson=lesson, rollout=lesson.rollout, actor=actor, url=url)
    return [key]


def _deliver(keys: list[str]) -> None:
    if keys:
        notify.deliver_pending(keys=keys)
