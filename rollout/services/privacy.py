"""A person's data: everything stored about them (export), and erasure.

Erasure deletes the person and what is only theirs (memberships, personal links,
e-mails, the leads' alerts about their problem reports) and pseudonymises what the
results and the decisions' snapshots count: a response stays, with no person and a
random respondent key, its free texts erased (and the retrospective cards copied from
them); a problem report stays without its reporter or description. The waves' counters
do not change. People managers (and the system) only; both audited.

Answers in anonymous rollouts are left alone: they are linked to nobody, and finding or
changing them here would tell a people manager who had answered (the preview, the audit
counts, an export compared before and after). Once the person row is gone nothing leads
from them to anyone."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, func, or_, select, update

from ..extensions import Model, db, execute_dml
from ..models import (
    Answer,
    AuditEvent,
    Bucket,
    CheckInAnswer,
    CheckInResponse,
    FeedbackLink,
    Membership,
    Notification,
    Person,
    ProblemReport,
    Question,
    Response,
    RetroCard,
    Rollout,
    User,
    Wave,
)
from ..models.types import utcnow
from . import audit, checkins, ideas, wins
from .accounts import require_people_manager
from .errors import NotFound
from .retro import MAX_CARD

# what an erased problem description or a retrospective card copied from an answer says
ERASED = "[…]"
# a respondent key that no longer leads to anyone (keyed hashes are plain hex)
PSEUDONYM_PREFIX = "pseudonym:"
CHUNK = 500


def pseudonym() -> str:
    return PSEUDONYM_PREFIX + secrets.token_hex(27)


def _iso(value: Optional[date]) -> Optional[str]:
    return value.isoformat() if value else None


def person_by_external_id(external_id: str, actor: Optional[User]) -> Person:
    """The person with this external id, for people managers (403 for others, 404 if unknown)."""
    require_people_manager(actor)
    from .people import EXTERNAL_ID
    person = None
    if isinstance(external_id, str) and EXTERNAL_ID.match(external_id):
        person = db.session.scalar(select(Person).where(Person.external_id == external_id))
    if person is None:
        raise NotFound(_("No such person."))
    return person


# --- export ------------------------------------------------------------------------

def export_person(person: Person, actor: Optional[User]) -> dict:
    """Everything stored about `person`, as JSON-able data. Never a link's token; nothing of
    an anonymous rollout's responses, which are not linked to the person."""
    require_people_manager(actor)
    added_for = db.session.get(Rollout, person.added_for_rollout_id) if person.added_for_rollout_id else None
    data = {
        "exported_at": _iso(utcnow()),
        "profile": {"external_id": person.external_id, "name": person.name, "email": person.email,
                    "unit": person.unit_name or None, "language": person.language,
                    "attributes": person.attributes or {}, "created_at": _iso(person.created_at),
                    "updated_at": _iso(person.updated_at), "added_for_rollout": added_for.key if added_for else None},
        "memberships": [{"rollout": r.key, "rollout_name": r.name, "wave": w.number, "wave_name": w.name,
                         "state": w.state, "added_at": _iso(m.added_at), "explicit": m.explicit}
                        for m, w, r in db.session.execute(
                            select(Membership, Wave, Rollout).join(Wave, Wave.id == Membership.wave_id)
                            .join(Rollout, Rollout.id == Wave.rollout_id).where(Membership.person_id == person.id)
                            .order_by(Rollout.key, Wave.number))],
        "links": [{"rollout": r.key, "wave": w.number, "created_at": _iso(link.created_at),
                   "revoked_at": _iso(link.revoked_at), "last_opened_at": _iso(link.last_opened_at)}
                  for link, w, r in db.session.execute(
                      select(FeedbackLink, Wave, Rollout).join(Wave, Wave.id == FeedbackLink.wave_id)
                      .join(Rollout, Rollout.id == Wave.rollout_id).where(FeedbackLink.person_id == person.id)
                      .order_by(Rollout.key, Wave.number))],
        "responses": _responses(person),
        # their answers to check-ins, in the rollouts that are not anonymous (services/checkins)
        "checkin_answers": checkins.export_for(person.id),
        # what they said may be shared with later waves, and the wins the team made of their answers
        "share_consents": wins.consents_of(_response_ids(person)),
        "wins": wins.of_responses(_response_ids(person)),
        "problem_reports": [{"rollout": r.key, "wave": w.number, "category": p.category, "severity": p.severity,
                             "description": p.description, "status": p.status, "created_at": _iso(p.created_at),
                             "updated_at": _iso(p.updated_at)}
                            for p, w, r in db.session.execute(
                                select(ProblemReport, Wave, Rollout).join(Wave, Wave.id == ProblemReport.wave_id)
                                .join(Rollout, Rollout.id == Wave.rollout_id)
                                .where(ProblemReport.person_id == person.id).order_by(ProblemReport.id))],
        # the bodies of a person's e-mails carry their personal link: a credential, never exported
        "emails": [{"kind": n.kind, "rollout": r.key if r else None, "wave": w.number if w else None,
                    "to": n.to_address, "subject": n.subject, "status": n.status,
                    "created_at": _iso(n.created_at), "sent_at": _iso(n.sent_at)}
                   for n, w, r in db.session.execute(
                       select(Notification, Wave, Rollout).outerjoin(Wave, Wave.id == Notification.wave_id)
                       .outerjoin(Rollout, Rollout.id == Wave.rollout_id)
                       .where(Notification.person_id == person.id).order_by(Notification.id))],
        # the ideas the person sent or supports, found by their e-mail address (services/ideas)
        **ideas.export_for(person.email),
        "audit_events": [{"action": e.action, "at": _iso(e.created_at), "by": e.actor.name if e.actor else None,
                          "details": e.details or {}}
                         for e in db.session.scalars(select(AuditEvent).where(AuditEvent.subject == person.external_id)
                                                     .order_by(AuditEvent.id))],
    }
    audit.record(actor, "person.export", subject=person.external_id)
    db.session.commit()
    return data


