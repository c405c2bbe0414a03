"""What a personal link opens (`visit`) and the answers given through it:
checked against the questionnaire, stored as one response per person and wave
(replaced on an edit), and shown again to the person who gave them.

The hot path of a large wave: a visit is one query (the questions come from memory,
services/frozen.py), a submit a handful of statements on one connection, its writes to the
rows every submit of the wave shares (tallies, the response count) last before the commit."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Union

from flask_babel import gettext as _
from sqlalchemy import Integer, Row, bindparam, column, delete, exists, insert, select, text, update
from sqlalchemy.orm import joinedload, lazyload, load_only

from ...extensions import db
from ...languages import DEFAULT_LANGUAGE, LANGUAGES
from ...models import Answer, FeedbackLink, Person, Question, Questionnaire, Response, Rollout, Wave
from ...models.types import UTCDateTime, utcnow
from .. import tallies
from ..errors import DomainError, FieldErrors
from ..frozen import frozen_questionnaire
from ..tallies import AnswerRow
from ..validation import text_problem, whole_number
from . import consent
from .keys import respondent_key, token_hash

MAX_TEXT = 2000
SCALES = {"rating": (1, 5), "nps": (0, 10)}
# the hot path writes through Core: no ORM bookkeeping per row
RESPONSES, ANSWERS = tallies.table_of(Response), tallies.table_of(Answer)
# a participant reports problems from the wave's start until the team has decided on it
REPORTING_STATES = ("active", "feedback", "paused", "review")
# a link's last opening is noted to the minute: a reload, or the page after a submit, writes nothing
OPENED_RESOLUTION = timedelta(minutes=1)


class LinkNotValid(DomainError):
    """Unknown or revoked: the page says so and reveals nothing else."""

    status = 404
    code = "link_not_valid"


class FeedbackClosed(DomainError):
    status = 409
    code = "feedback_closed"


def start_of_day(value: datetime) -> datetime:
    """00:00 UTC of the day of `value`: the finest time an anonymous response keeps."""
    return value.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Visit:
    link: FeedbackLink
    wave: Wave
    rollout: Rollout
    person: Person
    questionnaire: Optional[Questionnaire]
    response: Optional[Response]
    # a renewed link of an anonymous rollout: earlier answers exist or not, it does not say
    earlier_answers_hidden: bool = False

    @property
    def can_answer(self) -> bool:
        # the window is shut at its closing time, even before the next tick moves the wave to review
        closes = self.wave.feedback_closes_at
        return self.wave.state == "feedback" and (closes is None or utcnow() < closes)

    @property
    def can_report(self) -> bool:
        # from the start until the team has decided: a problem found after answering, or while
        # the team reviews the wave, still counts for its decision
        return self.wave.state in REPORTING_STATES


# what a submit reads of the link's wave, rollout and person: the hot path loads only these (the
# rollout's and the wave's JSON settings, texts and the wave's response count stay in the database)
SUBMIT_COLUMNS = [
    load_only(Wave.id, Wave.rollout_id, Wave.number, Wave.state, Wave.questionnaire_id, Wave.feedback_opened_at,
              Wave.feedback_closes_at, raiseload=False),
    load_only(Rollout.id, Rollout.key, Rollout.anonymous, raiseload=False),
    load_only(Person.id, raiseload=False),
]


def visit(token: str, *, with_answers: bool = True) -> Visit:
    """What a personal link opens: one person's form for one wave, nothing else. One query for
    the link with its wave, rollout and person, and (`with_answers`) one for the person's
    response with its answers; a submit, which replaces them, goes without."""
    if not token or len(token) > 100:
        raise LinkNotValid(_("This link does not work."))
    options = [lazyload(Person.unit)]  # no page shows it
    if not with_answers:
        options += SUBMIT_COLUMNS  # a submit reads a few columns of each; any other is read if asked for
    found = db.session.execute(
        select(FeedbackLink, Wave, Rollout, Person)
        .join(Wave, Wave.id == FeedbackLink.wave_id).join(Rollout, Rollout.id == Wave.rollout_id)
        .join(Person, Person.id == FeedbackLink.person_id).options(*options)
        .where(FeedbackLink.token_hash == token_hash(token))).first()
    if found is None:
        raise LinkNotValid(_("This link does not work."))
    link, wave, rollout, person = found
    if link.revoked_at is not None or wave.state == "cancelled":
        raise LinkNotValid(_("This link does not work."))
    questionnaire = frozen_questionnaire(wave.questionnaire_id) if wave.questionnaire_id else None
    if rollout.anonymous and link.renewed_at is not None:
        # whoever holds a renewed link (sent to a changed address, perhaps by someone on the team)
        # must not read the answers of the person it was first sent to: it may answer again,
        # replacing them, but never sees them, nor whether there were any
        return Visit(link, wave, rollout, person, questionnaire, None, earlier_answers_hidden=True)
    response = None
    if with_answers:
        response = db.session.scalars(
            select(Response).options(joinedload(Response.answers))
            .where(Response.wave_id == wave.id, Response.respondent_key == respondent_key(wave.id, person.id))
        ).unique().first()
    return Visit(link, wave, rollout, person, questionnaire, response)


def touch(v: Visit) -> None:
    """Note when a link was last opened; never in an anonymous rollout, where it would tell the
    team who has (probably) answered."""
    if v.rollout.anonymous:
        return
    now = utcnow()
    opened = v.link.last_opened_at
    if opened is not None and now - opened < OPENED_RESOLUTION:
        return  # opened again within the minute: nothing new to note, no write
    v.link.last_opened_at = now
    # the commit keeps what the visit loaded: the page or the API answer shows it next, and
    # nothing else was changed, so reading it all again (on another pooled connection) is waste
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def _shaped(questions: Iterable[Question], rows: Iterable[Union[Answer, AnswerRow]]) -> dict:
    """Stored answers shaped as they were given: {code: value}."""
    answers: dict = {}
    kinds = {q.code: q.kind for q in questions}
    for answer in rows:
        kind = kinds.get(answer.code)
        if kind == "multi":
            answers.setdefault(answer.code, []).append(answer.option)
        elif kind in ("choice", "yes_no"):
            answers[answer.code] = answer.option
        elif kind in ("rating", "nps"):
            answers[answer.code] = int(answer.number or 0)
        elif kind == "number":
            answers[answer.code] = int(answer.number or 0) if float(answer.number or 0).is_integer() else answer.number
        else:
            answers[answer.code] = answer.text
    return answers


def current_answers(v: Visit) -> dict:
    """The stored answers, shaped as they were given: {code: value}."""
    if v.response is None or v.questionnaire is None:
        return {}
    return _shaped(v.questionnaire.questions, v.response.answers)


def validate_answers(questions: list[Question], answers: object) -> tuple[list[dict], FieldErrors]:
    """Every answer checked against its question: rows for the answers table, or the problems."""
    problems = FieldErrors()
    rows: list[dict] = []
    if not isinstance(answers, dict):
        problems.add("answers", _("Answers are an object of question codes and values."))
        return rows, problems
    by_code = {q.code: q for q in questions}
    for code in answers:
        if code not in by_code:
            problems.add(str(code)[:60], _("There is no question %(code)s.", code=str(code)[:60]))
    for q in questions:
        value = answers.get(q.code)
        empty = value is None or value == "" or (value == [] and q.kind == "multi") or (
            isinstance(value, str) and not value.strip())
        if empty:
            if q.required:
                problems.add(q.code, _("Answer this question."))
            continue
        if q.kind in SCALES:
            low, high = SCALES[q.kind]
            number: Optional[float] = whole_number(value, low, high)
            if number is None:
                problems.add(q.code, _("Choose a value from %(low)s to %(high)s.", low=low, high=high))
            else:
                rows.append({"code": q.code, "number": number})
        elif q.kind == "number":
            number = None
            if not isinstance(value, bool) and isinstance(value, (int, float, str)):
                try:
                    number = float(str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
                except ValueError:
                    number = None
            if number is None or not math.isfinite(number):
                problems.add(q.code, _("Give a number."))
            elif (q.min_value is not None and number < q.min_value) or (q.max_value is not None and number > q.max_value):
                least = "" if q.min_value is None else f"{q.min_value:g}"
                most = "" if q.max_value is None else f"{q.max_value:g}"
                problems.add(q.code, _("Give a number from %(low)s to %(high)s.", low=least or "−∞", high=most or "∞"))
            else:
                rows.append({"code": q.code, "number": number})
        elif q.kind == "yes_no":
            option = {True: "yes", False: "no", "yes": "yes", "no": "no", "ja": "yes", "nej": "no"}.get(
                value if isinstance(value, bool) else str(value).strip().lower() if isinstance(value, str) else None)
            if option is None:
                problems.add(q.code, _("Answer yes or no."))
            else:
                rows.append({"code": q.code, "option": option, "number": 1 if option == "yes" else 0})
        elif q.kind == "choice":
            values = {o["value"] for o in q.options or []}
            if not isinstance(value, str) or value not in values:
                problems.add(q.code, _("Choose one of the options."))
            else:
                rows.append({"code": q.code, "option": value})
        elif q.kind == "multi":
            values = {o["value"] for o in q.options or []}
            chosen = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) and v in values for v in chosen):
                problems.add(q.code, _("Choose among the options."))
            else:
                rows.extend({"code": q.code, "option": v} for v in dict.fromkeys(chosen))
        else:
            if not isinstance(value, str):
                problems.add(q.code, _("Write text."))
            elif reason := text_problem(value.strip().replace("\t", " "), MAX_TEXT):
                problems.add(q.code, reason)
            else:
                rows.append({"code": q.code, "text": value.strip()})
    return rows, problems


@dataclass(frozen=True)
class Receipt:
    """What a participant gets back for their answers, taken before the commit: showing it
    needs no query."""

    id: int  # the response's row
    wave: int  # the wave's number
    rollout: str  # the rollout's key
    submitted_at: datetime
    updated_at: datetime
    answers: dict  # as given, shaped as `current_answers` shows them
    edited: bool  # the response was there before: its answers were replaced


def _closed_reason(wave: Wave) -> str:
    if wave.state == "paused":
        return _("Feedback for this wave is paused for now; your link works again when it resumes.")
    return (_("The feedback window for this wave is closed; answers can no longer be changed.")
            if wave.feedback_opened_at else _("Feedback for this wave has not opened yet."))


_RETURNED = (RESPONSES.c.id, RESPONSES.c.submitted_at, RESPONSES.c.updated_at)
# PostgreSQL: a new response, its answers, and its tallies with the wave's count (in the shard of
# its id) in one statement, the shared rows last; nothing at all when the response is there
_PG_NEW_RESPONSE = text(f"""
WITH stored AS (
    INSERT INTO responses (wave_id, questionnaire_id, respondent_key, person_id, language, submitted_at,
                           updated_at, edits)
    VALUES (:wave_id, :questionnaire_id, :respondent_key, :person_id, :language, :now, :now, 0)
    ON CONFLICT (wave_id, respondent_key) DO NOTHING
    RETURNING id, submitted_at, updated_at
), answered AS (
    INSERT INTO answers (response_id, wave_id, code, number, option, text)
    SELECT stored.id, :wave_id, u.code, u.number, u.option, u.text
    FROM stored CROSS JOIN unnest(CAST(:answer_code AS VARCHAR[]), CAST(:answer_number AS FLOAT8[]),
                                  CAST(:answer_option AS VARCHAR[]), CAST(:answer_text AS TEXT[]))
         AS u(code, number, option, text)
), tallied AS ({tallies.PG_UPSERT.format(shard=f"(SELECT CAST(id % {tallies.SHARDS} AS SMALLINT) FROM stored)",
                                          guard="WHERE EXISTS (SELECT 1 FROM stored)")}
)
SELECT id, submitted_at, updated_at FROM stored
""").bindparams(bindparam("now", type_=UTCDateTime)).columns(
    column("id", Integer), column("submitted_at", UTCDateTime), column("updated_at", UTCDateTime))


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _new_response(v: Visit, key: str, language: str, now: datetime, given: list[AnswerRow],
                  kinds: dict[str, str]) -> tuple[Optional[Row[Any]], bool]:
    """Insert the response: its id and times, or None when the person's response is there
    already; and whether its answers, tallies and count went in with it (PostgreSQL)."""
    assert v.questionnaire is not None
    values = {"wave_id": v.wave.id, "questionnaire_id": v.questionnaire.id, "respondent_key": key,
              "person_id": None if v.rollout.anonymous else v.person.id, "language": language}
    if _postgres():
        answers = {f"answer_{name}": [getattr(row, name) for row in given] for name in AnswerRow._fields}
        answers["answer_number"] = [None if x is None else float(x) for x in answers["answer_number"]]
        arrays = tallies.pg_arrays(tallies.tally_rows(kinds, [], given, new_response=True))
        stored = db.session.execute(_PG_NEW_RESPONSE, {**values, "now": now, **answers, **arrays}).first()
        return stored, stored is not None
    return db.session.execute(
        tallies.conflict_insert(RESPONSES).values(**values, submitted_at=now, updated_at=now, edits=0)
        .on_conflict_do_nothing(index_elements=["wave_id", "respondent_key"]).returning(*_RETURNED)).first(), False


def submit(link: Union[str, Visit], answers: object, language: str = "sv", share: object = None) -> Receipt:
    """Store a participant's answers, or replace them when they edit; `link` is the token, or
    the visit the caller has made with it. A double submit is one response: the row is unique
    on (wave, respondent key).

    The response row first (inserted; for an edit updated, which locks it, so that two edits of
    one response take turns), then its answers (the old ones deleted, the new in one
    executemany), and last, just before the commit, the rows submits of the wave share: its
    tallies and its response count, in the response's shard of them, held locked as briefly as
    can be. On PostgreSQL a new response is all that in one statement.

    `share`: the codes of the answers the person says may be shared with later waves (asked only
    where the rollout is not anonymous, see consent.py)."""
    v = link if isinstance(link, Visit) else visit(link, with_answers=False)
    if not v.can_answer:
        raise FeedbackClosed(_closed_reason(v.wave))
    assert v.questionnaire is not None  # a wave that takes answers has its questions
    questions = v.questionnaire.questions
    rows, problems = validate_answers(questions, answers)
    shared = consent.checked_codes(questions, None if v.rollout.anonymous else share, problems)
    problems.raise_if_any(_("Some answers need attention."))
    given = [AnswerRow(row["code"], row.get("number"), row.get("option"), row.get("text")) for row in rows]
    wave_id, key = v.wave.id, respondent_key(v.wave.id, v.person.id)
    anonymous = v.rollout.anonymous
    # an anonymous response keeps nothing that could single its person out: no language, no time
    # finer than the day (the row id is never shown), no count of edits
    language = "" if anonymous else language if language in LANGUAGES else DEFAULT_LANGUAGE
    now = start_of_day(utcnow()) if anonymous else utcnow()
    kinds = {q.code: q.kind for q in questions}
    stored, complete = _new_response(v, key, language, now, given, kinds)
    edited = stored is None
    if stored is None:
        # an edit, or the same person's other submit committed a moment ago: edit that one
        changes = {"updated_at": now, "language": language}
        if not anonymous:
            changes["edits"] = RESPONSES.c.edits + 1
        stored = db.session.execute(
            update(RESPONSES).where(RESPONSES.c.wave_id == wave_id, RESPONSES.c.respondent_key == key)
            .values(changes).returning(*_RETURNED)).first()
        if stored is None:
            db.session.rollback()
            raise FeedbackClosed(_("Your answers could not be saved; try again."))
    if shared or edited:
        # before the rows every submit shares, which are held locked until the commit
        consent.record(stored.id, shared, {row.code: row.text or "" for row in given if row.text},
                       edited=edited, anonymous=anonymous)
    if not complete:
        # a statement of its own, after the UPDATE has the row: it sees what an edit before it committed
        removed = [AnswerRow(*row) for row in db.session.execute(
            delete(ANSWERS).where(ANSWERS.c.response_id == stored.id)
            .returning(ANSWERS.c.code, ANSWERS.c.number, ANSWERS.c.option, ANSWERS.c.text))] if edited else []
        if given:
            db.session.execute(insert(ANSWERS), [{"response_id": stored.id, "wave_id": wave_id, **row._asdict()}
                                                 for row in given])
        # the rows every submit of the wave shares, last (tallies by code and item, then the wave)
        tallies.record(wave_id, stored.id, kinds, removed, given, new_response=not edited)
    receipt = Receipt(stored.id, v.wave.number, v.rollout.key, stored.submitted_at, stored.updated_at,
                      _shaped(questions, given), edited)
    db.session.commit()
    return receipt


def has_response(wave: Wave, person_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.wave_id == wave.id,
                                                        Response.respondent_key == respondent_key(wave.id, person_id)))))


def shaped_answers(questions: Iterable[Question], rows: Iterable[AnswerRow]) -> dict:
    """Stored answers of any form built from questions (the questionnaire's, a check-in's) shaped
    as they were given: {code: value}."""
    return _shaped(questions, rows)
