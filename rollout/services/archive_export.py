"""The whole rollout as one JSON document (`/rollouts/<key>/export/rollout.json`, `rollout export`):
what a reader or a BI tool wants of it (settings, questionnaire versions, waves with their
selection, members, results, gate, decisions, problem reports and retrospective, the lessons),
and, as the versioned archive `rollout import` reads into another instance (rollout_import.py),
everything else that reproduces it: the raw responses with their answers, the team and the other
accounts it names (by e-mail), the people records of its members, reporters and named people,
the retrospective's authors and dots, the lessons' owners and dates, and the retention settings.

Anonymity holds in the archive as on every page: in an anonymous rollout a response names no
person, keeps no language and no time finer than the day, has no id, and the responses come in
the order of their respondent key; a wave whose answers are hidden (`answers_hidden`) carries
only its count (`responses_withheld`) -- except for the system itself (actor None: the
operator's `rollout export`, who holds the database anyway), whose archive has them, unlinked.
The people records go only to those who read the directory (people managers, admins, the
system). Personal links are credentials: never exported."""
from __future__ import annotations

from datetime import date
from typing import Any, Optional

from sqlalchemy import or_, select

from ..extensions import db
from ..models import (
    Answer,
    Decision,
    Lesson,
    Membership,
    Person,
    ProblemReport,
    Questionnaire,
    Response,
    RetroCard,
    RetroTheme,
    RetroVote,
    Rollout,
    RolloutRole,
    User,
    Wave,
)
from ..models.types import utcnow
from . import gates, lessons, questionnaires, retro
from . import waves as wave_service
from .accounts import can_manage_people, require_view
from .cohorts import members
from .privacy import PSEUDONYM_PREFIX
from .results import answers_hidden, wave_results

FORMAT = "rollout-archive"
VERSION = 1
CHUNK = 500


def iso(value: Optional[date]) -> Optional[str]:
    return value.isoformat() if value else None


def rollout_archive(rollout: Rollout, actor: Optional[User]) -> dict:
    """The rollout as the archive of FORMAT and VERSION (see the module's docstring)."""
    require_view(actor, rollout)
    versions = list(db.session.scalars(select(Questionnaire).where(Questionnaire.rollout_id == rollout.id)
                                       .order_by(Questionnaire.version)))
    version_of = {q.id: q.version for q in versions}
    users = _Emails()
    waves = [_wave(wave, actor, version_of, users) for wave in rollout.waves]
    lesson_rows = lessons.for_rollout(rollout, actor, per_page=1_000_000)[0]
    team = list(db.session.execute(select(RolloutRole.role, User).join(User, User.id == RolloutRole.user_id)
                                   .where(RolloutRole.rollout_id == rollout.id).order_by(RolloutRole.role, User.email)))
    data: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "exported_at": iso(utcnow()),
        "key": rollout.key, "name": rollout.name, "description": rollout.description,
        "language": rollout.language, "anonymous": rollout.anonymous, "anonymity_k": rollout.anonymity_k,
        "reminder_days": rollout.reminder_days,
        "gate": gates.rollout_criteria(rollout), "gate_settings": dict(rollout.gate or {}),
        "problem_categories": questionnaires.categories(rollout),
        "questionnaires": [{**questionnaires.as_data(q), "created_at": iso(q.created_at),
                            "created_by": users.of(q.created_by_id)} for q in versions],
        "tags": rollout.tags, "vote_budget": rollout.vote_budget,
        "retention_days": rollout.retention_days, "text_retention_days": rollout.text_retention_days,
        "texts_purged_at": iso(rollout.texts_purged_at), "purged_at": iso(rollout.purged_at),
        "created_at": iso(rollout.created_at), "created_by": users.of(rollout.created_by_id),
        "team": [{"email": user.email, "name": user.name, "role": role} for role, user in team],
        "waves": waves,
        "lessons": [_lesson(lesson, users) for lesson in lesson_rows],
    }
    data["users"] = users.listed()
    if actor is None or can_manage_people(actor):
        data["people"] = _people(rollout)
    return data


