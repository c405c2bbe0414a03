"""The participant's side: personal links, invitations and reminders,
responses (one per person and wave), and problem reports; and the lead's
triage of those reports. Also "you said, we did": what a participant is shown
of the lessons applied before their wave.

Its parts: `keys` (the tokens and keyed hashes), `links` (links, invitations,
reminders and "you said, we did"), `responses` (what a link opens and the
answers given through it) and `problems` (the reports and their triage).
Callers use the names from here (`feedback.submit(...)`); a test that patches
a name patches it in the part that uses it.
"""
from __future__ import annotations

from .keys import keyed_hash, respondent_key
from .links import (
    REMINDER_AFTER,
    DoneLesson,
    SaidAndDone,
    answered_among,
    create_links,
    invitations_missing,
    link_url,
    links_can_be_sent,
    links_of,
    new_link,
    open_feedback,
    queue_invitations,
    queue_reminders,
    reminders_due,
    revoke_link,
    said_and_done,
)
from .problems import (
    SEVERITY_LABELS,
    STATUS_LABELS,
    get_problem,
    list_problems,
    open_blockers,
    report_problem,
    reporters_of,
    triage,
)
from .responses import (
    MAX_TEXT,
    REPORTING_STATES,
    SCALES,
    FeedbackClosed,
    LinkNotValid,
    Receipt,
    Visit,
    current_answers,
    has_response,
    start_of_day,
    submit,
    touch,
    validate_answers,
    visit,
)

__all__ = [
    "keyed_hash", "respondent_key",
    "REMINDER_AFTER", "DoneLesson", "answered_among", "create_links", "links_can_be_sent", "links_of", "SaidAndDone", "invitations_missing", "link_url", "new_link", "open_feedback",
    "queue_invitations", "queue_reminders", "reminders_due", "revoke_link", "said_and_done",
    "SEVERITY_LABELS", "STATUS_LABELS", "get_problem", "list_problems", "open_blockers", "reporters_of", "report_problem",
    "triage",
    "MAX_TEXT", "REPORTING_STATES", "SCALES", "FeedbackClosed", "LinkNotValid", "Receipt", "Visit", "current_answers",
    "has_response", "start_of_day", "submit", "touch", "validate_answers", "visit",
]
