"""The council's triage of ideas from the floor, and the e-mails it sends.

    new -> under_review -> accepted | declined | merged

Accepted, an idea becomes a draft rollout (a key and a name; the council member who accepts it
is its first lead, as a rollout creator is of theirs) or a lesson of an existing rollout; both
link back to the idea. Declined needs a reason; merged names another idea, which takes over the
supporters (and the proposer, as a supporter). Each decision e-mails the proposer and every
supporter once, in their own language, through the exactly-once queue (key
"idea_decision:<idea>:<state>:<address>")."""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Idea, IdeaSupport, Lesson, Rollout, RolloutRole, User
from ...models.types import utcnow
from ...models.vocabularies import IdeaState, NotificationKind
from .. import audit, notify, rollouts
from ..errors import FieldErrors, GuardFailed, NotAllowed, NotFound, ValidationFailed
from ..validation import MAX_ID, text_problem
from .submitting import OPEN_TO_SUPPORT

MAX_REASON = 2000
MAX_LESSON_TITLE = 200
# what each decision needs the idea to be in
FROM = {
    IdeaState.UNDER_REVIEW: (IdeaState.NEW,),
    IdeaState.ACCEPTED: (IdeaState.UNDER_REVIEW,),
    IdeaState.DECLINED: (IdeaState.UNDER_REVIEW,),
    IdeaState.MERGED: (IdeaState.UNDER_REVIEW,),
}
DECISIONS = ("review", "accept_rollout", "accept_lesson", "decline", "merge")


def can_triage(user: Optional[User]) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", True)) and bool(
        user.is_admin or user.is_council)


def require_council(user: Optional[User]) -> None:
    """The council (and admins, and the system) triage ideas; nobody else reads them with names."""
    if user is not None and not can_triage(user):
        raise NotAllowed(_("Only the council and administrators may do this."))


def state_labels() -> dict[str, str]:
    return {IdeaState.NEW: _("New"), IdeaState.UNDER_REVIEW: _("Under review"), IdeaState.ACCEPTED: _("Accepted"),
            IdeaState.DECLINED: _("Declined"), IdeaState.MERGED: _("Merged into another idea")}


def _guard(idea: Idea, to: IdeaState) -> None:
    if idea.state in FROM[to]:
        return
    labels = state_labels()
    if idea.state == IdeaState.NEW:
        message = _("Take the idea under review first.")
    elif to == IdeaState.UNDER_REVIEW and idea.state == IdeaState.UNDER_REVIEW:
        message = _("The idea is already under review.")
    else:
        message = _("The idea is already decided (%(state)s).", state=labels[idea.state].lower())
    raise GuardFailed(f"idea_{idea.state}", message, {"from": str(idea.state), "to": str(to)})


TO = {"review": IdeaState.UNDER_REVIEW, "accept_rollout": IdeaState.ACCEPTED, "accept_lesson": IdeaState.ACCEPTED,
      "decline": IdeaState.DECLINED, "merge": IdeaState.MERGED}


