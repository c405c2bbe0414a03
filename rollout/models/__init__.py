"""The models, one module per aggregate."""
from .accounts import ROLES, ApiToken, RolloutRole, User
from .audit import AuditEvent
from .feedback import (
                       PROBLEM_STATUSES,
                       QUESTION_KINDS,
                       SEVERITIES,
                       Answer,
                       FeedbackLink,
                       ProblemReport,
                       Question,
                       Questionnaire,
                       Response,
)
from .gates import Decision
from .notifications import Notification
from .people import Person, Unit
from .rollouts import DECISIONS, WAVE_STATES, Membership, Rollout, Wave

__all__ = [
    "ROLES", "ApiToken", "RolloutRole", "User", "AuditEvent", "Person", "Unit",
    "DECISIONS", "WAVE_STATES", "Membership", "Rollout", "Wave", "PROBLEM_STATUSES", "QUESTION_KINDS", "SEVERITIES",
    "Answer", "FeedbackLink", "ProblemReport", "Question", "Questionnaire", "Response", "Notification", "Decision",
]
