"""Personal links and what they are sent in: a link per member when a wave
opens for feedback, the invitations and reminders (once per person and wave),
a renewed or revoked link; and "you said, we did", the lessons applied before
the wave, which those messages carry."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import String, cast, exists, func, literal, select

from ...extensions import db
from ...models import FeedbackLink, Membership, Person, Response, User, Wave
from ...models.types import utcnow
from .. import audit, bulk_insert, lessons, notify, questionnaires
from ..accounts import require_lead
from ..errors import GuardFailed, NotFound
from .keys import link_token, respondent_key, token_hash

# a reminder never comes sooner than this after the invitation (issue: both arrived in one minute)
REMINDER_AFTER = timedelta(days=1)
# links, invitations or reminders written by one statement; the invitations and reminders of a
# wave are committed this many at a time, so a tick that dies midway leaves whole batches
BATCH = 1000


def _url(wave_id: int, person_id: int, nonce: str) -> str:
    return notify.public_url(f"/f/{link_token(wave_id, person_id, nonce)}")


def link_url(link: FeedbackLink) -> str:
    return _url(link.wave_id, link.person_id, link.nonce)


# --- opening feedback: links and invitations ----------------------------------

def open_feedback(wave: Wave) -> int:
    """Freeze the questionnaire, set the window and make a link per member. Part of the
    wave's transition to feedback (so in its transaction: the links are written a batch per
    statement); the invitations are written and sent by the next tick, so that opening a wave
    of thousands does not keep the lead's request waiting."""
    rollout = wave.rollout
    now = utcnow()
    if wave.questionnaire_id is None:
        wave.questionnaire_id = questionnaires.current(rollout).id
    wave.feedback_closes_at = now + timedelta(days=wave.feedback_days)
    return create_links(wave, now)


def create_links(wave: Wave, now: datetime) -> int:
    """A new personal link for each member of the wave who has none, a batch per statement, in the
    open transaction; how many. (The tick sends the invitations of a wave collecting feedback, and
    makes the links of a check-in's members: a tick at the same time makes each link once.)"""
    has_link = exists().where(FeedbackLink.wave_id == wave.id, FeedbackLink.person_id == Membership.person_id)
    member_ids = list(db.session.scalars(select(Membership.person_id).where(Membership.wave_id == wave.id, ~has_link)
                                         .order_by(Membership.person_id)))
    table = db.metadata.tables[FeedbackLink.__tablename__]
    for start in range(0, len(member_ids), BATCH):
        rows = []
        for person_id in member_ids[start:start + BATCH]:
            nonce = secrets.token_hex(16)
            rows.append(dict(person_id=person_id, nonce=nonce, token_hash=token_hash(link_token(wave.id, person_id, nonce))))
        bulk_insert.insert_rows(table, rows, ("person_id", "nonce", "token_hash"), same=dict(wave_id=wave.id, created_at=now),
                                unique="wave_id, person_id")
    return len(member_ids)


def invitations_missing(wave: Wave) -> bool:
    """Whether some member with a link has no invitation yet (two counts, no rendering)."""
    links = db.session.scalar(select(func.count()).select_from(FeedbackLink).where(
        FeedbackLink.wave_id == wave.id, FeedbackLink.revoked_at.is_(None))) or 0
    sent = db.session.scalar(select(func.count()).select_from(notify.Notification).where(
        notify.Notification.wave_id == wave.id, notify.Notification.kind == "invitation")) or 0
    return sent < links


def queue_invitations(wave: Wave) -> int:
    """One invitation per member with a link, exactly once (the key is kind, wave and person);
    committed BATCH at a time. How many were added."""
    return _queue_for_members(wave, "invitation", "invitation", only_non_responders=False)


def queue_reminders(wave: Wave) -> int:
    """One reminder per member who has not answered, exactly once. In an anonymous rollout every
    member is reminded (in words that fit those who have answered): who got a reminder, which the
    outbox shows, would otherwise tell the team who has answered. Committed BATCH at a time."""
    anonymous = wave.rollout.anonymous
    return _queue_for_members(wave, "reminder", "reminder", only_non_responders=not anonymous, anonymous=anonymous)