def check_decision(idea: Idea, decision: str, data: Any) -> dict[str, Any]:
    """The guard and the fields of a decision, checked without changing anything (GuardFailed,
    ValidationFailed); what the decision takes, cleaned."""
    data = data if isinstance(data, dict) else {}
    if decision not in DECISIONS:
        raise ValidationFailed(_("The decision could not be recorded."), [{"field": "decision", "message": _(
            "Choose one of: %(decisions)s.", decisions=", ".join(DECISIONS))}])
    _guard(idea, TO[decision])
    problems = FieldErrors()
    clean: dict[str, Any] = {}
    if decision == "decline":
        clean["reason"] = data.get("reason").strip() if isinstance(data.get("reason"), str) else ""
        if not clean["reason"]:
            problems.add("reason", _("Say why the idea is declined: the proposer reads it."))
        elif reason := text_problem(clean["reason"], MAX_REASON):
            problems.add("reason", reason)
    elif decision == "merge":
        into = data.get("into")
        target = db.session.get(Idea, into) if isinstance(into, int) and 1 <= into <= MAX_ID else None
        if target is None:
            problems.add("into", _("Choose the idea to merge this one into."))
        elif target.id == idea.id:
            problems.add("into", _("An idea cannot be merged into itself."))
        elif target.state not in OPEN_TO_SUPPORT:
            problems.add("into", _("That idea is %(state)s: merge into one that is new, under review or accepted.",
                                   state=state_labels()[target.state].lower()))
        clean["into"] = target
    elif decision == "accept_rollout":
        for name, missing in (("key", _("A key is required.")), ("name", _("A name is required."))):
            clean[name] = data.get(name).strip() if isinstance(data.get(name), str) else ""
            if not clean[name]:
                problems.add(name, missing)
        if clean["key"] and not rollouts.KEY.match(clean["key"]):
            problems.add("key", _("Use lower-case letters, digits and hyphens (2-64 characters, e.g. win11-2027)."))
    elif decision == "accept_lesson":
        key = data.get("rollout")
        clean["rollout"] = db.session.scalar(select(Rollout).where(Rollout.key == key)) \
            if isinstance(key, str) and key else None
        if clean["rollout"] is None:
            problems.add("rollout", _("Choose the rollout the lesson belongs to."))
        title = data.get("title").strip() if isinstance(data.get("title"), str) else ""
        clean["title"] = title or " ".join(idea.idea.split())[:MAX_LESSON_TITLE]
        if reason := text_problem(clean["title"], MAX_LESSON_TITLE):
            problems.add("title", reason)
    problems.raise_if_any(_("The decision could not be recorded."))
    return clean


def decide(idea: Idea, decision: str, data: Any, actor: Optional[User]) -> Idea:
    """One decision of the council on `idea` (DECISIONS), with what it needs in `data`:
    accept_rollout: key and name; accept_lesson: rollout (a key) and optionally title;
    decline: reason; merge: into (an idea's id)."""
    require_council(actor)
    clean = check_decision(idea, decision, data)
    if decision == "review":
        return _record(idea, IdeaState.UNDER_REVIEW, actor, {})
    if decision == "decline":
        idea.reason = clean["reason"]
        return _record(idea, IdeaState.DECLINED, actor, {"reason": clean["reason"]})
    if decision == "merge":
        return _merge(idea, clean["into"], actor)
    if decision == "accept_rollout":
        return _accept_into_rollout(idea, clean, actor)
    return _accept_into_lesson(idea, clean, actor)


def _record(idea: Idea, state: IdeaState, actor: Optional[User], details: dict, *,
            rollout: Optional[Rollout] = None) -> Idea:
    """The decision stored, audited and e-mailed to the proposer and the supporters, in one commit."""
    before = idea.state
    idea.state, idea.updated_at = state, utcnow()
    if state != IdeaState.UNDER_REVIEW:
        idea.decided_at, idea.decided_by_id = utcnow(), actor.id if actor else None
    audit.record(actor, "idea.decide", rollout=rollout, subject=str(idea.id),
                 details={"from": str(before), "to": str(state), **details})
    keys = queue_decision_emails(idea)
    db.session.commit()
    notify.deliver_pending(keys=keys)
    return idea


def recipients(idea: Idea) -> list[tuple[str, str, str]]:
    """(e-mail, name, language) of the proposer and every supporter, each address once."""
    people: dict[str, tuple[str, str, str]] = {}
    if idea.email:
        people[idea.email] = (idea.email, idea.name, idea.language)
    for support in db.session.scalars(select(IdeaSupport).where(IdeaSupport.idea_id == idea.id)
                                      .order_by(IdeaSupport.id)):
        if support.email and support.email not in people:
            people[support.email] = (support.email, support.name, support.language)
    return list(people.values())


