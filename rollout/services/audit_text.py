"""The audit log in words: each entry as a sentence in the reader's language, and its details as
labelled values ("Percentage: none", "Cards: 3"), never as codes, keys or Python reprs.

A value is a list of pieces, (text, language): the language is None for the reader's own words
and a language code for what the team wrote (a name, a title, a reason), so that a page can mark
those with the rollout's language (WCAG 3.1.2)."""
from __future__ import annotations

from typing import Any, Callable, Optional

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import formatting
from ..languages import LANGUAGES, NATIVE_NAMES
from ..models import AuditEvent


def _wave(event: AuditEvent) -> str:
    return (event.subject or "").split("/")[0]


SENTENCES: dict[str, Callable[[AuditEvent], str]] = {
    "checkin.add": lambda e: _("Planned a check-in in wave %(n)s", n=_wave(e)),
    "checkin.update": lambda e: _("Changed a check-in in wave %(n)s", n=_wave(e)),
    "checkin.delete": lambda e: _("Deleted a check-in in wave %(n)s", n=_wave(e)),
    "gate.rollout": lambda e: _("Changed the rollout's gate criteria"),
    "gate.wave": lambda e: _("Changed the gate criteria of wave %(n)s", n=_wave(e)),
    "idea.decide": lambda e: _idea_decision(e),
    "job.cancel": lambda e: _("Cancelled background job %(id)s", id=e.subject),
    "lesson.create": lambda e: _("Wrote a lesson"),
    "lesson.update": lambda e: _("Changed a lesson"),
    "lesson.delete": lambda e: _("Deleted a lesson"),
    "link.renew": lambda e: _("Sent a new personal link in wave %(n)s", n=_wave(e)),
    "link.revoke": lambda e: _("Revoked a personal link"),
    "people.import": lambda e: _("Imported people from a CSV file"),
    "people.upsert": lambda e: _("Added or changed people through the API"),
    "person.create": lambda e: _("Added %(id)s to the people directory", id=e.subject),
    "person.update": lambda e: _("Changed %(id)s in the people directory", id=e.subject),
    "person.export": lambda e: _("Downloaded everything stored about %(id)s", id=e.subject),
    "person.erase": lambda e: _("Erased %(id)s", id=e.subject),
    "problem.triage": lambda e: _("Changed the status of problem report %(id)s", id=e.subject),
    "questionnaire.save": lambda e: _("Saved the questionnaire (%(version)s)", version=e.subject),
    "retention.texts": lambda e: _("Emptied the free texts, as the retention period says"),
    "retention.purge": lambda e: _("Deleted the rollout's personal data, as the retention period says"),
    "retention.ideas": lambda e: _("Erased the names and addresses of decided ideas, as their retention period says"),
    "retention.jobs": lambda e: _("Deleted finished background jobs, as their retention period says"),
    "retro.budget": lambda e: _("Set the number of votes per person"),
    "retro.card": lambda e: _("Added a card to the retrospective of wave %(n)s", n=_wave(e)),
    "retro.card_update": lambda e: _("Changed a card in the retrospective of wave %(n)s", n=_wave(e)),
    "retro.card_delete": lambda e: _("Deleted a card from the retrospective of wave %(n)s", n=_wave(e)),
    "retro.group": lambda e: _("Grouped cards in the retrospective of wave %(n)s", n=_wave(e)),
    "retro.theme": lambda e: _("Made a theme in the retrospective of wave %(n)s", n=_wave(e)),
    "retro.theme_update": lambda e: _("Renamed a theme in the retrospective of wave %(n)s", n=_wave(e)),
    "retro.theme_delete": lambda e: _("Deleted a theme in the retrospective of wave %(n)s", n=_wave(e)),
    "win.mark": lambda e: _("Shared a win of wave %(n)s with later waves", n=_wave(e)),
    "win.withdraw": lambda e: _("Withdrew a win of wave %(n)s", n=_wave(e)),
    "role.set": lambda e: _("Gave %(who)s a role in the team", who=e.subject),
    "role.remove": lambda e: _("Removed %(who)s from the team", who=e.subject),
    "rollout.create": lambda e: _("Created the rollout %(key)s", key=e.subject),
    "rollout.update": lambda e: _("Changed the rollout's settings"),
    "rollout.import": lambda e: _("Imported the rollout %(key)s from an archive", key=e.subject),
    "settings.retention": lambda e: _("Changed the organisation's retention periods"),
    "signin.paused": lambda e: _("Paused signing in after failed attempts (%(key)s)", key=e.subject),
    "token.create": lambda e: _("Created an API token for %(who)s", who=e.subject),
    "token.revoke": lambda e: _("Revoked an API token of %(who)s", who=e.subject),
    "unit.create": lambda e: _("Created the unit %(name)s", name=e.subject),
    "user.create": lambda e: _("Created the account %(who)s", who=e.subject),
    "user.activate": lambda e: _("Activated the account %(who)s", who=e.subject),
    "user.deactivate": lambda e: _("Deactivated the account %(who)s", who=e.subject),
    "user.password": lambda e: _("Set a new password for %(who)s", who=e.subject),
    "user.roles": lambda e: _("Changed the organisation roles of %(who)s", who=e.subject),
    "wave.create": lambda e: _("Planned wave %(n)s", n=_wave(e)),
    "wave.update": lambda e: _("Changed wave %(n)s", n=_wave(e)),
    "wave.transition": lambda e: _transition(e),
}

