"""A participant's side of a check-in: the open one their personal link shows (above the
questionnaire, or alone while feedback has not opened), and their answers to it -- one response
per person and check-in, replaced when they edit while it is open. In an anonymous rollout the
response keeps no person and no time finer than the day, and a renewed link shows no earlier
answers (as for the questionnaire)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from ...extensions import db
from ...models import CheckIn, CheckInAnswer, CheckInResponse, Question, Rollout, Wave
from ...models.types import utcnow
from ..feedback.keys import keyed_hash
from ..feedback.responses import FeedbackClosed, Visit, shaped_answers, start_of_day, validate_answers
from ..tallies import AnswerRow, conflict_insert, table_of
from .plan import OPEN_STATES, latest_sent, questions_of

RESPONSES, ANSWERS = table_of(CheckInResponse), table_of(CheckInAnswer)


def checkin_key(checkin_id: int, person_id: int) -> str:
    """A keyed hash of check-in and person: one response each, and no way back without the secret."""
    return keyed_hash(f"checkin-respondent:{checkin_id}:{person_id}")


@dataclass
class OpenCheckIn:
    """The check-in a personal link shows now, with the person's own answers to it."""

    checkin: CheckIn
    questions: list[Question]
    answers: dict[str, Any]
    answered_at: Optional[datetime]  # when they last sent their answers; None before
    earlier_answers_hidden: bool = False

    @property
    def id(self) -> int:
        return self.checkin.id


@dataclass(frozen=True)
class CheckInReceipt:
    checkin: int
    day: int
    answers: dict[str, Any]
    updated_at: datetime
    edited: bool


def open_checkin(v: Visit) -> Optional[OpenCheckIn]:
    """The check-in the link's wave takes answers to now (the one sent last, while the wave is
    active or collecting feedback), or None. Two queries: the check-in, the person's response."""
    if v.wave.state not in OPEN_STATES:
        return None
    checkin = latest_sent(v.wave)
    if checkin is None:
        return None
    questions = questions_of(checkin)
    if v.rollout.anonymous and v.link.renewed_at is not None:
        return OpenCheckIn(checkin, questions, {}, None, earlier_answers_hidden=True)
    response = db.session.scalars(select(CheckInResponse).where(
        CheckInResponse.checkin_id == checkin.id,
        CheckInResponse.respondent_key == checkin_key(checkin.id, v.person.id))).first()
    if response is None:
        return OpenCheckIn(checkin, questions, {}, None)
    stored = [AnswerRow(a.code, a.number, a.option, a.text) for a in response.answers]
    return OpenCheckIn(checkin, questions, shaped_answers(questions, stored), response.updated_at)


def answer(v: Visit, checkin_id: Optional[int], answers: object) -> CheckInReceipt:
    """Store the person's answers to the open check-in, or replace them. `checkin_id` is the one
    they answered (None: the open one); one that has closed meanwhile is refused (409), as is a
    wave with none open."""
    current = open_checkin(v)
    if current is None or (checkin_id is not None and checkin_id != current.id):
        raise FeedbackClosed(_("This check-in is closed; answers can no longer be sent or changed."))
    rows, problems = validate_answers(current.questions, answers)
    problems.raise_if_any(_("Some answers need attention."))
    anonymous = v.rollout.anonymous
    now = start_of_day(utcnow()) if anonymous else utcnow()
    key = checkin_key(current.id, v.person.id)
    stored = db.session.execute(
        conflict_insert(RESPONSES).values(checkin_id=current.id, respondent_key=key,
                                          person_id=None if anonymous else v.person.id,
                                          submitted_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["checkin_id", "respondent_key"]).returning(RESPONSES.c.id)).first()
    edited = stored is None
    if stored is None:  # an edit: the row is locked by the UPDATE, so two edits take turns
        stored = db.session.execute(update(RESPONSES).where(RESPONSES.c.checkin_id == current.id,
                                                            RESPONSES.c.respondent_key == key)
                                    .values(updated_at=now).returning(RESPONSES.c.id)).first()
        assert stored is not None
        db.session.execute(delete(ANSWERS).where(ANSWERS.c.response_id == stored.id))
    if rows:
        db.session.execute(insert(ANSWERS), [{"response_id": stored.id, "checkin_id": current.id,
                                              "code": row["code"], "number": row.get("number"),
                                              "option": row.get("option"), "text": row.get("text")} for row in rows])
    shaped = shaped_answers(current.questions, [AnswerRow(row["code"], row.get("number"), row.get("option"),
                                                          row.get("text")) for row in rows])
    receipt = CheckInReceipt(current.id, current.checkin.day, shaped, now, edited)
    db.session.commit()
    return receipt


def export_for(person_id: int) -> list[dict]:
    """A person's own check-in answers, for their data export (services/privacy): in the rollouts
    that are not anonymous (an anonymous one keeps no person on a response). Two queries."""
    rows = db.session.execute(
        select(CheckInResponse, CheckIn.day, Wave.number, Rollout.key)
        .join(CheckIn, CheckIn.id == CheckInResponse.checkin_id).join(Wave, Wave.id == CheckIn.wave_id)
        .join(Rollout, Rollout.id == Wave.rollout_id).where(CheckInResponse.person_id == person_id)
        .order_by(Rollout.key, Wave.number, CheckIn.day)).all()
    answers: dict[int, dict] = {}
    if rows:
        for a in db.session.scalars(select(CheckInAnswer).where(
                CheckInAnswer.response_id.in_([response.id for response, *_ in rows])).order_by(CheckInAnswer.id)):
            value = a.text if a.text is not None else (a.option if a.option is not None else a.number)
            answers.setdefault(a.response_id, {})[a.code] = value
    return [{"rollout": key, "wave": number, "day": day, "submitted_at": response.submitted_at.isoformat(),
             "updated_at": response.updated_at.isoformat(), "answers": answers.get(response.id, {})}
            for response, day, number, key in rows]
