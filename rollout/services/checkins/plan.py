"""Planning a wave's check-ins: add, change and delete them (the wave's leads and admins, while
the wave is planned, active or paused, and only a check-in not yet sent), their default
questions, and the vocabulary of their states."""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import CheckIn, Question, User, Wave
from .. import audit, questionnaires
from ..accounts import require_lead
from ..errors import FieldErrors, GuardFailed, NotFound
from ..validation import whole_number

MAX_QUESTIONS = 3  # a pulse, not a questionnaire
MAX_DAY = 365  # days from the wave's start
# a check-in is planned, changed or deleted only while the wave has not reached its feedback
EDITABLE_STATES = ("planned", "active", "paused")
# a sent check-in takes answers while its wave runs (until feedback closes)
OPEN_STATES = ("active", "feedback")

STATE_LABELS = {"planned": _l("not sent yet"), "open": _l("sent, open for answers"), "closed": _l("sent, closed")}


def default_questions() -> list[dict[str, Any]]:
    """"How is it going?" (rating 1-5, required) and "What is in your way?" (free text)."""
    return [
        {"code": "going", "kind": "rating", "prompt": {"sv": "Hur går det?", "en": "How is it going?"},
         "options": [], "required": True, "min": None, "max": None},
        {"code": "in_the_way", "kind": "text", "prompt": {"sv": "Vad står i vägen?", "en": "What is in your way?"},
         "options": [], "required": False, "min": None, "max": None},
    ]


def questions_of(checkin: CheckIn) -> list[Question]:
    """The check-in's questions as (unsaved) Question objects: the forms and the answer checks of
    the questionnaire take them as they are."""
    return [Question(code=q["code"], kind=q["kind"], prompt_sv=q["prompt"]["sv"], prompt_en=q["prompt"]["en"],
                     options=list(q.get("options") or []), required=bool(q.get("required")), position=index,
                     min_value=q.get("min"), max_value=q.get("max"))
            for index, q in enumerate(checkin.questions or [])]


def list_checkins(wave: Wave) -> list[CheckIn]:
    """The wave's check-ins, in day order (one query)."""
    return list(db.session.scalars(select(CheckIn).where(CheckIn.wave_id == wave.id).order_by(CheckIn.day)))


def get_checkin(wave: Wave, checkin_id: int) -> CheckIn:
    checkin = db.session.get(CheckIn, checkin_id)
    if checkin is None or checkin.wave_id != wave.id:
        raise NotFound(_("This wave has no such check-in."))
    return checkin


def latest_sent(wave: Wave) -> Optional[CheckIn]:
    """The check-in sent last in the wave: the one that takes answers while the wave runs."""
    return db.session.scalars(select(CheckIn).where(CheckIn.wave_id == wave.id, CheckIn.sent_at.is_not(None))
                              .order_by(CheckIn.sent_at.desc(), CheckIn.id.desc()).limit(1)).first()


def state_of(checkin: CheckIn, wave: Wave, latest: Optional[CheckIn]) -> str:
    """planned (not sent yet), open (sent last, the wave running) or closed (a later one went out,
    or the wave's feedback has closed)."""
    if checkin.sent_at is None:
        return "planned"
    if wave.state in OPEN_STATES and latest is not None and latest.id == checkin.id:
        return "open"
    return "closed"


def _clean(data: object, wave: Wave, checkin: Optional[CheckIn]) -> tuple[int, list[dict[str, Any]]]:
    """The day and questions asked for, checked all at once (ValidationFailed lists every problem)."""
    problems = FieldErrors()
    if not isinstance(data, dict):
        problems.add("", _("Give the check-in as an object with its day and questions."))
        problems.raise_if_any(_("The check-in needs attention."))
        raise AssertionError  # (raise_if_any raised)
    day_value = data.get("day", checkin.day if checkin is not None else None)
    day = whole_number(day_value, 0, MAX_DAY) if day_value is not None and day_value != "" else None
    if day is None:
        problems.add("day", _("The day is a whole number of days from the wave's start, from 0 to %(most)s.",
                              most=MAX_DAY))
    items = data.get("questions")
    if items is None:
        questions = list(checkin.questions) if checkin is not None else default_questions()
    elif isinstance(items, list) and len(items) > MAX_QUESTIONS:
        problems.add("questions", _("A check-in has at most %(n)s questions.", n=MAX_QUESTIONS))
        questions = []
    else:
        questions = questionnaires.clean_questions(items, problems)
    if day is not None:
        taken = db.session.scalar(select(CheckIn.id).where(CheckIn.wave_id == wave.id, CheckIn.day == int(day),
                                                           CheckIn.id != (checkin.id if checkin else -1)))
        if taken is not None:
            problems.add("day", _("The wave has a check-in on day %(day)s already.", day=int(day)))
    problems.raise_if_any(_("The check-in needs attention."))
    return int(day or 0), questions


def _require_editable(wave: Wave, checkin: Optional[CheckIn]) -> None:
    if wave.state not in EDITABLE_STATES:
        raise GuardFailed("wave_state", _("Check-ins are planned while the wave is planned, active or paused; "
                                          "this wave is past that."))
    if checkin is not None and checkin.sent_at is not None:
        raise GuardFailed("checkin_sent", _("This check-in has been sent: it can no longer be changed or deleted."))


def add_checkin(wave: Wave, data: object, actor: Optional[User]) -> CheckIn:
    """A new check-in of the wave; without questions, the default two."""
    require_lead(actor, wave.rollout)
    _require_editable(wave, None)
    day, questions = _clean(data, wave, None)
    checkin = CheckIn(wave_id=wave.id, day=day, questions=questions, created_by_id=actor.id if actor else None)
    db.session.add(checkin)
    audit.record(actor, "checkin.add", rollout=wave.rollout, subject=f"{wave.number}", details={"checkin_day": day})
    db.session.commit()
    return checkin


def update_checkin(checkin: CheckIn, wave: Wave, data: object, actor: Optional[User]) -> CheckIn:
    """Change the day or the questions (what is left out stays)."""
    require_lead(actor, wave.rollout)
    _require_editable(wave, checkin)
    day, questions = _clean(data, wave, checkin)
    checkin.day, checkin.questions = day, questions
    audit.record(actor, "checkin.update", rollout=wave.rollout, subject=f"{wave.number}",
                 details={"checkin_day": day})
    db.session.commit()
    return checkin


def delete_checkin(checkin: CheckIn, wave: Wave, actor: Optional[User]) -> None:
    require_lead(actor, wave.rollout)
    _require_editable(wave, checkin)
    day = checkin.day
    db.session.delete(checkin)
    audit.record(actor, "checkin.delete", rollout=wave.rollout, subject=f"{wave.number}",
                 details={"checkin_day": day})
    db.session.commit()
