"""A rollout archive (archive_export.py) imported into this instance, all or nothing.

The whole file is checked first (archive_check.py); then, in one transaction: the people it needs
that are not here (from its people records), the accounts it names that are not here (without a
usable password), the rollout with its team, questionnaire versions, waves, members, responses
with their answers, problem reports, decisions, retrospectives and lessons -- ids new, times as
they were -- and what the app derives from them: the answer tallies the results read, the
rollout's buckets, the lesson library's search words. Respondent keys are this instance's: a
response of a person (not anonymous) gets the key of its wave and person here, so the person's
new link opens it; an anonymous one a new random key. Personal links are never in an archive:
the members of a wave still collecting feedback get new ones, which the next tick sends in an
invitation. The import is audited."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional, cast

from flask_babel import gettext as _
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import (
    Answer,
    Decision,
    Lesson,
    Membership,
    Person,
    ProblemReport,
    Question,
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
from . import audit, bucket_jobs, buckets, feedback, tallies
from .accounts import add_account_without_password, can_manage_people, require_admin, require_rollout_creator
from .archive_check import read_archive
from .archive_reader import Plan, PlannedWave
from .errors import NotAllowed, ValidationFailed
from .lessons import set_rollout_tags
from .lessons.fields import apply_fields
from .person_writes import apply_upsert, unit_ids
from .privacy import pseudonym

CHUNK = 1000
RESPONSES, ANSWERS = tallies.table_of(Response), tallies.table_of(Answer)
MEMBERSHIPS = cast(Table, Membership.__table__)


@dataclass
class CollectingWave:
    """A wave still collecting feedback (or paused while it does): its members' new links."""

    number: int
    state: str
    links: int


@dataclass
class ImportResult:
    rollout: Rollout
    counts: dict[str, int]  # waves, members, responses, problems, decisions, themes, cards, votes, lessons
    people_created: int
    people_matched: int
    accounts_created: list[str]  # e-mail addresses: no usable password yet
    collecting: list[CollectingWave]
    buckets_job: Optional[int]  # the job sorting many people into the rollout's buckets, if one was queued
    notes: list[str] = field(default_factory=list)


def import_rollout(data: object, actor: Optional[User], key: Optional[str] = None) -> ImportResult:
    """Import the archive `data` (a parsed JSON document) as a new rollout, under its own key or
    `key`; ValidationFailed listing every problem of the file, and nothing written, otherwise.
    Rollout creators may import; creating people takes a people manager, creating accounts an
    administrator (None, the system, may all)."""
    require_rollout_creator(actor)
    plan = read_archive(data, key)
    missing_people = [external_id for external_id in _needed_people(plan) if external_id not in plan.known_people]
    missing_users = [email for email in plan.users if email not in plan.known_users]
    if missing_people and actor is not None and not can_manage_people(actor):
        raise NotAllowed(_("The archive adds people to the directory: only administrators and people managers may."))
    if missing_users:
        require_admin(actor)
    try:
        return _write(plan, actor, missing_people, missing_users)
    except SQLAlchemyError as error:  # what the checks let through and the database would not take
        db.session.rollback()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
        raise ValidationFailed(_("Nothing was imported: the database refused the archive."),
                               [{"field": "", "message": reason}]) from error
    except Exception:
        db.session.rollback()
        raise


def _needed_people(plan: Plan) -> list[str]:
    """The external ids the rollout refers to: members, respondents, reporters, people named in a
    selection still to be made."""
    named: dict[str, None] = {}
    for wave in plan.waves:
        named.update((m[0], None) for m in wave.members)
        named.update((r.external_id, None) for r in wave.responses if r.external_id)
        named.update((p["reporter"], None) for p in wave.problems if p["reporter"])
        if wave.fields["started_at"] is None and wave.fields["state"] != "cancelled":
            named.update((p, None) for p in wave.fields["selection"]["people"])
    return list(named)