def _queue_for_members(wave: Wave, kind: str, template: str, only_non_responders: bool, **context: Any) -> int:
    """Write the messages of `kind` that the members with a live link have not had yet, BATCH at a
    time, each batch one INSERT (ON CONFLICT DO NOTHING: a tick at the same time adds each once)
    and its commit; the message is rendered once per language (`notify.WaveMessage`). A tick that
    dies midway leaves whole batches, and the next goes on with the members still without one."""
    wave_id = wave.id
    message = notify.WaveMessage(template, wave=wave, rollout=wave.rollout, closes_at=wave.feedback_closes_at,
                                 said_and_done=said_and_done(wave), **context)
    prefix = f"{kind}:{wave_id}:"
    had_one = exists().where(notify.Notification.dedupe_key == literal(prefix) + cast(FeedbackLink.person_id, String))
    # the links first (one pass over the wave), then a batch of them at a time by their ids: a
    # batch costs the same whether it is the first or the fiftieth
    missing = list(db.session.scalars(select(FeedbackLink.id).where(
        FeedbackLink.wave_id == wave_id, FeedbackLink.revoked_at.is_(None), ~had_one).order_by(FeedbackLink.id)))
    query = (select(FeedbackLink.id, FeedbackLink.nonce, Person.id.label("person_id"), Person.name, Person.email,
                    Person.language)
             .join(Person, Person.id == FeedbackLink.person_id)
             .where(~had_one).order_by(FeedbackLink.id))  # (again: a tick at the same time may have written some)
    count = 0
    for start in range(0, len(missing), BATCH):
        batch = db.session.execute(query.where(FeedbackLink.id.in_(missing[start:start + BATCH]))).all()
        answered = _answered(wave_id, [row.person_id for row in batch]) if only_non_responders else set()
        rows = [notify.message_row(kind, f"{prefix}{row.person_id}", row.email, row.language,
                                   message.render(row.language, _Member(row.person_id, row.name),
                                                  _url(wave_id, row.person_id, row.nonce)),
                                   wave_id=wave_id, person_id=row.person_id)
                for row in batch if row.person_id not in answered]
        count += notify.add_messages(rows)
        db.session.commit()
    return count


class _Member:
    """A member as a message needs them: the name. Anything else a template reads of the person
    (the messages do not, but WaveMessage renders such a template in full) is loaded then."""

    def __init__(self, person_id: int, name: str) -> None:
        self.id, self.name = person_id, name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(db.session.get(Person, self.id), attribute)


def _answered(wave_id: int, person_ids: list[int]) -> set[int]:
    """Which of these people have answered the wave (one query)."""
    keys = {respondent_key(wave_id, person_id): person_id for person_id in person_ids}
    found = db.session.scalars(select(Response.respondent_key).where(Response.wave_id == wave_id,
                                                                     Response.respondent_key.in_(list(keys))))
    return {keys[key] for key in found}


def reminders_due(wave: Wave, now: datetime) -> bool:
    """In the last `reminder_days` of the window, but never before the invitation has been out
    for REMINDER_AFTER: a reminder is for those who had time to answer and did not. A window
    no longer than that has no reminder."""
    if wave.state != "feedback" or wave.feedback_closes_at is None:
        return False
    starts = wave.feedback_closes_at - timedelta(days=wave.rollout.reminder_days)
    if wave.feedback_opened_at is not None:
        starts = max(starts, wave.feedback_opened_at + REMINDER_AFTER)
    return starts <= now < wave.feedback_closes_at


def links_can_be_sent(wave: Wave) -> bool:
    """Whether a person's link can be renewed or revoked now: once feedback has opened, until it closes."""
    return wave.feedback_opened_at is not None and wave.state in ("active", "feedback", "paused")


