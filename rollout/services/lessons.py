"""Lessons: raised in a wave's retrospective (from a theme or written
directly), owned by someone on the team, targeted at a later wave, applied
before that wave starts, and verified against their metric once it has run.
Also the lesson library across all rollouts: full-text search, tags, and
suggestions for a rollout being planned.

    open -> planned -> applied -> verified_effective | verified_ineffective
    open | planned -> deferred | dropped (with a reason)

The guard of the wave flow lives here (`pending_for`): a wave cannot start
while a lesson targeted at it is still open or planned.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import case, column, func, or_, select, table, text, union_all, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    LESSON_STATUSES,
    Lesson,
    LessonTag,
    RetroCard,
    RetroTheme,
    Rollout,
    RolloutRole,
    RolloutTag,
    User,
    Wave,
)
from ..models.search import FTS_TABLE, postgres_tsquery, query_words, search_words, sqlite_match
from ..models.types import utcnow
from . import audit, compare, notify
from .accounts import require_view
from .errors import GuardFailed, NotFound, Problems, ValidationFailed
from .results import wave_results
from .validation import MAX_ID, text_problem, whole_number, without_controls

# where a lesson may go from each status
TRANSITIONS = {
    "open": ("planned", "applied", "deferred", "dropped"),
    "planned": ("open", "applied", "deferred", "dropped"),
    "applied": ("planned", "verified_effective", "verified_ineffective"),
    "verified_effective": ("applied",),
    "verified_ineffective": ("applied",),
    "deferred": ("open", "planned"),
    "dropped": ("open",),
}
NEEDS_REASON = ("deferred", "dropped")
VERIFIED = ("verified_effective", "verified_ineffective")
DONE_FOR_THE_WAVE = ("applied", "verified_effective", "verified_ineffective")
# a wave cannot start while a lesson targeted at it is in one of these
BLOCKING = ("open", "planned")
# states in which a wave's results exist to verify a lesson against
VERIFIABLE_WAVE_STATES = ("review", "done")
MAX_TAGS, MAX_TAG = 20, 50


def status_label(status: str) -> str:
    # a context of their own: "Applied" of a lesson is singular, unlike the chart's legend
    return {
        "open": pgettext("lesson status", "Open"), "planned": pgettext("lesson status", "Planned"),
        "applied": pgettext("lesson status", "Applied"),
        "verified_effective": pgettext("lesson status", "Verified: effective"),
        "verified_ineffective": pgettext("lesson status", "Verified: not effective"),
        "deferred": pgettext("lesson status", "Deferred"), "dropped": pgettext("lesson status", "Dropped"),
    }.get(status, status)


# --- tags --------------------------------------------------------------------

def clean_tags(value, problems: Problems, field: str = "tags") -> list[str]:
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


# --- reading -------------------------------------------------------------------

def get_lesson(lesson_id: int, actor: Optional[User]) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(_("No such lesson."))
    require_view(actor, lesson.rollout)
    return lesson


def _with_parts(query):
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
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(_with_parts(query).order_by(Lesson.id).limit(per_page)
                               .offset((max(page, 1) - 1) * per_page)).all()
    return list(items), total


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
    if wave is None:
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


def viewable_rollouts(actor: Optional[User], rollout_ids) -> set[int]:
    """Of these rollouts, the ids `actor` may open, in one query (every one for an admin or the system);
    the library shows other rollouts' lessons but links only to what the reader may see."""
    ids = {i for i in rollout_ids if i is not None}
    if not ids or actor is None or actor.is_admin:
        return ids
    return set(db.session.scalars(select(RolloutRole.rollout_id).where(RolloutRole.user_id == actor.id,
                                                                       RolloutRole.rollout_id.in_(ids))))


def pending_for(wave: Wave) -> list[Lesson]:
    """Lessons targeted at `wave` that keep it from starting (still open or planned)."""
    return list(db.session.scalars(select(Lesson).where(Lesson.target_wave_id == wave.id,
                                                        Lesson.status.in_(BLOCKING)).order_by(Lesson.id)))