def _write(plan: Plan, actor: Optional[User], missing_people: list[str], missing_users: list[str]) -> ImportResult:
    now = utcnow()
    users = dict(plan.known_users)
    for email in missing_users:
        users[email] = add_account_without_password(email, plan.users[email], actor)
    db.session.flush()
    user_id = {email: user.id for email, user in users.items()}

    def by(email: Optional[str]) -> Optional[int]:
        return user_id[email] if email else None

    settings = dict(plan.settings)
    tags = settings.pop("tags")
    rollout = Rollout(**settings, **{k: v for k, v in plan.extra.items() if k != "created_at"},
                      created_at=plan.extra["created_at"] or now, created_by_id=by(plan.created_by))
    set_rollout_tags(rollout, tags)
    db.session.add(rollout)
    db.session.flush()
    for email, role in plan.team:
        db.session.add(RolloutRole(rollout_id=rollout.id, user_id=user_id[email], role=role))
    person_id = _people(plan, rollout, missing_people, actor)
    unit_ids(u for wave in plan.waves for u in wave.fields["selection"]["units"])  # a selection's units exist
    versions = _questionnaires(plan, rollout, by)
    counts = dict.fromkeys(("waves", "members", "responses", "problems", "decisions", "themes", "cards", "votes",
                            "lessons"), 0)
    themes: dict[int, int] = {}
    waves: dict[int, Wave] = {}
    for planned in plan.waves:
        wave = _wave(planned, rollout, versions, person_id, by, themes, counts, plan.anonymous)
        waves[wave.number] = wave
    for planned_lesson in sorted(plan.lessons, key=lambda item: item["id"]):
        _lesson(planned_lesson, rollout, waves, themes, users, by)
        counts["lessons"] += 1
    db.session.flush()
    job = bucket_jobs.fill(rollout, actor)  # (a start checks them again; a preview needs them now)
    collecting = _links(rollout, now)
    result = ImportResult(rollout, counts, len(missing_people), len(person_id) - len(missing_people), missing_users,
                          collecting, job.id if job is not None else None)
    if plan.key != plan.source_key and any(w.fields["started_at"] is None for w in plan.waves):
        result.notes.append(_("The rollout has a new key, and a person's bucket comes from the key: the waves still "
                              "to start may take other people by percentage than they would have under %(key)s.",
                              key=plan.source_key))
    if plan.anonymous and any(c.state == "feedback" for c in collecting):
        result.notes.append(_("The responses of an anonymous rollout cannot be traced to their people: whoever "
                              "answered before the move may answer again with the new link."))
    audit.record(actor, "rollout.import", rollout=rollout, subject=rollout.key, details={
        **counts, "people_created": result.people_created, "accounts_created": missing_users,
        "links": sum(c.links for c in collecting)})
    db.session.commit()
    return result


def _people(plan: Plan, rollout: Rollout, missing: list[str], actor: Optional[User]) -> dict[str, int]:
    """Create the people the rollout needs from the archive's records (those the source imported for
    this rollout marked so here too, for retention); their ids and those of the people here."""
    records = plan.people or {}
    for added_for in (True, False):
        rows = [records[e] for e in missing if (e in plan.added_for) is added_for]
        if rows:
            apply_upsert(rows, actor, added_for=rollout if added_for else None)
    ids = {p.external_id: p.id for p in plan.known_people.values()}
    for start in range(0, len(missing), CHUNK):
        ids.update({external_id: id_ for external_id, id_ in db.session.execute(
            select(Person.external_id, Person.id).where(Person.external_id.in_(missing[start:start + CHUNK])))})
    return ids


def _questionnaires(plan: Plan, rollout: Rollout, by: Any) -> dict[int, Questionnaire]:
    versions = {}
    for version, planned in sorted(plan.questionnaires.items()):
        questionnaire = Questionnaire(rollout_id=rollout.id, version=version, created_by_id=by(planned.created_by),
                                      created_at=planned.created_at or utcnow())
        for position, q in enumerate(planned.questions):
            questionnaire.questions.append(Question(
                code=q["code"], kind=q["kind"], prompt_sv=q["prompt"]["sv"], prompt_en=q["prompt"]["en"],
                options=q["options"], required=q["required"], position=position,
                min_value=q.get("min"), max_value=q.get("max")))
        db.session.add(questionnaire)
        versions[version] = questionnaire
    db.session.flush()
    return versions


def _wave(planned: PlannedWave, rollout: Rollout, versions: dict[int, Questionnaire], person_id: dict[str, int],
          by: Any, themes: dict[int, int], counts: dict[str, int], anonymous: bool) -> Wave:
    fields = dict(planned.fields)
    fields["created_at"] = fields["created_at"] or utcnow()
    questionnaire = versions[planned.version] if planned.version is not None else None
    wave = Wave(rollout_id=rollout.id, questionnaire_id=questionnaire.id if questionnaire else None, **fields)
    db.session.add(wave)
    db.session.flush()
    if planned.members:
        rows = [{"wave_id": wave.id, "person_id": person_id[external_id], "explicit": explicit,
                 "bucket": buckets.bucket(rollout.key, external_id), "added_at": added or wave.started_at or utcnow()}
                for external_id, explicit, added in planned.members]
        for start in range(0, len(rows), CHUNK):
            db.session.execute(insert(MEMBERSHIPS), rows[start:start + CHUNK])
    _responses(planned, wave, versions, person_id, anonymous)
    for problem in sorted(planned.problems, key=lambda p: p["source_id"] or 0):
        db.session.add(ProblemReport(wave_id=wave.id, person_id=person_id[problem["reporter"]] if problem["reporter"]
                                     else None, **{k: v for k, v in problem.items() if k not in ("source_id",
                                                                                                 "reporter")}))
    for decision in planned.decisions:
        db.session.add(Decision(wave_id=wave.id, decided_by_id=by(decision["decided_by"]),
                                **{k: v for k, v in decision.items() if k != "decided_by"}))
    _retrospective(planned, wave, by, themes)
    counts["waves"] += 1
    counts["members"] += len(planned.members)
    counts["responses"] += len(planned.responses)
    counts["problems"] += len(planned.problems)
    counts["decisions"] += len(planned.decisions)
    counts["themes"] += len(planned.themes)
    counts["cards"] += len(planned.cards)
    counts["votes"] += len(planned.dots)
    return wave


