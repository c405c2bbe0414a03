"""An idea from the floor: sending one (no account), finding similar ideas and lessons before
sending (the full-text search of both), and supporting an existing idea instead.

The form is public, so it has limits against abuse: a hidden field that only robots fill in
(`honeypot`: such a submission is answered as if sent and stores nothing), and at most
`IDEAS_PER_HOUR` ideas and supports per client address and per e-mail address in an hour,
counted in the database (IdeaLimit) so that the limit holds across workers and hosts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, column, func, select, table, text, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db, execute_dml
from ...languages import LANGUAGES
from ...models import Idea, IdeaLimit, IdeaSupport, Lesson, Unit, idea_search
from ...models import search as lesson_search
from ...models.types import utcnow
from ...models.vocabularies import IdeaReach, IdeaState
from .. import bulk_insert
from ..accounts import check_email, normalise_email
from ..errors import DomainError, FieldErrors, GuardFailed, NotFound
from ..validation import MAX_ID, text_problem

MAX_NAME = 200
MAX_UNIT = 200
MAX_TEXT = 5000
IDEAS_PER_HOUR = 10  # per client address and per e-mail address (config IDEAS_PER_HOUR)
WINDOW = timedelta(hours=1)
SIMILAR_LIMIT = 5
MIN_WORD = 4  # shorter words ("och", "att", "the") say little about what an idea is about
MAX_WORDS = 12
# each word is looked for by its first letters, so that "skrivare" finds "skrivarna" and "skrivaren"
STEM = 6
# ideas others may still support; a merged one is found as the idea it was merged into
OPEN_TO_SUPPORT = (IdeaState.NEW, IdeaState.UNDER_REVIEW, IdeaState.ACCEPTED)


class TooManyIdeas(DomainError):
    status = 429
    code = "too_many_requests"


@dataclass(frozen=True)
class Similar:
    ideas: list[Idea]
    lessons: list[Lesson]

    def __bool__(self) -> bool:
        return bool(self.ideas or self.lessons)


def _text(data: dict, name: str, problems: FieldErrors) -> str:
    """The text of a field, trimmed; "" when not given; anything but text is a problem."""
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        problems.add(name, _("Must be text."))
        return ""
    return value.strip() if isinstance(value, str) else ""


def _person(data: dict, problems: FieldErrors) -> dict[str, str]:
    """Name, e-mail, language and unit of a proposer or supporter, checked."""
    name, email, unit = (_text(data, "name", problems), normalise_email(_text(data, "email", problems)),
                         _text(data, "unit", problems))
    language = data.get("language") or "sv"
    if not name and isinstance(data.get("name"), (str, type(None))):
        problems.add("name", _("A name is required."))
    elif reason := text_problem(name, MAX_NAME):
        problems.add("name", reason)
    if not email and isinstance(data.get("email"), (str, type(None))):
        problems.add("email", _("An e-mail address is required."))
    elif reason := check_email(email):
        problems.add("email", reason)
    if reason := text_problem(unit, MAX_UNIT):
        problems.add("unit", reason)
    if language not in LANGUAGES:
        problems.add("language", _("Choose Swedish or English."))
    return {"name": name, "email": email, "unit": unit, "language": str(language)}


def clean_idea(data: Any) -> dict[str, Any]:
    """The idea's fields, checked all at once (ValidationFailed lists every problem)."""
    problems = FieldErrors()
    data = data if isinstance(data, dict) else {}
    clean: dict[str, Any] = _person(data, problems)
    if not clean["unit"] and isinstance(data.get("unit"), (str, type(None))):
        problems.add("unit", _("Say which unit you work in."))
    for name, missing in (("problem", _("Describe the problem.")), ("idea", _("Describe your idea."))):
        clean[name] = _text(data, name, problems)
        if not clean[name] and isinstance(data.get(name), (str, type(None))):
            problems.add(name, missing)
        elif reason := text_problem(clean[name], MAX_TEXT):
            problems.add(name, reason)
    clean["reach"] = data.get("reach")
    if clean["reach"] not in IdeaReach.__members__.values():
        problems.add("reach", _("Choose how many people the problem affects."))
    problems.raise_if_any(_("The idea could not be sent."))
    return clean


def _limit() -> int:
    return max(int(current_app.config.get("IDEAS_PER_HOUR", IDEAS_PER_HOUR)), 1)


def _count_against_limits(keys: list[str]) -> None:
    """One more idea or support for each key; TooManyIdeas (and nothing counted) once a key has
    reached the limit within the window. In the caller's transaction."""
    now = utcnow()
    query = select(IdeaLimit).where(IdeaLimit.key.in_(keys))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    rows = {row.key: row for row in db.session.scalars(query)}
    for key in keys:
        row = rows.get(key)
        if row is not None and now - row.window_start < WINDOW and row.count >= _limit():
            db.session.rollback()
            raise TooManyIdeas(_("Too many ideas from here in a short time. Try again in an hour."))
    # a key new to the table: added unless another request added it at the same moment
    bulk_insert.insert_rows(db.metadata.tables[IdeaLimit.__tablename__], [{"key": key} for key in keys
                                                                          if key not in rows], ("key",),
                            same={"count": 1, "window_start": now}, unique="key")
    for key in keys:
        row = rows.get(key)
        if row is None:
            continue
        if now - row.window_start >= WINDOW:
            row.count, row.window_start = 1, now
        else:
            row.count += 1


def _limit_keys(client_address: str, email: str) -> list[str]:
    return [f"address:{client_address or 'unknown'}"[:300], f"email:{email}"[:300]]


def _unit_named(name: str) -> Optional[Unit]:
    if not name:
        return None
    return db.session.scalar(select(Unit).where(func.lower(Unit.name) == name.lower()).limit(1))