def target_waiting(wave: Wave) -> int:
    """A new wave becomes the target of the rollout's open and planned lessons that had none: those
    carried in before the rollout had waves, and those learnt in what was its last wave. The number."""
    earlier = select(Wave.id).where(Wave.rollout_id == wave.rollout_id, Wave.number < wave.number)
    return db.session.execute(
        update(Lesson).where(Lesson.rollout_id == wave.rollout_id, Lesson.target_wave_id.is_(None),
                             Lesson.status.in_(("open", "planned")),
                             or_(Lesson.origin_wave_id.is_(None), Lesson.origin_wave_id.in_(earlier)))
        .values(target_wave_id=wave.id).execution_options(synchronize_session=False)).rowcount


def next_wave(wave: Wave) -> Optional[Wave]:
    later = [w for w in wave.rollout.waves if w.number > wave.number and w.state != "cancelled"]
    return later[0] if later else None


def next_unstarted_wave(wave: Wave) -> Optional[Wave]:
    """The default target of a lesson learnt in `wave`: the first later wave that can still change."""
    later = [w for w in wave.rollout.waves if w.number > wave.number and w.state != "cancelled"
             and not w.materialised]
    return later[0] if later else None


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


# --- writing -------------------------------------------------------------------

def _team_user(rollout: Rollout, email, problems: Problems) -> Optional[User]:
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


def _wave_by_number(rollout: Rollout, value, field: str, problems: Problems) -> Optional[Wave]:
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


def _long_text(value, field: str, max_length: int, not_text: str, problems: Problems) -> str:
    """Optional free text (tabs allowed), trimmed; `not_text` when it is something else than text."""
    if value is not None and not isinstance(value, str):
        problems.add(field, not_text)
        value = ""
    value = (value or "").strip()
    if reason := text_problem(value.replace("\t", " "), max_length):
        problems.add(field, reason)
    return value


def _clean(rollout: Rollout, data: dict, problems: Problems, lesson: Optional[Lesson]) -> dict:
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
        clean["action"] = _long_text(data.get("action"), "action", 5000, _("Describe what to do, as text."), problems)
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
            and target.materialised:
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


def _hold_target(target: Optional[Wave]) -> None:
    """Lock the target wave's row (PostgreSQL) and check again that it has not started: a wave
    starting at the same moment takes the same lock, so it either sees this lesson or this sees it
    started -- never a new open lesson on a running wave."""
    if target is None:
        return
    db.session.refresh(target, with_for_update=True)
    if target.materialised:
        db.session.rollback()
        raise GuardFailed("target_started", _(
            "Wave %(n)s has started, so the lesson cannot be open or planned for it again; "
            "target a later wave first.", n=target.number))


def _search_text(lesson: Lesson, tags: list[str]) -> str:
    return " ".join(search_words(" ".join([lesson.title, lesson.action, *tags])))


def _apply(lesson: Lesson, clean: dict) -> None:
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


def _audit_view(clean: dict) -> dict:
    view = {}
    for name, value in clean.items():
        if isinstance(value, Wave):
            value = value.number
        elif isinstance(value, User):
            value = value.email
        view[name] = value
    return view


def require_team(actor: Optional[User], rollout: Rollout) -> None:
    """The review team (leads and reviewers) runs retrospectives and keeps the lessons."""
    require_view(actor, rollout)


