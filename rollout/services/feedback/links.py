"""Personal links and what they are sent in: a link per member when a wave
opens for feedback, the invitations and reminders (once per person and wave),
a renewed or revoked link; and "you said, we did", the lessons applied before
the wave, which those messages carry."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from ...models import FeedbackLink, Membership, Person, Response, User, Wave
from ...models.types import utcnow
from .. import audit, lessons, notify, questionnaires
from ..accounts import require_lead
from ..errors import GuardFailed, NotFound
from .keys import link_token, respondent_key, token_hash

# a reminder never comes sooner than this after the invitation (issue: both arrived in one minute)
REMINDER_AFTER = timedelta(days=1)


def link_url(link: FeedbackLink) -> str:
    return notify.public_url(f"/f/{link_token(link.wave_id, link.person_id, link.nonce)}")


def _new_link(wave: Wave, person_id: int) -> FeedbackLink:
    nonce = secrets.token_hex(16)
    return FeedbackLink(wave_id=wave.id, person_id=person_id, nonce=nonce,
                        token_hash=token_hash(link_token(wave.id, person_id, nonce)))


# --- opening feedback: links and invitations ----------------------------------

def open_feedback(wave: Wave) -> int:
    """Freeze the questionnaire, set the window and make a link per member. Part of the
    wave's transition to feedback; the invitations are written and sent by the next
    tick, so that opening a wave of thousands does not keep the lead's request waiting."""
    rollout = wave.rollout
    now = utcnow()
    if wave.questionnaire_id is None:
        wave.questionnaire_id = questionnaires.current(rollout).id
    wave.feedback_closes_at = now + timedelta(days=wave.feedback_days)
    have_link = set(db.session.scalars(select(FeedbackLink.person_id).where(FeedbackLink.wave_id == wave.id)))
    member_ids = list(db.session.scalars(select(Membership.person_id).where(Membership.wave_id == wave.id)))
    links = [_new_link(wave, person_id) for person_id in member_ids if person_id not in have_link]
    db.session.add_all(links)
    db.session.flush()
    return len(links)


def invitations_missing(wave: Wave) -> bool:
    """Whether some member with a link has no invitation yet (two counts, no rendering)."""
    links = db.session.scalar(select(func.count()).select_from(FeedbackLink).where(
        FeedbackLink.wave_id == wave.id, FeedbackLink.revoked_at.is_(None))) or 0
    sent = db.session.scalar(select(func.count()).select_from(notify.Notification).where(
        notify.Notification.wave_id == wave.id, notify.Notification.kind == "invitation")) or 0
    return sent < links


def _links_with_people(wave: Wave, only_non_responders: bool = False) -> Sequence[tuple[FeedbackLink, Person]]:
    query = (select(FeedbackLink, Person).join(Person, Person.id == FeedbackLink.person_id)
             .where(FeedbackLink.wave_id == wave.id, FeedbackLink.revoked_at.is_(None)).order_by(FeedbackLink.id))
    rows: Sequence[tuple[FeedbackLink, Person]] = db.session.execute(query).all()
    if only_non_responders:
        answered = set(db.session.scalars(select(Response.respondent_key).where(Response.wave_id == wave.id)))
        rows = [(link, person) for link, person in rows if respondent_key(wave.id, person.id) not in answered]
    return rows


def queue_invitations(wave: Wave) -> int:
    """One invitation per member with a link, exactly once (the key is kind, wave and person)."""
    count = 0
    done = said_and_done(wave)  # once per wave: the same for every member
    for link, person in _links_with_people(wave):
        count += notify.queue("invitation", f"invitation:{wave.id}:{person.id}", person.email, person.language,
                              "invitation", wave_id=wave.id, person_id=person.id, wave=wave, rollout=wave.rollout,
                              person=person, url=link_url(link), closes_at=wave.feedback_closes_at,
                              said_and_done=done)
    return count


def queue_reminders(wave: Wave) -> int:
    """One reminder per member who has not answered, exactly once. In an anonymous rollout every
    member is reminded (in words that fit those who have answered): who got a reminder, which the
    outbox shows, would otherwise tell the team who has answered."""
    count = 0
    done = said_and_done(wave)
    anonymous = wave.rollout.anonymous
    for link, person in _links_with_people(wave, only_non_responders=not anonymous):
        count += notify.queue("reminder", f"reminder:{wave.id}:{person.id}", person.email, person.language,
                              "reminder", wave_id=wave.id, person_id=person.id, wave=wave, rollout=wave.rollout,
                              person=person, url=link_url(link), closes_at=wave.feedback_closes_at,
                              said_and_done=done, anonymous=anonymous)
    return count


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
    keys = {respondent_key(wave.id, person_id): person_id for person_id in person_ids}
    found = db.session.scalars(select(Response.respondent_key).where(Response.wave_id == wave.id,
                                                                     Response.respondent_key.in_(list(keys))))
    return {keys[key] for key in found}


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
