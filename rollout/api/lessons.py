"""Lessons: a rollout's lessons (from a retrospective theme or written directly), one
lesson's fields, status and verification; the library across rollouts, suggestions for
a rollout from similar ones, and carrying a library lesson into a rollout."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from ..extensions import db
from ..models import LESSON_STATUSES, Lesson, RetroTheme
from ..services import lessons
from ..services.errors import ValidationFailed
from ..services.validation import without_controls
from .common import (
    MAX_ID,
    api,
    language,
    listing,
    no_content,
    paging,
    rollout_for,
    token_required,
    typed_body,
    wave_filter,
)

# tags: a list of words (or one text of words separated by commas); the service checks them
LESSON_FIELDS = {"title": "text", "action": "text", "owner": "text", "origin_wave": "integer",
                 "target_wave": "integer", "metric": "text", "status": "text", "reason": "text"}
# a new lesson is open: its status and reason are not read, so not checked either
NEW_LESSON_FIELDS = {**{k: v for k, v in LESSON_FIELDS.items() if k not in ("status", "reason")}, "theme": "integer"}
CARRY_FIELDS = {"lesson": "integer"}
# the fields of the comparison when there is none (no metric, or no origin or target wave)
NO_COMPARISON = {"label": None, "measure": None, "higher_is_better": None, "before": None, "after": None,
                 "change": None, "outcome": None, "proposal": None}


def _lesson(lesson_id: int) -> Lesson:
    return lessons.get_lesson(lesson_id, g.user)


def _status_filter() -> str:
    status = request.args.get("status", "")
    if status and status not in LESSON_STATUSES:
        raise ValidationFailed(_("Bad query parameters."), [{"field": "status", "message": _(
            "Choose one of: %(states)s.", states=", ".join(LESSON_STATUSES))}])
    return status


def _theme_of(rollout, theme_id) -> RetroTheme | None:
    """The retrospective theme a new lesson is made of: one of this rollout's (422 otherwise)."""
    if theme_id is None:
        return None
    theme = db.session.get(RetroTheme, theme_id) if 1 <= theme_id <= MAX_ID else None
    if theme is None or theme.wave_id not in {w.id for w in rollout.waves}:
        raise ValidationFailed(_("The lesson could not be saved."), [{"field": "theme", "message": _(
            "No such theme in this rollout's retrospectives.")}])
    return theme


# --- a rollout's lessons -------------------------------------------------------

@api.get("/rollouts/<key>/lessons")
@token_required
def list_lessons(key: str):
    rollout = rollout_for(key)
    status = _status_filter()
    target, origin = wave_filter(rollout, "target_wave"), wave_filter(rollout, "origin_wave")
    page, per_page = paging()
    items, total = lessons.for_rollout(rollout, g.user, status=status, target=target, origin=origin,
                                       page=page, per_page=per_page)
    return listing(lessons.library_dicts(items, g.user), total, page, per_page)


@api.post("/rollouts/<key>/lessons")
@token_required
def create_lesson(key: str):
    """A new, open lesson; with `theme`, of that retrospective theme (its title and wave by default).
    The target wave defaults to the one after the origin."""
    rollout = rollout_for(key)
    body = typed_body(NEW_LESSON_FIELDS)
    theme = _theme_of(rollout, body.get("theme"))
    data = {name: value for name, value in body.items() if name not in ("theme", "status", "reason")}
    return lessons.as_dict(lessons.create_lesson(rollout, data, g.user, theme=theme)), 201


@api.get("/rollouts/<key>/lessons/suggestions")
@token_required
def suggestions(key: str):
    """Lessons of other rollouts that share tags with this one, proven ones first."""
    found = lessons.suggestions(rollout_for(key), g.user)
    shown = lessons.library_dicts([lesson for lesson, _shared in found], g.user)
    items = [{"lesson": data, "shared_tags": shared} for data, (_lesson, shared) in zip(shown, found, strict=True)]
    return {"items": items, "total": len(items)}


@api.post("/rollouts/<key>/lessons/carry")
@token_required
def carry(key: str):
    """A library lesson taken into this rollout, targeted at its first wave that has not started."""
    rollout = rollout_for(key)
    source_id = typed_body(CARRY_FIELDS).get("lesson")
    # the library is open to every token: the source need not be a rollout the caller is on
    source = db.session.get(Lesson, source_id) if source_id is not None and 1 <= source_id <= MAX_ID else None
    if source is None:
        raise ValidationFailed(_("The lesson could not be carried over."), [{"field": "lesson", "message": _(
            "No such lesson in the library.")}])
    return lessons.as_dict(lessons.carry(rollout, source, g.user)), 201


# --- one lesson ----------------------------------------------------------------

@api.get("/lessons/<int:lesson_id>")
@token_required
def get_lesson(lesson_id: int):
    return lessons.as_dict(_lesson(lesson_id))


@api.patch("/lessons/<int:lesson_id>")
@token_required
def update_lesson(lesson_id: int):
    """Change fields, and with `status` (and `reason` for deferred or dropped) where it stands."""
    lesson = _lesson(lesson_id)
    body = typed_body(LESSON_FIELDS)
    return lessons.as_dict(lessons.update_lesson(lesson, body, g.user, language()))


@api.delete("/lessons/<int:lesson_id>")
@token_required
def delete_lesson(lesson_id: int):
    """Only an open lesson (a mistake); later ones are dropped with a reason."""
    lessons.delete_lesson(_lesson(lesson_id), g.user)
    return no_content()


@api.get("/lessons/<int:lesson_id>/verification")
@token_required
def verification(lesson_id: int):
    """The lesson's metric in its origin and target wave, and what that proposes."""
    lesson = _lesson(lesson_id)
    comparison = lessons.verification(lesson, language())
    return {"lesson": lesson.id, "metric": lesson.metric,
            "origin_wave": lesson.origin_wave.number if lesson.origin_wave else None,
            "target_wave": lesson.target_wave.number if lesson.target_wave else None,
            **(comparison.as_dict() if comparison is not None else {**NO_COMPARISON, "metric": lesson.metric}),
            "confirmed": (lesson.verification or {}).get("confirmed")}


# --- the library ---------------------------------------------------------------

@api.get("/lessons")
@token_required
def library():
    """Every rollout's lessons, for any token: search by words (`q`), `tag` and `status`."""
    status = _status_filter()
    page, per_page = paging()
    q, tag = request.args.get("q", ""), request.args.get("tag", "")
    if without_controls(tag) != tag:
        return listing([], 0, page, per_page)  # no tag holds control characters
    items, total = lessons.library(g.user, q=q, tag=tag, status=status, page=page, per_page=per_page)
    return listing(lessons.library_dicts(items, g.user), total, page, per_page)