def idea_words(problem: str, idea: str) -> str:
    return " ".join(lesson_search.search_words(f"{problem} {idea}"))


def submit(data: Any, client_address: str, *, honeypot: str = "") -> Optional[Idea]:
    """A new idea, `new`, from anyone: checked all or nothing. None when the hidden field that
    only robots fill in was filled in (nothing stored; the robot is thanked all the same)."""
    clean = clean_idea(data)
    if honeypot:
        return None
    _count_against_limits(_limit_keys(client_address, clean["email"]))
    unit = _unit_named(clean["unit"])
    idea = Idea(name=clean["name"], email=clean["email"], language=clean["language"],
                unit_name=unit.name if unit else clean["unit"], unit_id=unit.id if unit else None,
                problem=clean["problem"], idea=clean["idea"], reach=clean["reach"], state=IdeaState.NEW,
                reason="", search_text=idea_words(clean["problem"], clean["idea"]), supporters=0)
    db.session.add(idea)
    db.session.commit()
    return idea


# --- similar ideas and lessons --------------------------------------------------------

def similar_words(query: str) -> list[str]:
    """The words a search for similar ideas looks for: the longer ones, by their first STEM
    letters, each once."""
    words: list[str] = []
    for word in lesson_search.search_words(query):
        if len(word) >= MIN_WORD and word[:STEM] not in words:
            words.append(word[:STEM])
    return words[:MAX_WORDS]


def _any_word(model: Any, fts_table: str, words: list[str]) -> tuple[Any, Optional[ColumnElement[Any]]]:
    """A condition that the row holds any of the words (as prefixes), and its relevance, best first."""
    if db.session.get_bind().dialect.name == "postgresql":
        tsquery = func.to_tsquery("simple", " | ".join(f"'{word}':*" for word in words))
        vector = func.to_tsvector("simple", model.search_text)
        return vector.op("@@")(tsquery), func.ts_rank(vector, tsquery).desc()
    fts = table(fts_table, column("rowid"), column("rank"))
    match = " OR ".join(f'"{word}"*' for word in words)
    matching = select(fts.c.rowid).where(text(f"{fts_table} MATCH :match").bindparams(match=match))
    return model.id.in_(matching), None


def similar(query: str, *, exclude: Optional[int] = None, limit: int = SIMILAR_LIMIT) -> Similar:
    """Ideas that others may still support and lessons of the library that share words with
    `query` (the problem and the idea as typed): those sharing most words first."""
    words = similar_words(query)
    if not words:
        return Similar([], [])
    found: dict[str, list[Any]] = {}
    sources: tuple[tuple[Any, str, Any], ...] = (
        (Idea, idea_search.FTS_TABLE, Idea.state.in_(OPEN_TO_SUPPORT)),
        (Lesson, lesson_search.FTS_TABLE, Lesson.source_lesson_id.is_(None)))
    for model, fts_table, extra in sources:
        condition, rank = _any_word(model, fts_table, words)
        query_ = select(model).where(condition, extra)
        if model is Idea and exclude is not None:
            query_ = query_.where(Idea.id != exclude)
        # candidates by the database's rank, then by how many of the words each holds (the same on both)
        candidates = list(db.session.scalars(query_.order_by(*([rank] if rank is not None else []),
                                                             model.id.desc()).limit(limit * 4)))
        candidates.sort(key=lambda row: -_shared(row.search_text, words))
        found[model.__tablename__] = candidates[:limit]
    return Similar(found["ideas"], found["lessons"])


def _shared(search_text: str, words: list[str]) -> int:
    held = (search_text or "").split()
    return sum(1 for word in words if any(h.startswith(word) for h in held))


# --- supporting an idea ---------------------------------------------------------------

def get_public_idea(idea_id: object) -> Idea:
    idea = db.session.get(Idea, idea_id) if isinstance(idea_id, int) and 1 <= idea_id <= MAX_ID else None
    if idea is None:
        raise NotFound(_("No such idea."))
    return idea


def support(idea: Idea, data: Any, client_address: str) -> tuple[Idea, bool]:
    """Count `data`'s person (name, e-mail, unit, language) among the idea's supporters: once per
    e-mail address (the proposer counts already). The idea supported (a merged idea's target) and
    whether this was a new support."""
    problems = FieldErrors()
    person = _person(data if isinstance(data, dict) else {}, problems)
    problems.raise_if_any(_("The support could not be counted."))
    while idea.state == IdeaState.MERGED and idea.merged_into is not None:
        idea = idea.merged_into
    if idea.state not in OPEN_TO_SUPPORT:
        raise GuardFailed("idea_closed", _("This idea was declined: it takes no more support."))
    if person["email"] == idea.email or db.session.scalar(select(IdeaSupport.id).where(
            IdeaSupport.idea_id == idea.id, IdeaSupport.email == person["email"])):
        return idea, False
    _count_against_limits(_limit_keys(client_address, person["email"]))
    try:
        with db.session.begin_nested():
            db.session.add(IdeaSupport(idea_id=idea.id, email=person["email"], name=person["name"],
                                       language=person["language"], unit_name=person["unit"]))
    except IntegrityError:  # the same person at the same moment, from another request
        db.session.rollback()
        return idea, False
    execute_dml(update(Idea).where(Idea.id == idea.id).values(supporters=Idea.supporters + 1)
                .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(idea)
    return idea, True


def supporters_of(idea: Idea) -> list[IdeaSupport]:
    return list(db.session.scalars(select(IdeaSupport).where(IdeaSupport.idea_id == idea.id)
                                   .order_by(IdeaSupport.id)))


__all__ = ["Similar", "TooManyIdeas", "clean_idea", "get_public_idea", "idea_words", "similar", "submit",
           "support", "supporters_of"]
