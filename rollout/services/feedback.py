"""The participant's side: personal links, invitations and reminders,
responses (one per person and wave), and problem reports; and the lead's
triage of those reports. Also "you said, we did": what a participant is shown
of the lessons applied before their wave."""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    PROBLEM_STATUSES,
    SEVERITIES,
    Answer,
    FeedbackLink,
    Membership,
    Person,
    ProblemReport,
    Question,
    Questionnaire,
    Response,
    Rollout,
    User,
    Wave,
)
from ..models.types import utcnow
from . import audit, lessons, notify, questionnaires
from .accounts import require_lead, require_view
from .errors import DomainError, GuardFailed, NotFound, Problems
from .validation import text_problem, whole_number

MAX_TEXT = 2000
SCALES = {"rating": (1, 5), "nps": (0, 10)}
# a reminder never comes sooner than this after the invitation (issue: both arrived in one minute)
REMINDER_AFTER = timedelta(days=1)
# a participant reports problems from the wave's start until the team has decided on it
REPORTING_STATES = ("active", "feedback", "paused", "review")


class LinkNotValid(DomainError):
    """Unknown or revoked: the page says so and reveals nothing else."""

    status = 404
    code = "link_not_valid"


class FeedbackClosed(DomainError):
    status = 409
    code = "feedback_closed"


# --- tokens and keys --------------------------------------------------------

def _secret() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


def _token(link_wave_id: int, person_id: int, nonce: str) -> str:
    digest = hmac.new(_secret(), f"feedback-link:{link_wave_id}:{person_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(message: str) -> str:
    """HMAC-SHA-256 of `message` under SECRET_KEY, in hex: a name that says nothing without the secret."""
    return hmac.new(_secret(), message.encode(), hashlib.sha256).hexdigest()


def respondent_key(wave_id: int, person_id: int) -> str:
    """A keyed hash of wave and person: unique per wave, and no link back without the secret."""
    return keyed_hash(f"respondent:{wave_id}:{person_id}")


def start_of_day(value: datetime) -> datetime:
    """00:00 UTC of the day of `value`: the finest time an anonymous response keeps."""
    return value.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def link_url(link: FeedbackLink) -> str:
    return notify.public_url(f"/f/{_token(link.wave_id, link.person_id, link.nonce)}")


def _new_link(wave: Wave, person_id: int) -> FeedbackLink:
    nonce = secrets.token_hex(16)
    return FeedbackLink(wave_id=wave.id, person_id=person_id, nonce=nonce,
                        token_hash=_hash(_token(wave.id, person_id, nonce)))


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


def _links_with_people(wave: Wave, only_non_responders: bool = False):
    query = (select(FeedbackLink, Person).join(Person, Person.id == FeedbackLink.person_id)
             .where(FeedbackLink.wave_id == wave.id, FeedbackLink.revoked_at.is_(None)).order_by(FeedbackLink.id))
    rows = db.session.execute(query).all()
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


def new_link(wave: Wave, person: Person, actor: Optional[User]) -> FeedbackLink:
    """Revoke a person's link and send a new one (lost e-mail, forwarded link)."""
    require_lead(actor, wave.rollout)
    if wave.state not in ("active", "feedback", "paused") or wave.feedback_opened_at is None:
        raise GuardFailed("no_feedback", _("Links exist once feedback has opened, until it closes."))
    link = db.session.scalar(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id,
                                                        FeedbackLink.person_id == person.id))
    if link is None:
        raise NotFound(_("This person is not in the wave."))
    link.nonce = secrets.token_hex(16)
    link.token_hash = _hash(_token(wave.id, person.id, link.nonce))
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
    numbers = {w.id: w.number for w in wave.rollout.waves}
    groups: dict[Optional[int], list[DoneLesson]] = {}
    for lesson in lessons.applied_before(wave):
        groups.setdefault(numbers.get(lesson.origin_wave_id), []).append(DoneLesson(lesson.title, lesson.action))
    order = sorted(groups, key=lambda number: -1 if number is None else number, reverse=True)
    return [SaidAndDone(number, tuple(groups[number])) for number in order]


# --- the participant's link -------------------------------------------------

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