def _responses(person: Person) -> list[dict]:
    """The person's own responses with their answers; for each anonymous rollout they were in,
    only that it is anonymous."""
    items: list[dict] = []
    responses = list(db.session.execute(
        select(Response, Wave, Rollout).join(Wave, Wave.id == Response.wave_id)
        .join(Rollout, Rollout.id == Wave.rollout_id).where(Response.person_id == person.id)
        .order_by(Rollout.key, Wave.number)))
    kinds = {}
    questionnaires = {response.questionnaire_id for response, _w, _r in responses}
    if questionnaires:
        kinds = {(q.questionnaire_id, q.code): q.kind for q in db.session.scalars(
            select(Question).where(Question.questionnaire_id.in_(questionnaires)))}
    for response, wave, rollout in responses:
        answers: dict = {}
        for answer in response.answers:
            kind = kinds.get((response.questionnaire_id, answer.code))
            value = answer.text if answer.text is not None else (
                answer.option if answer.option is not None else answer.number)
            if kind == "multi":
                answers.setdefault(answer.code, []).append(value)
            else:
                answers[answer.code] = value
        items.append({"rollout": rollout.key, "wave": wave.number, "submitted_at": _iso(response.submitted_at),
                      "updated_at": _iso(response.updated_at), "language": response.language, "answers": answers})
    for key, number in db.session.execute(
            select(Rollout.key, Wave.number).join(Wave, Wave.rollout_id == Rollout.id)
            .join(Membership, Membership.wave_id == Wave.id)
            .where(Membership.person_id == person.id, Rollout.anonymous.is_(True)).order_by(Rollout.key, Wave.number)):
        items.append({"rollout": key, "wave": number, "anonymous": True,
                      "note": _("anonymous: not linked to you")})
    return items


# --- erasure -----------------------------------------------------------------------

def _response_ids(person: Person) -> list[int]:
    """The person's responses: those linked to them (never an anonymous one, see above)."""
    return sorted(db.session.scalars(select(Response.id).where(Response.person_id == person.id)))


def _copied_cards(response_ids: list[int]) -> int:
    """Retrospective cards copied from these responses' free texts become ERASED."""
    erased = 0
    for start in range(0, len(response_ids), CHUNK):
        rows = db.session.execute(select(Answer.wave_id, Answer.text).where(
            Answer.response_id.in_(response_ids[start:start + CHUNK]), Answer.text.is_not(None),
            Answer.text != "")).all()
        for wave_id, text in rows:
            erased += execute_dml(
                update(RetroCard).where(RetroCard.wave_id == wave_id, RetroCard.source == "participant",
                                        RetroCard.text == (text or "")[:MAX_CARD])
                .values(text=ERASED).execution_options(synchronize_session=False)).rowcount
    return erased


def _alerts_about(report_ids: list[int]) -> int:
    """The leads' blocker alerts name the reporter: they go with the person."""
    erased = 0
    for start in range(0, len(report_ids), CHUNK):
        erased += execute_dml(
            delete(Notification).where(or_(*(Notification.dedupe_key.like(f"blocker:{i}:%")
                                             for i in report_ids[start:start + CHUNK])))
            .execution_options(synchronize_session=False)).rowcount
    return erased


def _erase_checkin_answers(person: Person) -> int:
    """The person's check-in answers (linked to them only where the rollout is not anonymous): their
    free texts emptied, the responses no longer theirs. How many texts were emptied."""
    ids = list(db.session.scalars(select(CheckInResponse.id).where(CheckInResponse.person_id == person.id)))
    texts = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        texts += execute_dml(
            update(CheckInAnswer).where(CheckInAnswer.response_id.in_(chunk), CheckInAnswer.text.is_not(None),
                                        CheckInAnswer.text != "")
            .values(text="").execution_options(synchronize_session=False)).rowcount
        db.session.execute(update(CheckInResponse), [{"id": i, "person_id": None, "respondent_key": pseudonym()}
                                                     for i in chunk])
    return texts


