"""The lesson library, across all rollouts: full-text search, its tags,
suggestions for a rollout being planned, carrying a lesson into another
rollout (a copy that points to its original), and what a reader is shown of
the lessons of a rollout they may not open."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, column, func, select, table, text, union_all

from ...extensions import db
from ...models import Lesson, LessonTag, Rollout, RolloutRole, RolloutTag, User
from ...models.search import FTS_TABLE, postgres_tsquery, query_words, sqlite_match
from ..accounts import require_view
from ..errors import GuardFailed, NotFound
from ..paging import page_of
from ..validation import without_controls
from .lifecycle import create_lesson
from .reading import as_dict, default_target_wave, require_team, with_parts


def viewable_rollouts(actor: Optional[User], rollout_ids: Iterable[Optional[int]]) -> set[int]:
    """Of these rollouts, the ids `actor` may open, in one query (every one for an admin or the system);
    the library shows other rollouts' lessons but links only to what the reader may see."""
    ids = {i for i in rollout_ids if i is not None}
    if not ids or actor is None or actor.is_admin:
        return ids
    return set(db.session.scalars(select(RolloutRole.rollout_id).where(RolloutRole.user_id == actor.id,
                                                                       RolloutRole.rollout_id.in_(ids))))


# the FTS5 table as SQL sees it (it is not in the models): joined, so that SQLite ranks the
# matches once in the index instead of once per lesson
_FTS = table(FTS_TABLE, column("rowid"), column("rank"))


def _search_filter(query: Select[Lesson], words: list[str]) -> tuple[Select[Lesson], Optional[ColumnElement[Any]]]:
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
    order = [rank] if rank is not None else []
    return page_of(with_parts(query).order_by(*order, Lesson.created_at.desc(), Lesson.id.desc()), page, per_page)


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
        with_parts(select(Lesson).where(Lesson.id.in_([r.id for r in rows]))))}
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
    target = default_target_wave(rollout)
    data = {"title": source.title, "action": source.action, "tags": source.tags,
            "target_wave": target.number if target else None}
    return create_lesson(rollout, data, actor, source=source)


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
