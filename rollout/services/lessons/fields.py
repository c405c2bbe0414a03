"""A lesson's fields as a form or the API sends them: checked and cleaned
(`clean_fields`: title, action, owner, origin and target wave, metric, tags),
then set on the lesson with the words the library's search finds it by. Also
the tags of lessons and rollouts."""
from __future__ import annotations

from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Lesson, LessonTag, Rollout, RolloutRole, RolloutTag, User, Wave
from ...models.search import search_words
from .. import compare
from ..errors import FieldErrors
from ..validation import MAX_ID, text_problem, whole_number, without_controls

MAX_TAGS, MAX_TAG = 20, 50


def clean_tags(value: object, problems: FieldErrors, field: str = "tags") -> list[str]:
    """Tags from a list or a comma-separated text: lower-cased, trimmed, unique, in order."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        problems.add(field, _("Tags are a list of words, or words separated by commas."))
        return []
    tags: list[str] = []
    for raw in value:
        tag = " ".join(raw.split()).casefold()
        if not tag:
            continue
        if reason := text_problem(tag, MAX_TAG):
            problems.add(field, _("The tag %(tag)s: %(reason)s", tag=tag[:60], reason=reason))
            continue
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        problems.add(field, _("At most %(n)s tags.", n=MAX_TAGS))
    return tags[:MAX_TAGS]


def set_rollout_tags(rollout: Rollout, tags: list[str]) -> None:
    """Replace a rollout's tags (in the caller's transaction)."""
    rollout.tag_rows = [RolloutTag(tag=tag) for tag in tags]


def _team_user(rollout: Rollout, email: object, problems: FieldErrors) -> Optional[User]:
    if email in (None, ""):
        return None
    if not isinstance(email, str) or without_controls(email) != email:
        problems.add("owner", _("Give the owner's e-mail address."))
        return None
    user = db.session.scalar(select(User).where(User.email == email.strip().lower(), User.active.is_(True)))
    if user is None:
        problems.add("owner", _("No user has this e-mail address."))
        return None
    on_team = user.is_admin or db.session.scalar(select(RolloutRole.id).where(
        RolloutRole.rollout_id == rollout.id, RolloutRole.user_id == user.id)) is not None
    if not on_team:
        problems.add("owner", _("The owner must be on the rollout's team (a lead or a reviewer)."))
        return None
    return user


def _wave_by_number(rollout: Rollout, value: object, field: str, problems: FieldErrors) -> Optional[Wave]:
    if value in (None, ""):
        return None
    number = whole_number(value.strip() if isinstance(value, str) else value, 0, MAX_ID)
    if number is None:
        problems.add(field, _("Give a wave number."))
        return None
    wave = next((w for w in rollout.waves if w.number == number), None)
    if wave is None:
        problems.add(field, _("This rollout has no wave %(n)s.", n=number))
    elif wave.state == "cancelled":
        problems.add(field, _("Wave %(n)s is cancelled.", n=number))
        return None
    return wave


def long_text(value: object, field: str, max_length: int, not_text: str, problems: FieldErrors) -> str:
    """Optional free text (tabs allowed), trimmed; `not_text` when it is something else than text."""
    if value is not None and not isinstance(value, str):
        problems.add(field, not_text)
        value = ""
    value = (value or "").strip()
    if reason := text_problem(value.replace("\t", " "), max_length):
        problems.add(field, reason)
    return value


# the fields a lesson's editor sends in full, and those it sends as they stand (waves, owner, metric)
EDITED_IN_FULL = ("title", "action", "tags")


def field_values(lesson: Lesson) -> dict:
    """The lesson's fields as an editor shows and sends them: waves by number, the owner by
    e-mail address, the tags separated by commas, "" for none."""
    def number(wave: Optional[Wave]) -> str:
        return str(wave.number) if wave is not None else ""

    return {"title": lesson.title, "action": lesson.action, "owner": lesson.owner.email if lesson.owner else "",
            "origin_wave": number(lesson.origin_wave), "target_wave": number(lesson.target_wave),
            "metric": lesson.metric or "", "tags": ", ".join(lesson.tags)}


def changed_fields(lesson: Lesson, submitted: dict) -> dict:
    """Of a whole editor's fields, those to check and save: title, action and tags always, the others
    only when they changed -- a value that was fine when it was set (a wave since cancelled or started,
    an owner since deactivated) must not stop an edit of something else."""
    before = field_values(lesson)
    return {name: value for name, value in submitted.items()
            if name in EDITED_IN_FULL or str(value) != before.get(name)}


def clean_fields(rollout: Rollout, data: dict, problems: FieldErrors, lesson: Optional[Lesson]) -> dict:
    """The fields of `data` checked, waves and owner as models: every field of a new lesson, only
    those given of a change. What is wrong goes into `problems`."""
    if not isinstance(data, dict):
        problems.add("", _("Send an object of lesson fields."))
        return {}
    clean: dict = {}
    if lesson is None or "title" in data:
        title = data.get("title")
        title = " ".join(title.split()) if isinstance(title, str) else ""
        if not title:
            problems.add("title", _("A title is required."))
        elif reason := text_problem(title, 200):
            problems.add("title", reason)
        clean["title"] = title
    if lesson is None or "action" in data:
        clean["action"] = long_text(data.get("action"), "action", 5000, _("Describe what to do, as text."), problems)
    if "owner" in data:
        clean["owner"] = _team_user(rollout, data["owner"], problems)
    for name in ("origin_wave", "target_wave"):
        if name in data:
            clean[name] = _wave_by_number(rollout, data[name], name, problems)
    origin = clean.get("origin_wave", lesson.origin_wave if lesson else None)
    target = clean.get("target_wave", lesson.target_wave if lesson else None)
    if origin is not None and target is not None and target.number <= origin.number:
        problems.add("target_wave", _("The target wave comes after the wave the lesson was learnt in."))
    if "target_wave" in data and target is not None and (lesson is None or target != lesson.target_wave) \
            and target.has_started:
        problems.add("target_wave", _("Wave %(n)s has already started; target a wave that has not.", n=target.number))
    if "metric" in data:
        metric = data["metric"]
        if metric in (None, ""):
            clean["metric"] = None
        elif not isinstance(metric, str) or not compare.is_known(rollout, metric):
            problems.add("metric", _("Choose a question of the questionnaire or a problem category."))
        else:
            clean["metric"] = metric
    if "tags" in data:
        clean["tags"] = clean_tags(data["tags"], problems)
    return clean


def _search_text(lesson: Lesson, tags: list[str]) -> str:
    return " ".join(search_words(" ".join([lesson.title, lesson.action, *tags])))


def apply_fields(lesson: Lesson, clean: dict) -> None:
    """Set cleaned fields on the lesson, and the words the library's search finds it by."""
    for name in ("title", "action", "metric"):
        if name in clean:
            setattr(lesson, name, clean[name])
    if "owner" in clean:
        lesson.owner_id = clean["owner"].id if clean["owner"] else None
        lesson.owner = clean["owner"]
    if "origin_wave" in clean:
        lesson.origin_wave = clean["origin_wave"]
    if "target_wave" in clean:
        lesson.target_wave = clean["target_wave"]
    if "tags" in clean:
        lesson.tag_rows = [LessonTag(tag=tag) for tag in clean["tags"]]
    lesson.search_text = _search_text(lesson, clean.get("tags", lesson.tags))


def audit_view(clean: dict) -> dict:
    """Cleaned fields as the audit log keeps them: waves by number, the owner by e-mail address."""
    view = {}
    for name, value in clean.items():
        if isinstance(value, Wave):
            value = value.number
        elif isinstance(value, User):
            value = value.email
        view[name] = value
    return view