def create_lesson(rollout: Rollout, data: dict, actor: Optional[User], *, theme: Optional[RetroTheme] = None,
                  source: Optional[Lesson] = None) -> Lesson:
    """A new lesson, `open`. From a theme its origin is the theme's wave; the target defaults to
    the wave after the origin."""
    require_team(actor, rollout)
    problems = Problems()
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
    clean = _clean(rollout, data, problems, None)
    if "target_wave" not in clean and clean.get("origin_wave") is not None:
        clean["target_wave"] = next_unstarted_wave(clean["origin_wave"])
    problems.raise_if_any(_("The lesson could not be saved."))
    _hold_target(clean.get("target_wave"))
    lesson = Lesson(rollout_id=rollout.id, status="open", created_by_id=actor.id if actor else None,
                    theme_id=theme.id if theme else None, source_lesson_id=source.id if source else None,
                    title="", action="")
    lesson.rollout = rollout
    db.session.add(lesson)
    _apply(lesson, clean)
    db.session.flush()
    audit.record(actor, "lesson.create", rollout=rollout, subject=str(lesson.id), details=_audit_view(clean))
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
    problems = Problems()
    fields = {k: v for k, v in data.items() if k not in ("status", "reason")}
    clean = _clean(rollout, fields, problems, lesson)
    status = data.get("status")
    if status is not None and status not in LESSON_STATUSES:
        problems.add("status", _("Choose one of: %(states)s.", states=", ".join(LESSON_STATUSES)))
    reason = _long_text(data.get("reason"), "reason", 2000, _("Give the reason as text."), problems)
    if status in NEEDS_REASON and status != lesson.status and not reason:
        problems.add("reason", _("Say why the lesson is deferred or dropped."))
    problems.raise_if_any(_("The lesson could not be saved."))
    old_owner = lesson.owner_id
    if "target_wave" in clean and clean["target_wave"] != lesson.target_wave and \
            (status or lesson.status) in BLOCKING:
        _hold_target(clean["target_wave"])
    if status is not None and status != lesson.status:
        _move(lesson, status, reason, language, clean.get("target_wave", lesson.target_wave))
    _apply(lesson, clean)
    lesson.updated_at = utcnow()
    details = _audit_view(clean)
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
    if status in BLOCKING and target is not None and target.materialised:
        raise GuardFailed("target_started", _(
            "Wave %(n)s has started, so the lesson cannot be open or planned for it again; "
            "target a later wave first.", n=target.number))
    now = utcnow()
    if status in VERIFIED:
        if target is None or target.state not in VERIFIABLE_WAVE_STATES:
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


# --- the library -------------------------------------------------------------

@dataclass
class LibraryHit:
    lesson: Lesson
    rank: float


# the FTS5 table as SQL sees it (it is not in the models): joined, so that SQLite ranks the
# matches once in the index instead of once per lesson
_FTS = table(FTS_TABLE, column("rowid"), column("rank"))


def _search_filter(query, words: list[str]):
    """The query narrowed to lessons with every word, and the order of relevance (best first)."""
    if not words:
        return query, None
    if db.session.get_bind().dialect.name == "postgresql":
        tsquery = func.to_tsquery("simple", postgres_tsquery(words))
        vector = func.to_tsvector("simple", Lesson.search_text)
        return query.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery).desc()
    query = query.join(_FTS, _FTS.c.rowid == Lesson.id).where(
        text(f"{FTS_TABLE} MATCH :match").bindparams(match=sqlite_match(words)))
    return query, _FTS.c.rank  # FTS5's rank is bm25: smaller is better