class _Emails:
    """The accounts the archive names, by e-mail address (each read once)."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}

    def of(self, user_id: Optional[int]) -> Optional[str]:
        if user_id is None:
            return None
        if user_id not in self.users:
            user = db.session.get(User, user_id)
            if user is None:
                return None
            self.users[user_id] = user
        return self.users[user_id].email

    def listed(self) -> list[dict]:
        return sorted(({"email": u.email, "name": u.name} for u in self.users.values()), key=lambda u: u["email"])


def _wave(wave: Wave, actor: Optional[User], version_of: dict[int, int], users: _Emails) -> dict:
    rollout = wave.rollout
    people, _total = members(wave, per_page=1_000_000)
    results = wave_results(wave, actor)
    memberships = db.session.execute(select(Membership, Person.external_id).join(
        Person, Person.id == Membership.person_id).where(Membership.wave_id == wave.id)
        .order_by(Person.external_id)).all()
    data: dict[str, Any] = {
        "number": wave.number, "name": wave.name, "state": wave.state, "paused_from": wave.paused_from,
        "selection": {**(wave.selection or {}), "percentage": wave.percentage},
        "planned_start": iso(wave.planned_start), "planned_end": iso(wave.planned_end),
        "feedback_days": wave.feedback_days, "auto_advance": wave.auto_advance,
        "started_at": iso(wave.started_at), "feedback_opened_at": iso(wave.feedback_opened_at),
        "feedback_closes_at": iso(wave.feedback_closes_at), "closed_at": iso(wave.closed_at),
        "done_at": iso(wave.done_at), "created_at": iso(wave.created_at),
        "decision": wave.decision, "decision_rationale": wave.decision_rationale,
        "gate_overrides": dict(wave.gate_overrides or {}),
        "questionnaire_version": version_of.get(wave.questionnaire_id) if wave.questionnaire_id else None,
        "members": [p.external_id for p in people],
        "members_count": wave.members_count,
        "memberships": [{"external_id": external_id, "explicit": m.explicit, "added_at": iso(m.added_at)}
                        for m, external_id in memberships],
        "results": results.as_dict(),
        "gate": gates.evaluate(wave, results).as_dict(),
        "decisions": [_decision(d, users) for d in wave_service.decisions(wave)],
        "problems": _problems(wave),
        "retrospective": _retrospective(wave, actor, users),
    }
    if answers_hidden(wave) and actor is not None:
        data["responses_withheld"] = wave.responses_count
    else:
        data.update(_responses(wave, version_of))
    if rollout.anonymous:
        data["problems"] = [{k: v for k, v in p.items() if k != "reporter"} for p in data["problems"]]
    return data


def _decision(decision: Decision, users: _Emails) -> dict:
    users.of(decision.decided_by_id)
    return wave_service.decision_as_dict(decision)


def _problems(wave: Wave) -> list[dict]:
    rows = db.session.execute(select(ProblemReport, Person.external_id)
                              .outerjoin(Person, Person.id == ProblemReport.person_id)
                              .where(ProblemReport.wave_id == wave.id).order_by(ProblemReport.id)).all()
    return [{"id": p.id, "category": p.category, "severity": p.severity, "status": p.status,
             "description": p.description, "note": p.note, "created_at": iso(p.created_at),
             "updated_at": iso(p.updated_at), "reporter": external_id} for p, external_id in rows]


def _responses(wave: Wave, version_of: dict[int, int]) -> dict:
    """The wave's responses with their answers, read CHUNK at a time: in an anonymous rollout in the
    order of their respondent keys, without id, person, language or time finer than the day, and
    with the number of them pseudonymised (by an erasure or a purge) as a count; otherwise by id."""
    anonymous = wave.rollout.anonymous
    order = Response.respondent_key if anonymous else Response.id
    items: list[dict] = []
    pseudonymised = 0
    last: Any = None
    while True:
        query = (select(Response, Person.external_id).outerjoin(Person, Person.id == Response.person_id)
                 .where(Response.wave_id == wave.id).order_by(order).limit(CHUNK))
        if last is not None:
            query = query.where(order > last)
        rows = db.session.execute(query).all()
        if not rows:
            break
        answers = _answers([response.id for response, _ in rows])
        for response, external_id in rows:
            gone = response.respondent_key.startswith(PSEUDONYM_PREFIX)
            item: dict[str, Any] = {"questionnaire_version": version_of.get(response.questionnaire_id)}
            if anonymous:
                pseudonymised += gone
                item.update(submitted_on=response.submitted_at.date().isoformat(),
                            updated_on=response.updated_at.date().isoformat())
            else:
                item.update(id=response.id, external_id=external_id, language=response.language,
                            submitted_at=iso(response.submitted_at), updated_at=iso(response.updated_at),
                            edits=response.edits, pseudonymised=gone)
            item["answers"] = answers.get(response.id, [])
            items.append(item)
        last = getattr(rows[-1][0], order.key)
    data: dict[str, Any] = {"responses": items}
    if anonymous:
        data["pseudonymised_responses"] = pseudonymised
    return data


def _answers(response_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for answer in db.session.scalars(select(Answer).where(Answer.response_id.in_(response_ids)).order_by(Answer.id)):
        item: dict[str, Any] = {"code": answer.code}
        for name in ("number", "option", "text"):
            if getattr(answer, name) is not None:
                item[name] = getattr(answer, name)
        found.setdefault(answer.response_id, []).append(item)
    return found


def _retrospective(wave: Wave, actor: Optional[User], users: _Emails) -> dict:
    """A wave's themes (by votes) and cards, as the board shows them, with who made each and
    every dot (card, voter, slot)."""
    board = retro.board(wave, actor)
    themes = {t.id: t for t in db.session.scalars(select(RetroTheme).where(RetroTheme.wave_id == wave.id))}
    authors = dict(db.session.execute(select(RetroCard.id, RetroCard.author_id).where(RetroCard.wave_id == wave.id)).all())
    cards = [card for view in board.themes for card in view.cards] + [
        card for kind_cards in board.loose.values() for card in kind_cards]
    dots = db.session.scalars(select(RetroVote).where(RetroVote.wave_id == wave.id).order_by(RetroVote.id))
    return {"themes": [{**retro.theme_dict(view), "created_at": iso(themes[view.theme.id].created_at),
                        "created_by": users.of(themes[view.theme.id].created_by_id)} for view in board.themes],
            "cards": [{**retro.card_dict(card), "author": users.of(authors.get(card.id))} for card in cards],
            "dot_votes": [{"card": dot.card_id, "user": users.of(dot.user_id), "slot": dot.slot,
                           "created_at": iso(dot.created_at)} for dot in dots]}


def _lesson(lesson: Lesson, users: _Emails) -> dict:
    source = db.session.get(Lesson, lesson.source_lesson_id) if lesson.source_lesson_id else None
    users.of(lesson.owner_id)
    return {**lessons.as_dict(lesson), "applied_at": iso(lesson.applied_at), "verified_at": iso(lesson.verified_at),
            "created_by": users.of(lesson.created_by_id),
            "source": {"rollout": source.rollout.key, "title": source.title} if source is not None else None}


def _people(rollout: Rollout) -> list[dict]:
    """The people records the archive needs: its members, its reporters and respondents (not of an
    anonymous rollout, which links none), and those its waves' selections name."""
    wave_ids = select(Wave.id).where(Wave.rollout_id == rollout.id)
    named = sorted({str(p) for wave in rollout.waves for p in (wave.selection or {}).get("people") or []})
    linked = [Person.id.in_(select(Membership.person_id).where(Membership.wave_id.in_(wave_ids))),
              Person.id.in_(select(ProblemReport.person_id).where(ProblemReport.wave_id.in_(wave_ids))),
              Person.id.in_(select(Response.person_id).where(Response.wave_id.in_(wave_ids)))]
    if named:
        linked.append(Person.external_id.in_(named))
    return [{"external_id": p.external_id, "name": p.name, "email": p.email, "unit": p.unit_name,
             "language": p.language, "attributes": dict(p.attributes or {}),
             "added_for_rollout": p.added_for_rollout_id == rollout.id}
            for p in db.session.scalars(select(Person).where(or_(*linked)).order_by(Person.external_id))]

