"""Rollouts and the team around each one (leads and reviewers)."""
from __future__ import annotations

import re
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..languages import LANGUAGES
from ..models import ROLES, Role, Rollout, RolloutRole, User, Wave
from ..models.vocabularies import labelled
from . import audit, bucket_jobs, lessons, questionnaires, settings
from .accounts import require_lead, require_rollout_creator, require_view
from .errors import FieldErrors, NotFound, ValidationFailed
from .paging import page_of
from .retro.dot_votes import VOTE_BUDGET
from .validation import Limit, text_problem

MAX_KEY, MAX_NAME = 64, 200  # characters of a rollout's key and name
KEY = re.compile(rf"^[a-z0-9](?:[a-z0-9-]{{0,{MAX_KEY - 2}}}[a-z0-9])?$")
# a reminder this many days before the feedback window closes; the smallest group results show
REMINDER_DAYS = Limit(0, 30, _l("Give a number of days from 0 to 30."))
ANONYMITY_K = Limit(2, 50, _l("Give a whole number from 2 to 50."))
# a role in a rollout's team, in words (the form, the audit log)
ROLE_LABELS = labelled(Role, {"lead": _l("Lead"), "reviewer": _l("Reviewer")})


def _validate(data: dict, problems: FieldErrors, *, rollout: Optional[Rollout] = None) -> dict:
    key = str(data.get("key") or "").strip() if rollout is None else rollout.key
    name = str(data.get("name") or "").strip()
    description = str(data.get("description") or "").strip()
    anonymous = data.get("anonymous", rollout.anonymous if rollout else False)
    language = data.get("language")
    if language is None:  # not given: as it was (a new rollout is Swedish)
        language = rollout.language if rollout else "sv"
    if rollout is None:
        if not key:
            problems.add("key", _("A key is required."))
        elif not KEY.match(key):
            problems.add("key", _("Use lower-case letters, digits and hyphens (2-64 characters, e.g. win11-2027)."))
        elif db.session.scalar(select(Rollout.id).where(Rollout.key == key)):
            problems.add("key", _("Another rollout already has this key."))
    if not name:
        problems.add("name", _("A name is required."))
    elif reason := text_problem(name, MAX_NAME):
        problems.add("name", reason)
    if reason := text_problem(description.replace("\t", " "), 10000):
        problems.add("description", reason)
    if not isinstance(anonymous, bool):
        problems.add("anonymous", _("Must be true or false."))
    if language not in LANGUAGES:
        problems.add("language", _("Choose Swedish (sv) or English (en)."))
    reminder_days = REMINDER_DAYS.take(data.get("reminder_days", rollout.reminder_days if rollout else 2))
    if reminder_days is None:
        problems.add("reminder_days", str(REMINDER_DAYS.message))
    anonymity_k = ANONYMITY_K.take(data.get("anonymity_k", rollout.anonymity_k if rollout else 5))
    if anonymity_k is None:
        problems.add("anonymity_k", str(ANONYMITY_K.message))
    if "problem_categories" in data:
        categories = questionnaires.clean_categories(data["problem_categories"], problems)
    else:
        categories = questionnaires.categories(rollout) if rollout else questionnaires.DEFAULT_CATEGORIES
    vote_budget = VOTE_BUDGET.take(data.get("vote_budget", rollout.vote_budget if rollout else 5))
    if vote_budget is None:
        problems.add("vote_budget", str(VOTE_BUDGET.message))
    if "tags" in data:
        tags = lessons.clean_tags(data["tags"], problems)
    else:
        tags = rollout.tags if rollout else []
    # empty: the organisation's default (rollout.services.settings)
    retention_days, text_retention_days = settings.clean_retention(
        data.get("retention_days", rollout.retention_days if rollout else None),
        data.get("text_retention_days", rollout.text_retention_days if rollout else None),
        problems, default_allowed=True)
    return {"key": key, "name": name, "description": description, "language": language, "anonymous": anonymous,
            "reminder_days": reminder_days, "anonymity_k": anonymity_k, "problem_categories": categories,
            "vote_budget": vote_budget, "tags": tags, "retention_days": retention_days,
            "text_retention_days": text_retention_days}


def check_new_settings(data: dict, problems: FieldErrors) -> dict:
    """A new rollout's settings checked and cleaned as create_rollout checks them (the key free,
    name, anonymity, categories, vote budget, tags, retention), what is wrong noted in `problems`."""
    return _validate(data, problems)


def create_rollout(data: dict, actor: Optional[User]) -> Rollout:
    """Admins and rollout creators may plan a rollout; its creator becomes its first lead. Its
    people's buckets are stored with it, or, when there are more than BUCKETS_SYNC_MAX people, by
    a job committed with it (rollout.sorting_jobs; services/bucket_jobs.py)."""
    require_rollout_creator(actor)
    problems = FieldErrors()
    clean = _validate(data, problems)
    problems.raise_if_any(_("The rollout could not be created."))
    tags = clean.pop("tags")
    rollout = Rollout(created_by_id=actor.id if actor else None, **clean)
    lessons.set_rollout_tags(rollout, tags)
    db.session.add(rollout)
    db.session.flush()
    if actor is not None:
        db.session.add(RolloutRole(rollout_id=rollout.id, user_id=actor.id, role="lead"))
    questionnaires.current(rollout)  # the default questions, version 1
    bucket_jobs.fill(rollout, actor)  # everyone's bucket, once; later people are added before a preview or start
    audit.record(actor, "rollout.create", rollout=rollout, subject=rollout.key, details={**clean, "tags": tags})
    db.session.commit()
    return rollout