LABELS = {
    "admin": _l("Administrator"), "people_manager": _l("People manager"), "rollout_creator": _l("Rollout creator"),
    "council": _l("Council"), "into": _l("Merged into idea"), "supporters": _l("Supporters moved"),
    "ideas": _l("Ideas"), "supports": _l("Supports"),
    "before": _l("Before"), "after": _l("After"), "tokens_revoked": _l("API tokens revoked"),
    "name": _l("Name"), "prefix": _l("Beginning of the token"), "title": _l("Title"), "action": _l("What to do"),
    "status": _l("Status"), "reason": _l("Reason"), "owner": _l("Owner"), "metric": _l("Metric"),
    "origin_wave": _l("Learnt in wave"), "target_wave": _l("Target wave"), "tags": _l("Tags"),
    "person": _l("Person"), "links": _l("Links"), "source": _l("Source"), "created": _l("Added"),
    "updated": _l("Changed"), "rows": _l("Rows"), "for_rollout": _l("Imported for the rollout"),
    "failures": _l("Failed attempts"), "minutes": _l("Minutes"), "until": _l("Until"), "kind": _l("Kind"),
    "text": _l("Text"), "cards": _l("Cards"), "theme": _l("Theme"), "vote_budget": _l("Votes per person"),
    "role": _l("Role"), "key": _l("Key"), "description": _l("Description"), "anonymous": _l("Anonymous"),
    "anonymity_k": _l("Anonymity threshold"), "reminder_days": _l("Reminder days"),
    "retention_days": _l("Retention (days)"), "text_retention_days": _l("Free texts kept (days)"),
    "percentage": _l("Percentage"), "selection": _l("Who is in the wave"), "units": _l("Units"),
    "people": _l("People"), "attributes": _l("Attributes"), "planned_start": _l("Planned start"),
    "planned_end": _l("Planned end"), "feedback_days": _l("Feedback window (days)"),
    "auto_advance": _l("Advances by itself"), "from": _l("From"), "to": _l("To"), "decision": _l("Decision"),
    "rationale": _l("Why"), "note": _l("Note"), "questions": _l("Questions"), "lessons_targeted": _l("Lessons targeted"),
    "min_response_rate": _l("Minimum response rate"), "min_satisfied": _l("Minimum satisfied share"),
    "min_responses": _l("Minimum responses"), "max_open_blockers": _l("Open blockers at most"),
    "responses": _l("Responses"), "memberships": _l("Memberships"), "messages": _l("E-mails"),
    "members": _l("Members"), "job": _l("Background job"), "running": _l("Running when cancelled"),
    "cancelled": _l("Cancelled"), "language": _l("Language"), "jobs": _l("Background jobs"), "days": _l("Days"), "reports": _l("Problem reports"), "texts": _l("Free texts"), "problem_categories": _l("Problem categories"),
    "checkin_day": _l("Day of the check-in"), "checkin_texts": _l("Free texts of check-ins"),
    "checkin_responses": _l("Check-in responses"), "waves": _l("Waves"), "problems": _l("Problem reports"), "decisions": _l("Decisions"), "themes": _l("Themes"),
    "votes": _l("Votes"), "lessons": _l("Lessons"), "people_created": _l("People added"),
    "accounts_created": _l("Accounts added"), "password": _l("Has a password"),
}