def links_of(wave: Wave, person_ids: list[int]) -> dict[int, FeedbackLink]:
    """The personal links of these people in the wave (one query), for renewing or revoking one. In
    an anonymous rollout a page shows only whether a link works: when it was opened is not even
    recorded (`responses.touch`), for it would tell who has answered."""
    if wave.feedback_opened_at is None or not person_ids:
        return {}
    rows = db.session.scalars(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id,
                                                         FeedbackLink.person_id.in_(person_ids)))
    return {link.person_id: link for link in rows}


def answered_among(wave: Wave, person_ids: list[int]) -> set[int]:
    """Which of these people have answered (one query). Never told in an anonymous rollout:
    whether a person answered is exactly what anonymity hides from the team."""
    if wave.rollout.anonymous or wave.feedback_opened_at is None or not person_ids:
        return set()
    return _answered(wave.id, person_ids)


def new_link(wave: Wave, person: Person, actor: Optional[User]) -> FeedbackLink:
    """Revoke a person's link and send a new one (lost e-mail, forwarded link)."""
    require_lead(actor, wave.rollout)
    if not links_can_be_sent(wave):
        raise GuardFailed("no_feedback", _("Links exist once feedback has opened, until it closes."))
    link = db.session.scalar(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id,
                                                        FeedbackLink.person_id == person.id))
    if link is None:
        raise NotFound(_("This person is not in the wave."))
    link.nonce = secrets.token_hex(16)
    link.token_hash = token_hash(link_token(wave.id, person.id, link.nonce))
    link.revoked_at, link.renewed_at = None, utcnow()
    sent_before = db.session.scalar(select(func.count()).select_from(notify.Notification).where(
        notify.Notification.dedupe_key.like(f"new_link:{wave.id}:{person.id}:%"))) or 0
    notify.queue("new_link", f"new_link:{wave.id}:{person.id}:{sent_before + 1}", person.email, person.language,
                 "invitation", wave_id=wave.id, person_id=person.id, wave=wave, rollout=wave.rollout, person=person,
                 url=link_url(link), closes_at=wave.feedback_closes_at, said_and_done=said_and_done(wave))
    audit.record(actor, "link.renew", rollout=wave.rollout, subject=f"{wave.number}",
                 details={"person": person.external_id})
    db.session.commit()
    return link


def revoke_link(wave: Wave, person: Person, actor: Optional[User]) -> None:
    require_lead(actor, wave.rollout)
    link = db.session.scalar(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id,
                                                        FeedbackLink.person_id == person.id))
    if link is None:
        raise NotFound(_("This person has no link in this wave."))
    link.revoked_at = utcnow()
    audit.record(actor, "link.revoke", rollout=wave.rollout, subject=f"{wave.number}",
                 details={"person": person.external_id})
    db.session.commit()


# --- "you said, we did" ----------------------------------------------------------

@dataclass(frozen=True)
class DoneLesson:
    """All a participant sees of a lesson: what it was about and what was done. Nothing
    internal (owner, metric, status, verification) reaches their pages or e-mails."""

    title: str
    action: str


@dataclass(frozen=True)
class SaidAndDone:
    """The lessons learnt in one wave and applied since. `after_wave` is that wave's
    number (0 is the pilot), or None for lessons carried in from earlier rollouts."""

    after_wave: Optional[int]
    lessons: tuple[DoneLesson, ...]

    @property
    def after_pilot(self) -> bool:
        return self.after_wave == 0


def said_and_done(wave: Wave) -> list[SaidAndDone]:
    """"You said, we did" for the members of `wave`: the lessons applied for it or an earlier
    wave, grouped by the wave they were learnt in, the most recent first (one query)."""
    numbers: dict[Optional[int], int] = {w.id: w.number for w in wave.rollout.waves}
    groups: dict[Optional[int], list[DoneLesson]] = {}
    for lesson in lessons.applied_before(wave):
        groups.setdefault(numbers.get(lesson.origin_wave_id), []).append(DoneLesson(lesson.title, lesson.action))
    order = sorted(groups, key=lambda number: -1 if number is None else number, reverse=True)
    return [SaidAndDone(number, tuple(groups[number])) for number in order]