def update_rollout(rollout: Rollout, data: dict, actor: Optional[User]) -> Rollout:
    require_lead(actor, rollout)
    problems = FieldErrors()
    clean = _validate(data, problems, rollout=rollout)
    collected = any(w.feedback_opened_at for w in rollout.waves)
    if clean["anonymous"] != rollout.anonymous and collected:
        problems.add("anonymous", _("Anonymity cannot change once feedback has been collected."))
    if rollout.anonymous and collected and (clean["anonymity_k"] or 0) < rollout.anonymity_k:
        # a smaller group size would show answers that were given under the promise of the larger one
        problems.add("anonymity_k", _("The smallest group shown cannot be lowered once feedback has been "
                                      "collected."))
    problems.raise_if_any(_("The rollout could not be saved."))
    changes = {k: v for k, v in clean.items() if k != "key" and getattr(rollout, k) != v}
    for name, value in changes.items():
        if name == "tags":
            lessons.set_rollout_tags(rollout, value)
        else:
            setattr(rollout, name, value)
    audit.record(actor, "rollout.update", rollout=rollout, subject=rollout.key, details=changes)
    db.session.commit()
    return rollout


def get_rollout(key: str, actor: Optional[User], *, with_waves: bool = False) -> Rollout:
    """The rollout the actor may see (NotFound otherwise); `with_waves` reads its waves in the same
    statement, for a hot path that needs them at once (a chart)."""
    query = select(Rollout).where(Rollout.key == key)
    if with_waves:
        query = query.options(joinedload(Rollout.waves))
    rollout = db.session.scalars(query).unique().first()
    if rollout is None:
        raise NotFound(_("No such rollout."))
    require_view(actor, rollout)
    return rollout


def list_rollouts(actor: User, page: int = 1, per_page: int = 50) -> tuple[list[Rollout], int]:
    query = select(Rollout)
    if not actor.is_admin:
        query = query.join(RolloutRole).where(RolloutRole.user_id == actor.id)
    # the jobs sorting people into buckets too: the API shows them (buckets_job), one query a page
    return page_of(query.options(selectinload(Rollout.tag_rows), selectinload(Rollout.waves),
                                 selectinload(Rollout.sorting_jobs))
                   .order_by(Rollout.created_at.desc(), Rollout.id.desc()), page, per_page)


def wave_counts(rollouts: list[Rollout]) -> dict[int, dict[str, int]]:
    """Per rollout, how many waves are in each state (one query)."""
    counts: dict[int, dict[str, int]] = {r.id: {} for r in rollouts}
    if rollouts:
        for rollout_id, state, count in db.session.execute(
            select(Wave.rollout_id, Wave.state, func.count()).where(Wave.rollout_id.in_(counts))
            .group_by(Wave.rollout_id, Wave.state)
        ):
            counts[rollout_id][state] = count
    return counts


def team(rollout: Rollout) -> list[RolloutRole]:
    return list(db.session.scalars(
        select(RolloutRole).join(User).where(RolloutRole.rollout_id == rollout.id).order_by(RolloutRole.role, User.name)
    ))


def set_role(rollout: Rollout, email: str, role: str, actor: Optional[User]) -> RolloutRole:
    require_lead(actor, rollout)
    problems = FieldErrors()
    if role not in ROLES:
        problems.add("role", _("Choose lead or reviewer."))
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        problems.add("email", _("No user has this e-mail address; an administrator creates accounts."))
    problems.raise_if_any(_("The role could not be given."))
    assert user is not None  # or a problem was noted
    existing = db.session.scalar(select(RolloutRole).where(RolloutRole.rollout_id == rollout.id,
                                                           RolloutRole.user_id == user.id))
    if existing is None:
        existing = RolloutRole(rollout_id=rollout.id, user_id=user.id, role=role)
        db.session.add(existing)
    else:
        _keep_a_lead(rollout, existing, role)
        existing.role = role
    audit.record(actor, "role.set", rollout=rollout, subject=user.email, details={"role": role})
    db.session.commit()
    return existing


def _keep_a_lead(rollout: Rollout, changing: RolloutRole, new_role: Optional[str]) -> None:
    if changing.role != "lead" or new_role == "lead":
        return
    leads = db.session.scalar(select(func.count()).select_from(RolloutRole).where(
        RolloutRole.rollout_id == rollout.id, RolloutRole.role == "lead")) or 0
    if leads <= 1:
        raise ValidationFailed(_("A rollout needs at least one lead."),
                               [{"field": "role", "message": _("A rollout needs at least one lead.")}])


def remove_role(rollout: Rollout, role_id: int, actor: Optional[User]) -> None:
    require_lead(actor, rollout)
    role = db.session.get(RolloutRole, role_id)
    if role is None or role.rollout_id != rollout.id:
        raise NotFound(_("No such team member."))
    _keep_a_lead(rollout, role, None)
    email = role.user.email
    db.session.delete(role)
    audit.record(actor, "role.remove", rollout=rollout, subject=email)
    db.session.commit()