def sentence(event: AuditEvent) -> str:
    """What happened, as a sentence in the reader's language."""
    describe = SENTENCES.get(event.action)
    return describe(event) if describe else _("Did something the log has no words for (%(action)s)",
                                               action=event.action)


# the details that hold what the team wrote, in the rollout's language
WRITTEN = {"name", "description", "title", "action", "reason", "text", "rationale", "note", "tags"}
Piece = tuple[str, Optional[str]]


def details(event: AuditEvent, language: Optional[str] = None) -> list[tuple[str, list[Piece]]]:
    """The details as (label, pieces) pairs, in words; `language` is that of the team's texts."""
    data = event.details or {}
    if not isinstance(data, dict):
        return [(_("Details"), [(value_text(data), None)])]
    return [(label_for(key), pieces(value, key, language)) for key, value in sorted(data.items())]


def pieces(value: Any, key: str, language: Optional[str]) -> list[Piece]:
    """A value as pieces of text: the team's words with their language, the reader's with None."""
    if value is None or value == "" or value == [] or value == {}:
        return [(_("none"), None)]
    if key == "problem_categories" and isinstance(value, list):
        return _joined([_category(item) for item in value], ", ")
    if isinstance(value, dict):
        return _joined([[(f"{label_for(k)}: ", None), *pieces(v, k, language)] for k, v in sorted(value.items())],
                       "; ")
    if isinstance(value, list) and key in WRITTEN:
        return _joined([[(str(item), language)] for item in value], ", ")
    if isinstance(value, str) and key in WRITTEN:
        return [(value, language)]
    return [(value_text(value, key), None)]


def _category(item: Any) -> list[Piece]:
    """A problem category as "printing: Utskrifter / Printing", each label in its language."""
    if not isinstance(item, dict):
        return [(value_text(item), None)]
    labels = [(str(item[code]), code) for code in LANGUAGES if item.get(code)]
    return [(f"{item.get('code', '')}: ", None), *_joined([[label] for label in labels], " / ")]


def _joined(parts: list[list[Piece]], separator: str) -> list[Piece]:
    joined: list[Piece] = []
    for i, part in enumerate(parts):
        joined.extend(([(separator, None)] if i else []) + part)
    return joined


def label_for(key: str) -> str:
    label = LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def value_text(value: Any, key: str = "") -> str:
    if value is None or value == "" or value == [] or value == {}:
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float)):
        if key.startswith("min_") and isinstance(value, float) and value <= 1:
            return formatting.decimal(100 * value, 0) + " %"
        return formatting.number(value)
    if isinstance(value, list):
        return ", ".join(value_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{label_for(k)}: {value_text(v, k)}" for k, v in sorted(value.items()))
    if key in ("from", "to"):
        from .waves import state_label
        return state_label(str(value))
    if key == "kind":
        from .jobs import KIND_LABELS as JOB_KINDS  # a background job's kind, or a retrospective card's
        from .retro import KIND_LABELS as CARD_KINDS
        for kinds in (JOB_KINDS, CARD_KINDS):
            if value in kinds:
                return str(kinds[str(value)])
    if key == "role":
        from .rollouts import ROLE_LABELS
        if value in ROLE_LABELS:
            return str(ROLE_LABELS[str(value)])
    if key == "language" and value in NATIVE_NAMES:
        return NATIVE_NAMES[str(value)]
    if key == "decision":
        return {"go": _("go"), "no_go": _("no go"), "extend": _("extend")}.get(str(value), str(value))
    return str(value)


def _transition(event: AuditEvent) -> str:
    data = event.details or {}
    if data.get("to"):
        from .waves import state_label
        return _("Moved wave %(n)s from “%(from)s” to “%(to)s”", n=_wave(event),
                 **{"from": state_label(str(data.get("from", ""))), "to": state_label(str(data["to"]))})
    return _("Recorded a decision on wave %(n)s", n=_wave(event))


def _idea_decision(event: AuditEvent) -> str:
    from .ideas import state_labels
    to = str((event.details or {}).get("to", ""))
    return _("Moved idea %(id)s to “%(to)s”", id=event.subject, to=state_labels().get(to, to))


def init_app(app: Flask) -> None:
    app.add_template_global(sentence, "audit_sentence")
    app.add_template_global(details, "audit_details")