def visit(token: str) -> Visit:
    """What a personal link opens: one person's form for one wave, nothing else."""
    if not token or len(token) > 100:
        raise LinkNotValid(_("This link does not work."))
    link = db.session.scalar(select(FeedbackLink).where(FeedbackLink.token_hash == _hash(token)))
    if link is None or link.revoked_at is not None:
        raise LinkNotValid(_("This link does not work."))
    wave = db.session.get(Wave, link.wave_id)
    if wave.state == "cancelled":
        raise LinkNotValid(_("This link does not work."))
    questionnaire = db.session.get(Questionnaire, wave.questionnaire_id) if wave.questionnaire_id else None
    if wave.rollout.anonymous and link.renewed_at is not None:
        # whoever holds a renewed link (sent to a changed address, perhaps by someone on the team)
        # must not read the answers of the person it was first sent to: it may answer again,
        # replacing them, but never sees them, nor whether there were any
        return Visit(link, wave, wave.rollout, link.person, questionnaire, None, earlier_answers_hidden=True)
    response = db.session.scalar(select(Response).where(
        Response.wave_id == wave.id, Response.respondent_key == respondent_key(wave.id, link.person_id)))
    return Visit(link, wave, wave.rollout, link.person, questionnaire, response)


def touch(v: Visit) -> None:
    """Note when a link was last opened; never in an anonymous rollout, where it would tell the
    team who has (probably) answered."""
    if v.rollout.anonymous:
        return
    v.link.last_opened_at = utcnow()
    db.session.commit()


def current_answers(v: Visit) -> dict:
    """The stored answers, shaped as they were given: {code: value}."""
    answers: dict = {}
    if v.response is None or v.questionnaire is None:
        return answers
    kinds = {q.code: q.kind for q in v.questionnaire.questions}
    for answer in v.response.answers:
        kind = kinds.get(answer.code)
        if kind == "multi":
            answers.setdefault(answer.code, []).append(answer.option)
        elif kind in ("choice", "yes_no"):
            answers[answer.code] = answer.option
        elif kind in ("rating", "nps"):
            answers[answer.code] = int(answer.number)
        elif kind == "number":
            answers[answer.code] = int(answer.number) if float(answer.number).is_integer() else answer.number
        else:
            answers[answer.code] = answer.text
    return answers


def validate_answers(questions: list[Question], answers) -> tuple[list[dict], Problems]:
    """Every answer checked against its question: rows for the answers table, or the problems."""
    problems = Problems()
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
            number = whole_number(value, low, high)
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
                low = "" if q.min_value is None else f"{q.min_value:g}"
                high = "" if q.max_value is None else f"{q.max_value:g}"
                problems.add(q.code, _("Give a number from %(low)s to %(high)s.", low=low or "−∞", high=high or "∞"))
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


def submit(token: str, answers, language: str = "sv") -> Response:
    """Store a participant's answers, or replace them when they edit. A double
    submit is one response: the row is unique on (wave, respondent key)."""
    v = visit(token)
    if not v.can_answer:
        if v.wave.state == "paused":
            raise FeedbackClosed(_("Feedback for this wave is paused for now; your link works again when it resumes."))
        raise FeedbackClosed(_("The feedback window for this wave is closed; answers can no longer be changed.")
                             if v.wave.feedback_opened_at else _("Feedback for this wave has not opened yet."))
    rows, problems = validate_answers(v.questionnaire.questions, answers)
    problems.raise_if_any(_("Some answers need attention."))
    key = respondent_key(v.wave.id, v.person.id)
    anonymous = v.rollout.anonymous
    # an anonymous response keeps nothing that could single its person out: no language, no time
    # finer than the day (the row id is never shown), no count of edits
    language = "" if anonymous else language if language in ("sv", "en") else "sv"
    for _attempt in range(2):
        # the row lock makes two edits of the same response take turns (PostgreSQL; SQLite has one writer)
        response = db.session.scalar(select(Response).where(Response.wave_id == v.wave.id,
                                                            Response.respondent_key == key)
                                     .with_for_update().execution_options(populate_existing=True))
        now = start_of_day(utcnow()) if anonymous else utcnow()
        if response is None:
            response = Response(wave_id=v.wave.id, questionnaire_id=v.questionnaire.id, respondent_key=key,
                                person_id=None if anonymous else v.person.id, language=language,
                                submitted_at=now, updated_at=now)
            db.session.add(response)
            try:
                db.session.flush()
            except IntegrityError:
                # the same person submitted twice at once: the other request made the row; edit it
                db.session.rollback()
                continue
            db.session.execute(update(Wave).where(Wave.id == v.wave.id)
                               .values(responses_count=Wave.responses_count + 1))
        else:
            response.updated_at, response.language = now, language
            if not anonymous:
                response.edits += 1
        # an edit replaces every answer (the old rows are deleted as orphans)
        response.answers = [Answer(wave_id=v.wave.id, **row) for row in rows]
        db.session.commit()
        return response
    raise FeedbackClosed(_("Your answers could not be saved; try again."))