def _responses(planned: PlannedWave, wave: Wave, versions: dict[int, Questionnaire], person_id: dict[str, int],
               anonymous: bool) -> None:
    """The responses in their source order (by id; an anonymous rollout's in a new random one), each
    with this instance's respondent key, their answers, and the wave's tallies counted afresh."""
    responses = sorted(planned.responses, key=lambda r: r.source_id)
    if anonymous:
        responses = sorted(responses, key=lambda _r: secrets.token_bytes(8))
    rows = []
    for index, response in enumerate(responses):
        person = person_id[response.external_id] if response.external_id and not anonymous else None
        if response.pseudonymised or (anonymous and index < planned.pseudonymised):
            key = pseudonym()
        elif person is not None:
            key = feedback.respondent_key(wave.id, person)
        else:
            key = secrets.token_hex(32)  # like a keyed hash: nobody's, and unique
        rows.append({"wave_id": wave.id, "questionnaire_id": versions[response.version].id, "respondent_key": key,
                     "person_id": person, "language": response.language, "submitted_at": response.submitted_at,
                     "updated_at": response.updated_at, "edits": response.edits})
    for start in range(0, len(rows), CHUNK):
        ids = db.session.execute(insert(RESPONSES).returning(RESPONSES.c.id, sort_by_parameter_order=True),
                                 rows[start:start + CHUNK]).scalars().all()
        answers = [{"response_id": response_id, "wave_id": wave.id, **row._asdict()}
                   for response_id, response in zip(ids, responses[start:start + CHUNK], strict=True)
                   for row in response.answers]
        if answers:
            db.session.execute(insert(ANSWERS), answers)
    tallies.rebuild(wave.id)


def _retrospective(planned: PlannedWave, wave: Wave, by: Any, themes: dict[int, int]) -> None:
    """Themes and cards in the order of their source ids (the board breaks ties by id), then the dots."""
    for theme in sorted(planned.themes, key=lambda t: t["id"]):
        row = RetroTheme(wave_id=wave.id, title=theme["title"], created_by_id=by(theme["created_by"]),
                         created_at=theme["created_at"] or utcnow())
        db.session.add(row)
        db.session.flush()
        themes[theme["id"]] = row.id
    cards = {}
    for card in sorted(planned.cards, key=lambda c: c["id"]):
        made = RetroCard(wave_id=wave.id, kind=card["kind"], text=card["text"], votes=card["votes"],
                        theme_id=themes[card["theme"]] if card["theme"] is not None else None,
                        source=card["source"], author_id=by(card["author"]), created_at=card["created_at"] or utcnow())
        db.session.add(made)
        db.session.flush()
        cards[card["id"]] = made.id
    for dot in planned.dots:
        db.session.add(RetroVote(wave_id=wave.id, card_id=cards[dot["card"]], user_id=by(dot["user"]), slot=dot["slot"],
                                 created_at=dot["created_at"] or utcnow()))


def _lesson(planned: dict[str, Any], rollout: Rollout, waves: dict[int, Wave], themes: dict[int, int],
            users: dict[str, User], by: Any) -> None:
    source = None
    if planned["source"] is not None:  # the library lesson it was carried from, if this instance has it
        source = db.session.scalar(select(Lesson.id).join(Rollout, Rollout.id == Lesson.rollout_id).where(
            Rollout.key == planned["source"]["rollout"], Lesson.title == planned["source"]["title"]).limit(1))
    created = planned["created_at"] or utcnow()
    lesson = Lesson(rollout_id=rollout.id, theme_id=themes.get(planned["theme"]) if planned["theme"] else None,
                    source_lesson_id=source, status=planned["status"], status_reason=planned["status_reason"],
                    verification=planned["verification"], created_by_id=by(planned["created_by"]),
                    created_at=created, updated_at=planned["updated_at"] or created,
                    applied_at=planned["applied_at"], verified_at=planned["verified_at"], title="", action="")
    lesson.rollout = rollout
    db.session.add(lesson)

    def wave(number: Optional[int]) -> Optional[Wave]:
        return waves[number] if number is not None else None

    apply_fields(lesson, {"title": planned["title"], "action": planned["action"], "metric": planned["metric"],
                          "owner": users[planned["owner"]] if planned["owner"] else None,
                          "origin_wave": wave(planned["origin_wave"]), "target_wave": wave(planned["target_wave"]),
                          "tags": planned["tags"]})


def _links(rollout: Rollout, now: datetime) -> list[CollectingWave]:
    """New personal links for the members of the waves that take feedback or may again (the old
    links were the source's, and are never in an archive); none once the rollout is purged."""
    if rollout.purged_at is not None:
        return []
    collecting = []
    for wave in db.session.scalars(select(Wave).where(Wave.rollout_id == rollout.id).order_by(Wave.number)):
        if feedback.links_can_be_sent(wave):
            collecting.append(CollectingWave(wave.number, wave.state, feedback.create_links(wave, now)))
    return collecting