def library(actor: Optional[User], *, q: str = "", tag: str = "", status: str = "", page: int = 1,
            per_page: int = 20) -> tuple[list[Lesson], int]:
    """Lessons of every rollout: anyone on any team may learn from them (their cards and
    answers stay with the rollout). Matching the words of `q`, best first, then newest."""
    if tag and without_controls(tag) != tag:
        return [], 0  # no tag holds control characters
    # a lesson carried into another rollout is listed once, as its original
    query, rank = _search_filter(select(Lesson).where(Lesson.source_lesson_id.is_(None)), query_words(q))
    if tag:
        query = query.where(Lesson.id.in_(select(LessonTag.lesson_id).where(LessonTag.tag == tag.strip().casefold())))
    if status:
        query = query.where(Lesson.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = [rank] if rank is not None else []
    items = db.session.scalars(_with_parts(query).order_by(*order, Lesson.created_at.desc(), Lesson.id.desc())
                               .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return list(items), total


def library_tags(limit: int = 40) -> list[tuple[str, int]]:
    return [(tag, count) for tag, count in db.session.execute(
        select(LessonTag.tag, func.count()).join(Lesson, Lesson.id == LessonTag.lesson_id)
        .where(Lesson.source_lesson_id.is_(None)).group_by(LessonTag.tag)
        .order_by(func.count().desc(), LessonTag.tag).limit(limit))]


# proven first, then those tried, planned, still open, and put off
SUGGESTION_ORDER = {"verified_effective": 0, "applied": 1, "planned": 2, "open": 3, "deferred": 4}


def suggestions(rollout: Rollout, actor: Optional[User], limit: int = 10) -> list[tuple[Lesson, list[str]]]:
    """Lessons of other rollouts that share tags with this one (by the lesson's own tags or
    its rollout's), with the shared tags: proven lessons first, then by how far they got, then by
    the tags they share; dropped and disproven ones are left out, and so are copies (their
    original is offered) and lessons already carried into this rollout."""
    require_view(actor, rollout)
    tags = rollout.tags
    if not tags:
        return []
    tagged = union_all(
        select(LessonTag.lesson_id.label("lesson_id"), LessonTag.tag.label("tag")),
        select(Lesson.id.label("lesson_id"), RolloutTag.tag.label("tag"))
        .join(RolloutTag, RolloutTag.rollout_id == Lesson.rollout_id),
    ).subquery()
    carried = select(Lesson.source_lesson_id).where(Lesson.rollout_id == rollout.id,
                                                    Lesson.source_lesson_id.is_not(None))
    shared = func.count(func.distinct(tagged.c.tag))
    rows = db.session.execute(
        select(Lesson.id, shared.label("shared"))
        .join(tagged, tagged.c.lesson_id == Lesson.id)
        .where(tagged.c.tag.in_(tags), Lesson.rollout_id != rollout.id,
               Lesson.status.not_in(("dropped", "verified_ineffective")), Lesson.id.not_in(carried),
               Lesson.source_lesson_id.is_(None))
        .group_by(Lesson.id, Lesson.status)
        .order_by(case(SUGGESTION_ORDER, value=Lesson.status, else_=len(SUGGESTION_ORDER)), shared.desc(),
                  Lesson.id.desc())
        .limit(limit)).all()
    if not rows:
        return []
    lessons = {lesson.id: lesson for lesson in db.session.scalars(
        _with_parts(select(Lesson).where(Lesson.id.in_([r.id for r in rows]))))}
    result = []
    for row in rows:
        lesson = lessons[row.id]
        mine = set(lesson.tags) | set(lesson.rollout.tags)
        result.append((lesson, [t for t in tags if t in mine]))
    return result


def library_lesson(lesson_id: int) -> Lesson:
    """A lesson of the library (any rollout's), to carry into another rollout."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(_("No such lesson."))
    return lesson


def carry(rollout: Rollout, source: Lesson, actor: Optional[User]) -> Lesson:
    """Take a library lesson into this rollout, targeted at its first wave that has not started."""
    require_team(actor, rollout)
    if source.rollout_id == rollout.id:
        raise GuardFailed("same_rollout", _("This lesson is already in this rollout."))
    target = next((w for w in rollout.waves if not w.materialised and w.state != "cancelled"), None)
    data = {"title": source.title, "action": source.action, "tags": source.tags,
            "target_wave": target.number if target else None}
    return create_lesson(rollout, data, actor, source=source)


def as_dict(lesson: Lesson) -> dict:
    return {"id": lesson.id, "rollout": lesson.rollout.key, "title": lesson.title, "action": lesson.action,
            "origin_wave": lesson.origin_wave.number if lesson.origin_wave else None,
            "target_wave": lesson.target_wave.number if lesson.target_wave else None,
            "owner": lesson.owner.email if lesson.owner else None, "metric": lesson.metric,
            "status": lesson.status, "reason": lesson.status_reason, "tags": lesson.tags,
            "theme": lesson.theme_id, "source_lesson": lesson.source_lesson_id,
            "verification": lesson.verification,
            "created_at": lesson.created_at.isoformat(), "updated_at": lesson.updated_at.isoformat()}


LIBRARY_FIELDS = ("id", "rollout", "title", "action", "origin_wave", "target_wave", "metric", "status", "tags",
                  "created_at", "updated_at")


def library_dicts(lessons_: list[Lesson], actor: Optional[User]) -> list[dict]:
    """Lessons as the library shows them: everything for a rollout the reader may open; otherwise the
    lesson itself and what the data proposed, without its rollout's key, its owner, reasons or the
    rollout's figures."""
    viewable = viewable_rollouts(actor, {lesson.rollout_id for lesson in lessons_})
    items = []
    for lesson in lessons_:
        data = as_dict(lesson)
        if lesson.rollout_id not in viewable:
            data = {name: data[name] for name in LIBRARY_FIELDS}
            data["rollout"] = None  # a rollout the reader may not open is not named
            data["proposal"] = (lesson.verification or {}).get("proposal")
        items.append(data)
    return items

