"""Lessons: a rollout's lessons (from a retrospective theme or written directly), one
lesson's fields, status and verification; the library across rollouts, suggestions for
a rollout from similar ones, and carrying a library lesson into a rollout."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from ..extensions import db
from ..models import LESSON_STATUSES, Lesson, RetroTheme, Rollout
from ..services import lessons
from ..services.errors import ValidationFailed
from ..services.validation import without_controls
from .common import (
    MAX_ID,
    Paging,
    api,
    language,
    listing,
    load,
    no_content,
    paging,
    rollout_for,
    token_required,
    wave_filter,
)
from .schemas.base import all_of, page_of
from .schemas.lessons import (
    CarrySchema,
    Checked,
    LessonChangeSchema,
    LessonQuery,
    LessonSchema,
    LibraryQuery,
    NewLessonSchema,
    SuggestionSchema,
    VerificationSchema,
)
from .spec import ID_PARAMETER, KEY_PARAMETER, body, operation, query

LESSON_PARAMETERS = [{**ID_PARAMETER, "name": "lesson_id"}]


def _lesson(lesson_id: int) -> Lesson:
    return lessons.get_lesson(lesson_id, g.user)


def _status_filter() -> str:
    status = request.args.get("status", "")
    if status and status not in LESSON_STATUSES:
        raise ValidationFailed(_("Bad query parameters."), [{"field": "status", "message": _(
            "Choose one of: %(states)s.", states=", ".join(LESSON_STATUSES))}])
    return status


def _theme_of(rollout: Rollout, theme_id: int | None) -> RetroTheme | None:
    """The retrospective theme a new lesson is made of: one of this rollout's (422 otherwise)."""
    if theme_id is None:
        return None
    theme = db.session.get(RetroTheme, theme_id) if 1 <= theme_id <= MAX_ID else None
    if theme is None or theme.wave_id not in {w.id for w in rollout.waves}:
        raise ValidationFailed(_("The lesson could not be saved."), [{"field": "theme", "message": _(
            "No such theme in this rollout's retrospectives.")}])
    return theme


# --- a rollout's lessons -------------------------------------------------------
# A lesson is answered as the lessons service gives it (`as_dict`, `library_dicts`), and the
# schema serves it: the JSON export gives the same lesson, and the library's rule of what a
# reader who may not open the rollout sees stays in the service.

@api.get("/rollouts/<key>/lessons", parameters=[KEY_PARAMETER])
@operation("The rollout's lessons")
@query(LessonQuery, Paging)
@api.response(200, page_of(LessonSchema))
@token_required
def list_lessons(key: str) -> dict:
    rollout = rollout_for(key)
    status = _status_filter()
    target, origin = wave_filter(rollout, "target_wave"), wave_filter(rollout, "origin_wave")
    page, per_page = paging()
    items, total = lessons.for_rollout(rollout, g.user, status=status, target=target, origin=origin,
                                       page=page, per_page=per_page)
    return listing(lessons.library_dicts(items, g.user), total, page, per_page)


@api.post("/rollouts/<key>/lessons", parameters=[KEY_PARAMETER])
@operation("A new lesson (open), written directly or made of a retrospective theme", conflict=True)
@body(NewLessonSchema)
@api.response(201, LessonSchema)
@token_required
def create_lesson(key: str) -> dict:
    # with `theme`, of that retrospective theme (its title and wave by default); the target wave
    # defaults to the one after the origin
    rollout = rollout_for(key)
    new = load(NewLessonSchema)
    theme = _theme_of(rollout, new.pop("theme", None))
    return lessons.as_dict(lessons.create_lesson(rollout, new, g.user, theme=theme))


@api.get("/rollouts/<key>/lessons/suggestions", parameters=[KEY_PARAMETER])
@operation("Lessons of other rollouts that share tags with this one (proven ones first)")
@api.response(200, all_of(SuggestionSchema))
@token_required
def suggestions(key: str) -> dict:
    found = lessons.suggestions(rollout_for(key), g.user)
    shown = lessons.library_dicts([lesson for lesson, _shared in found], g.user)
    items = [{"lesson": data, "shared_tags": shared} for data, (_lesson, shared) in zip(shown, found, strict=True)]
    return {"items": items, "total": len(items)}


@api.post("/rollouts/<key>/lessons/carry", parameters=[KEY_PARAMETER])
@operation("Carry a library lesson into this rollout (targeted at its first wave not yet started)", conflict=True)
@body(CarrySchema)
@api.response(201, LessonSchema)
@token_required
def carry(key: str) -> dict:
    rollout = rollout_for(key)
    source_id = load(CarrySchema).get("lesson")
    # the library is open to every token: the source need not be a rollout the caller is on
    source = db.session.get(Lesson, source_id) if source_id is not None and 1 <= source_id <= MAX_ID else None
    if source is None:
        raise ValidationFailed(_("The lesson could not be carried over."), [{"field": "lesson", "message": _(
            "No such lesson in the library.")}])
    return lessons.as_dict(lessons.carry(rollout, source, g.user))


# --- one lesson ----------------------------------------------------------------

@api.get("/lessons/<int:lesson_id>", parameters=LESSON_PARAMETERS)
@operation("One lesson")
@api.response(200, LessonSchema)
@token_required
def get_lesson(lesson_id: int) -> dict:
    return lessons.as_dict(_lesson(lesson_id))


@api.patch("/lessons/<int:lesson_id>", parameters=LESSON_PARAMETERS)
@operation("Change a lesson's fields and where it stands", conflict=True,
           description="409 with guard lesson_status on a move the flow does not allow, target_not_reviewed when "
                       "verifying before the target wave's review.")
@body(LessonChangeSchema)
@api.response(200, LessonSchema)
@token_required
def update_lesson(lesson_id: int) -> dict:
    lesson = _lesson(lesson_id)
    change = load(LessonChangeSchema)
    return lessons.as_dict(lessons.update_lesson(lesson, change, g.user, language()))


@api.delete("/lessons/<int:lesson_id>", parameters=LESSON_PARAMETERS)
@operation("Delete an open lesson (later ones are dropped with a reason)", conflict=True)
@api.response(204, description="Done; no body.")
@token_required
def delete_lesson(lesson_id: int) -> tuple[str, int]:
    lessons.delete_lesson(_lesson(lesson_id), g.user)
    return no_content()


@api.get("/lessons/<int:lesson_id>/verification", parameters=LESSON_PARAMETERS)
@operation("The lesson's metric in its origin and target wave, and the proposal")
@api.response(200, VerificationSchema)
@token_required
def verification(lesson_id: int) -> Checked:
    lesson = _lesson(lesson_id)
    return Checked(lesson, lessons.verification(lesson, language()))


# --- the library ---------------------------------------------------------------

@api.get("/lessons")
@operation("The lesson library: every rollout's lessons, best matches first, then newest")
@query(LibraryQuery, Paging)
@api.response(200, page_of(LessonSchema))
@token_required
def library() -> dict:
    # for any token: search by words (`q`), `tag` and `status`
    status = _status_filter()
    page, per_page = paging()
    q, tag = request.args.get("q", ""), request.args.get("tag", "")
    if without_controls(tag) != tag:
        return listing([], 0, page, per_page)  # no tag holds control characters
    items, total = lessons.library(g.user, q=q, tag=tag, status=status, page=page, per_page=per_page)
    return listing(lessons.library_dicts(items, g.user), total, page, per_page)