def _count(model: type[Model], *where: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def erasure_preview(person: Person, actor: Optional[User]) -> dict[str, int]:
    """What erasing `person` would delete (memberships, links, e-mails) and pseudonymise
    (responses and their free texts, problem reports)."""
    require_people_manager(actor)
    responses = _response_ids(person)
    return {"memberships": _count(Membership, Membership.person_id == person.id),
            "links": _count(FeedbackLink, FeedbackLink.person_id == person.id),
            "emails": _count(Notification, Notification.person_id == person.id),
            "responses": len(responses),
            "texts": _count(Answer, Answer.response_id.in_(responses), Answer.text.is_not(None), Answer.text != ""),
            "problem_reports": _count(ProblemReport, ProblemReport.person_id == person.id),
            **ideas.erasure_counts(person.email)}


def erase_person(person: Person, actor: Optional[User]) -> dict[str, int]:
    """Delete the person and what is only theirs; pseudonymise what the counts need. Returns the counts."""
    require_people_manager(actor)
    external_id, email = person.external_id, person.email
    responses = _response_ids(person)
    cards = _copied_cards(responses)
    shared = wins.erase_for_responses(responses)
    report_ids = list(db.session.scalars(select(ProblemReport.id).where(ProblemReport.person_id == person.id)))
    alerts = _alerts_about(report_ids)
    texts = 0
    for start in range(0, len(responses), CHUNK):
        chunk = responses[start:start + CHUNK]
        texts += execute_dml(
            update(Answer).where(Answer.response_id.in_(chunk), Answer.text.is_not(None), Answer.text != "")
            .values(text="").execution_options(synchronize_session=False)).rowcount
        db.session.execute(update(Response), [{"id": i, "person_id": None, "respondent_key": pseudonym()}
                                              for i in chunk])
    texts += _erase_checkin_answers(person)
    reports = execute_dml(
        update(ProblemReport).where(ProblemReport.person_id == person.id)
        .values(person_id=None, description=ERASED).execution_options(synchronize_session=False)).rowcount
    counts = {"responses": len(responses), "texts": texts, "problem_reports": reports, "cards": cards,
              "wins": shared, "alerts": alerts, **forget_people([person.id])}
    counts.update({name: n for name, n in ideas.erase_for(email).items() if n})
    counts.pop("people", None)
    audit.record(actor, "person.erase", subject=external_id, details=counts)
    db.session.commit()
    return counts


def forget_people(person_ids: Iterable[int]) -> dict[str, int]:
    """Delete these people and their memberships, links and e-mails; whatever else names them
    keeps no link to them. In the open transaction (SQLite does not enforce foreign keys)."""
    ids = sorted(set(person_ids))
    counts = {"memberships": 0, "links": 0, "emails": 0, "people": 0}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        options = {"synchronize_session": False}
        counts["memberships"] += execute_dml(
            delete(Membership).where(Membership.person_id.in_(chunk)).execution_options(**options)).rowcount
        db.session.execute(delete(Bucket).where(Bucket.person_id.in_(chunk)).execution_options(**options))
        counts["links"] += execute_dml(
            delete(FeedbackLink).where(FeedbackLink.person_id.in_(chunk)).execution_options(**options)).rowcount
        counts["emails"] += execute_dml(
            delete(Notification).where(Notification.person_id.in_(chunk)).execution_options(**options)).rowcount
        for model in (Response, ProblemReport, CheckInResponse):
            db.session.execute(update(model).where(model.person_id.in_(chunk)).values(person_id=None)
                               .execution_options(**options))
        counts["people"] += execute_dml(
            delete(Person).where(Person.id.in_(chunk)).execution_options(**options)).rowcount
    db.session.expire_all()
    return counts



ORPHANS_WITHIN = timedelta(hours=1)  # how long after a wave's start its members are checked for erased people


def forget_orphaned_memberships(now: datetime) -> int:
    """Delete the memberships whose person is gone, in the waves started within ORPHANS_WITHIN;
    committed; how many. Memberships have no foreign keys (see the model): a person erased while
    a wave was starting can leave a row the erasure could not yet see, and only a starting wave
    can; the reconcile tick removes it a minute later."""
    recent = select(Wave.id).where(Wave.started_at >= now - ORPHANS_WITHIN)
    removed = execute_dml(delete(Membership).where(
        Membership.wave_id.in_(recent),
        ~select(Person.id).where(Person.id == Membership.person_id).exists())
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return removed
