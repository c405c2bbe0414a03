"""Builders: short ways to make the data a test needs, through the services."""
from __future__ import annotations

from typing import Optional

from rollout.models import Rollout, User, Wave
from rollout.services import accounts, lessons, people, rollouts, tallies, waves

PASSWORD = "correct horse battery"


def make_user(email: str = "user@example.se", name: str = "A User", *, admin: bool = False,
              people_manager: bool = False, creator: bool = True) -> User:
    """A staff account; by default one that may plan rollouts (most tests need a lead), never one
    that keeps the people directory unless asked."""
    return accounts.create_user(email, name, PASSWORD, is_admin=admin, people_manager=people_manager,
                                rollout_creator=creator)


def make_token(user: User) -> str:
    return accounts.create_token(user, "test")[1]


def person_rows(n: int, *, unit: str = "Enhet A", prefix: str = "p", start: int = 1, **attributes) -> list[dict]:
    return [{"external_id": f"{prefix}{i}", "name": f"Person {prefix}{i}", "email": f"{prefix}{i}@example.se",
             "unit": unit, "attributes": dict(attributes)} for i in range(start, start + n)]


def make_people(n: int, *, unit: str = "Enhet A", prefix: str = "p", start: int = 1, **attributes):
    return people.upsert_people(person_rows(n, unit=unit, prefix=prefix, start=start, **attributes), None)


def make_rollout(key: str = "win11-2027", lead: Optional[User] = None, *, waves_: list[dict] | None = None,
                 anonymous: bool = False) -> Rollout:
    rollout = rollouts.create_rollout({"key": key, "name": f"Rollout {key}", "anonymous": anonymous}, lead)
    for spec in waves_ or []:
        make_wave(rollout, lead, **spec)
    return rollout


def make_wave(rollout: Rollout, actor: Optional[User] = None, *, name: Optional[str] = None,
              people: list[str] | None = None, units: list[str] | None = None,
              attributes: dict | None = None, percentage: Optional[int] = None, **extra) -> Wave:
    selection = {"people": people or [], "units": units or [], "attributes": attributes or {},
                 "percentage": percentage}
    return waves.create_wave(rollout, {"name": name or f"Wave {len(rollout.waves)}", "selection": selection,
                                       **extra}, actor)


def run_to_done(wave: Wave, actor: Optional[User] = None, decision: str = "go") -> Wave:
    """Take a planned wave through its whole flow to a decision."""
    for state in ("active", "feedback", "review"):
        waves.transition(wave, state, actor)
    return waves.decide(wave, decision, "test", actor)


def bulk_responses(wave: Wave, count: int) -> None:
    """`count` responses (satisfaction 1-5 in turn, yes on day one, 0-3 hours lost) written straight
    to the tables, for tests and benchmarks of large waves; the submit path has its own tests."""
    from sqlalchemy import func, insert, select

    from rollout.extensions import db
    from rollout.models import Answer, Response
    rows = [{"wave_id": wave.id, "questionnaire_id": wave.questionnaire_id, "respondent_key": f"bulk-{i}",
             "language": "sv"} for i in range(count)]
    ids = db.session.scalars(insert(Response).returning(Response.id), rows).all()
    answers = [{"response_id": rid, "wave_id": wave.id, "code": "satisfaction", "number": 1 + i % 5}
               for i, rid in enumerate(ids)]
    answers += [{"response_id": rid, "wave_id": wave.id, "code": "worked_day_one", "option": "yes", "number": 1}
                for rid in ids]
    answers += [{"response_id": rid, "wave_id": wave.id, "code": "hours_lost", "number": i % 4}
                for i, rid in enumerate(ids)]
    db.session.execute(insert(Answer), answers)
    tallies.rebuild(wave.id)  # the results read the tallies, which rows written here must keep right
    answered = db.session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id))
    wave.members_count = max(wave.members_count, answered or 0)
    db.session.commit()


def wave_tokens(wave: Wave) -> dict[str, str]:
    """external id -> the personal feedback token of each member of an opened wave"""
    from rollout.extensions import db
    from rollout.models import FeedbackLink
    from rollout.services import feedback
    return {link.person.external_id: feedback.link_url(link).rsplit("/", 1)[1]
            for link in db.session.query(FeedbackLink).filter_by(wave_id=wave.id)}


def answer_wave(wave: Wave, ratings: list[int], *, texts: Optional[dict[str, list[str]]] = None,
                hours: Optional[list[float]] = None) -> None:
    """Members answer in turn: satisfaction from `ratings`, free texts by question code."""
    from rollout.services import feedback
    for i, (_external_id, token) in enumerate(sorted(wave_tokens(wave).items())):
        if i >= len(ratings):
            break
        answers = {"satisfaction": ratings[i], "worked_day_one": "yes"}
        for code, values in (texts or {}).items():
            if i < len(values) and values[i]:
                answers[code] = values[i]
        if hours is not None:
            answers["hours_lost"] = hours[i]
        feedback.submit(token, answers)


def pilot_in_review(lead: Optional[User], *, ratings=(5, 4, 2, 2, 3, 4), texts=None, key: str = "win11-2027",
                    anonymous: bool = False, pilot_size: int = 6, rest: int = 20) -> tuple[Rollout, Wave, Wave]:
    """A rollout whose pilot (unit Pilot) has answered and is in review, and a planned wave 1
    (unit Rest)."""
    make_people(pilot_size, unit="Pilot", prefix=f"{key[:3]}pil")
    make_people(rest, unit="Rest", prefix=f"{key[:3]}r")
    rollout = make_rollout(key, lead=lead, anonymous=anonymous)
    pilot = make_wave(rollout, lead, name="Pilot", units=["Pilot"])
    wave1 = make_wave(rollout, lead, name="Wave 1", units=["Rest"])
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    answer_wave(pilot, list(ratings), texts=texts or {
        "went_well": ["Quick install", "", "Friendly support"],
        "could_be_better": ["The printer did not work", "Too little information before", ""]})
    waves.transition(pilot, "review", lead)
    return rollout, pilot, wave1


def lesson_applied_for_wave1(lead: Optional[User], title: str = "Better information"):
    """A pilot that went badly, a lesson from it with satisfaction as its metric applied for wave 1,
    the pilot decided go, and wave 1 collecting feedback (where the lesson is to be verified).
    Returns (rollout, pilot, wave1, lesson)."""
    rollout, pilot, wave1 = pilot_in_review(lead, ratings=(1, 2, 2, 1, 3, 2), pilot_size=6, rest=30)
    lesson = lessons.create_lesson(rollout, {"title": title, "origin_wave": 0, "metric": "satisfaction"}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    waves.decide(pilot, "go", "the lesson fixes it", lead)
    waves.transition(wave1, "active", lead)
    waves.transition(wave1, "feedback", lead)
    return rollout, pilot, wave1, lesson
