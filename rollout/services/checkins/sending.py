"""Sending check-ins from the reconcile tick: which are due (`due`), and the message to each
member with a live personal link, exactly once per check-in and person (the queue's unique key
`checkin:<check-in>:<person>`), in the person's language. A member without a link yet (the wave
is active, feedback has not opened) gets one first, made as feedback links are made."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, literal, select, update

from ...extensions import db
from ...models import CheckIn, FeedbackLink, Membership, Person, Wave
from .. import notify
from ..feedback.keys import link_token
from ..feedback.links import BATCH, create_links
from .plan import OPEN_STATES, questions_of


def send_at(checkin: CheckIn, wave: Wave) -> datetime | None:
    """When the check-in goes out: `day` days after the wave started; None before it has started."""
    return wave.started_at + timedelta(days=checkin.day) if wave.started_at is not None else None


def due(now: datetime) -> list[CheckIn]:
    """The check-ins not sent yet whose day has come, in waves that run (active or collecting
    feedback), the earliest first. A wave has a handful: the day is compared here, not in SQL,
    where adding days to a timestamp is spelt differently by each database."""
    rows = db.session.execute(
        select(CheckIn, Wave).join(Wave, Wave.id == CheckIn.wave_id)
        .where(CheckIn.sent_at.is_(None), Wave.state.in_(OPEN_STATES), Wave.started_at.is_not(None))
        .order_by(CheckIn.wave_id, CheckIn.day)).all()
    found = []
    for checkin, wave in rows:
        when = send_at(checkin, wave)
        if when is not None and when <= now:
            found.append(checkin)
    return found


class _Member:
    def __init__(self, person_id: int, name: str) -> None:
        self.id, self.name = person_id, name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(db.session.get(Person, self.id), attribute)


def send(checkin: CheckIn, now: datetime) -> int:
    """Queue the check-in's message to every member with a live link, BATCH a commit, and mark it
    sent; how many messages were added (a second tick adds none)."""
    wave = checkin.wave
    create_links(wave, now)
    db.session.commit()
    questions = questions_of(checkin)
    message = notify.WaveMessage("checkin", wave=wave, rollout=wave.rollout, checkin=checkin,
                                 first_prompt={"sv": questions[0].prompt_sv, "en": questions[0].prompt_en}
                                 if questions else None)
    prefix = f"checkin:{checkin.id}:"
    had_one = exists().where(notify.Notification.dedupe_key == literal(prefix) + cast(FeedbackLink.person_id, String))
    missing = list(db.session.scalars(select(FeedbackLink.id).where(
        FeedbackLink.wave_id == wave.id, FeedbackLink.revoked_at.is_(None), ~had_one).order_by(FeedbackLink.id)))
    query = (select(FeedbackLink.id, FeedbackLink.nonce, Person.id.label("person_id"), Person.name, Person.email,
                    Person.language)
             .join(Person, Person.id == FeedbackLink.person_id)
             .join(Membership, (Membership.wave_id == FeedbackLink.wave_id) & (Membership.person_id == Person.id))
             .where(~had_one).order_by(FeedbackLink.id))
    count = 0
    for start in range(0, len(missing), BATCH):
        batch = db.session.execute(query.where(FeedbackLink.id.in_(missing[start:start + BATCH]))).all()
        rows = [notify.message_row("checkin", f"{prefix}{row.person_id}", row.email, row.language,
                                   message.render(row.language, _Member(row.person_id, row.name),
                                                  notify.public_url(f"/f/{link_token(wave.id, row.person_id, row.nonce)}")),
                                   wave_id=wave.id, person_id=row.person_id)
                for row in batch if row.email]
        count += notify.add_messages(rows)
        db.session.commit()
    db.session.execute(update(CheckIn).where(CheckIn.id == checkin.id, CheckIn.sent_at.is_(None))
                       .values(sent_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return count


def send_due(now: datetime) -> int:
    """Every check-in whose day has come, sent; how many messages were queued."""
    return sum(send(checkin, now) for checkin in due(now))