def queue_decision_emails(idea: Idea, people: Optional[list[tuple[str, str, str]]] = None) -> list[str]:
    """The decision's message to each of `people` (the idea's recipients), queued once each."""
    keys = []
    for email, name, language in people if people is not None else recipients(idea):
        key = f"idea_decision:{idea.id}:{idea.state}:{email}"[:200]
        notify.queue(NotificationKind.IDEA_DECISION, key, email, language, "idea_decision", idea=idea,
                     name=name, url=notify.public_url("/ideas/new" + ("?lang=en" if language == "en" else "")))
        keys.append(key)
    return keys


def _merge(idea: Idea, target: Idea, actor: Optional[User]) -> Idea:
    people = recipients(idea)  # told of the merge, before they move
    present = {email for (email,) in db.session.execute(select(IdeaSupport.email).where(
        IdeaSupport.idea_id == target.id))} | {target.email}
    moved = 0
    for support in db.session.scalars(select(IdeaSupport).where(IdeaSupport.idea_id == idea.id)).all():
        if support.email and support.email not in present:
            support.idea_id = target.id
            present.add(support.email)
            moved += 1
        else:
            db.session.delete(support)
    if idea.email and idea.email not in present:  # the proposer supports the idea theirs was merged into
        db.session.add(IdeaSupport(idea_id=target.id, email=idea.email, name=idea.name, language=idea.language,
                                   unit_name=idea.unit_label))
        moved += 1
    target.supporters += moved
    idea.supporters = 0
    idea.merged_into_id = target.id
    db.session.flush()
    before = idea.state
    idea.state, idea.updated_at, idea.decided_at = IdeaState.MERGED, utcnow(), utcnow()
    idea.decided_by_id = actor.id if actor else None
    audit.record(actor, "idea.decide", subject=str(idea.id),
                 details={"from": str(before), "to": "merged", "into": target.id, "supporters": moved})
    keys = queue_decision_emails(idea, people)
    db.session.commit()
    notify.deliver_pending(keys=keys)
    return idea


def _accept_into_rollout(idea: Idea, data: dict, actor: Optional[User]) -> Idea:
    """A draft rollout (no waves yet) made of the idea; the council member is its first lead."""
    description = f"{idea.problem}\n\n{idea.idea}"[:10000]
    rollout = rollouts.create_rollout({"key": data["key"], "name": data["name"],
                                       "description": description, "language": idea.language}, None)
    if actor is not None:
        rollout.created_by_id = actor.id
        db.session.add(RolloutRole(rollout_id=rollout.id, user_id=actor.id, role="lead"))
    idea.rollout_id = rollout.id
    return _record(idea, IdeaState.ACCEPTED, actor, {"key": rollout.key}, rollout=rollout)


def _accept_into_lesson(idea: Idea, data: dict, actor: Optional[User]) -> Idea:
    """A lesson (open) of an existing rollout, made of the idea: its title given or the idea's
    first words, its action the idea."""
    from .. import lessons
    rollout, title = data["rollout"], data["title"]
    lesson = lessons.create_lesson(rollout, {"title": title, "action": idea.idea}, None)
    idea.lesson_id = lesson.id
    return _record(idea, IdeaState.ACCEPTED, actor, {"key": rollout.key, "title": title}, rollout=rollout)


def idea_of_lesson(lesson: Lesson) -> Optional[Idea]:
    return db.session.scalar(select(Idea).where(Idea.lesson_id == lesson.id).limit(1))


def idea_of_rollout(rollout: Rollout) -> Optional[Idea]:
    return db.session.scalar(select(Idea).where(Idea.rollout_id == rollout.id).limit(1))


def get_idea(idea_id: object, actor: Optional[User]) -> Idea:
    require_council(actor)
    idea = db.session.get(Idea, idea_id) if isinstance(idea_id, int) and 1 <= idea_id <= MAX_ID else None
    if idea is None:
        raise NotFound(_("No such idea."))
    return idea