# --- problem reports --------------------------------------------------------

def report_problem(token: str, data: dict) -> ProblemReport:
    v = visit(token)
    if not v.can_report:
        raise FeedbackClosed(_("Problems are reported with this link until the team has decided on the wave, "
                               "and it has. Contact your usual IT support instead."))
    problems = Problems()
    if not isinstance(data, dict):
        data = {}
    category = data.get("category")
    severity = data.get("severity")
    description = data.get("description")
    codes = [c["code"] for c in questionnaires.categories(v.rollout)]
    if category not in codes:
        problems.add("category", _("Choose a category."))
    if severity not in SEVERITIES:
        problems.add("severity", _("Choose how serious the problem is."))
    if not isinstance(description, str) or not description.strip():
        problems.add("description", _("Describe the problem."))
    elif reason := text_problem(description.strip().replace("\t", " "), MAX_TEXT):
        problems.add("description", reason)
    problems.raise_if_any(_("The problem could not be reported."))
    anonymous = v.rollout.anonymous
    # like an anonymous response, an anonymous report keeps its day, not its minute
    reported = start_of_day(utcnow()) if anonymous else utcnow()
    report = ProblemReport(wave_id=v.wave.id, person_id=None if anonymous else v.person.id, category=category,
                           severity=severity, description=description.strip(), created_at=reported,
                           updated_at=reported)
    db.session.add(report)
    db.session.flush()
    alerts = []
    if severity == "blocker":
        for lead in notify.leads_of(v.rollout):
            alerts.append(f"blocker:{report.id}:{lead.id}")
            notify.queue("blocker", alerts[-1], lead.email, lead.language, "blocker",
                         wave_id=v.wave.id, user_id=lead.id, wave=v.wave, rollout=v.rollout, report=report,
                         category=questionnaires.category_label(v.rollout, category, lead.language),
                         reporter=None if v.rollout.anonymous else v.person,
                         url=notify.public_url(f"/rollouts/{v.rollout.key}/problems"))
    db.session.commit()
    if alerts:
        # "at once": the leads hear of a blocker now, not at the next tick (only these messages)
        notify.deliver_pending(keys=alerts)
    return report


def list_problems(rollout: Rollout, actor: Optional[User], *, wave: Optional[Wave] = None, status: str = "",
                  page: int = 1, per_page: int = 50) -> tuple[list[tuple[ProblemReport, Wave]], int]:
    require_view(actor, rollout)
    query = select(ProblemReport, Wave).join(Wave, Wave.id == ProblemReport.wave_id).where(Wave.rollout_id == rollout.id)
    if wave is not None:
        query = query.where(ProblemReport.wave_id == wave.id)
    if status:
        query = query.where(ProblemReport.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    severity_order = case({"blocker": 0, "major": 1, "minor": 2}, value=ProblemReport.severity, else_=3)
    rows = db.session.execute(query.order_by(
        (ProblemReport.status == "resolved"), severity_order, ProblemReport.created_at.desc())
        .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [(r, w) for r, w in rows], total


def triage(report: ProblemReport, status: str, note: str, actor: Optional[User]) -> ProblemReport:
    wave = db.session.get(Wave, report.wave_id)
    require_lead(actor, wave.rollout)
    problems = Problems()
    if status not in PROBLEM_STATUSES:
        problems.add("status", _("Choose new, acknowledged or resolved."))
    if note is not None and not isinstance(note, str):
        problems.add("note", _("Write text."))
        note = ""
    note = (note or "").strip()
    if reason := text_problem(note.replace("\t", " "), MAX_TEXT):
        problems.add("note", reason)
    problems.raise_if_any(_("The problem could not be updated."))
    before = report.status
    report.status, report.note, report.updated_at = status, note, utcnow()
    audit.record(actor, "problem.triage", rollout=wave.rollout, subject=f"#{report.id}",
                 details={"from": before, "to": status})
    db.session.commit()
    return report


def open_blockers(wave: Wave) -> int:
    return db.session.scalar(select(func.count()).select_from(ProblemReport).where(
        ProblemReport.wave_id == wave.id, ProblemReport.severity == "blocker",
        ProblemReport.status != "resolved")) or 0


def has_response(wave: Wave, person_id: int) -> bool:
    return db.session.scalar(select(exists().where(Response.wave_id == wave.id,
                                                   Response.respondent_key == respondent_key(wave.id, person_id))))
