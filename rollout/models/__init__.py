"""The models, one module per aggregate."""
# DDL beside the models: the full-text search objects of the lessons table, and (PostgreSQL) the
# buckets counted by triggers, and the search objects of the ideas table
from . import counts, idea_search, search  # noqa: E402,F401
from .accounts import ROLES, ApiToken, RolloutRole, User
from .audit import AuditEvent
from .buckets import BUCKETS_KIND, Bucket
from .charts import CachedChart
from .checkins import CheckIn, CheckInAnswer, CheckInResponse
from .feedback import (
    PROBLEM_STATUSES,
    QUESTION_KINDS,
    SEVERITIES,
    Answer,
    AnswerTally,
    FeedbackLink,
    ProblemReport,
    Question,
    Questionnaire,
    Response,
)
from .gates import Decision
from .ideas import Idea, IdeaLimit, IdeaSupport
from .jobs import Job, JobFile, JobState
from .lessons import LESSON_STATUSES, Lesson, LessonTag
from .notifications import Notification
from .people import Person, Unit
from .retro import CARD_KINDS, RetroCard, RetroTheme, RetroVote
from .rollouts import DECISIONS, WAVE_STATES, Membership, Rollout, RolloutTag, Wave
from .settings import Setting
from .throttle import SignInThrottle
from .vocabularies import (
    CardKind,
    DecisionKind,
    LessonStatus,
    NotificationKind,
    NotificationStatus,
    ProblemStatus,
    QuestionKind,
    Role,
    Severity,
    Verdict,
    WaveState,
    WinSource,
)
from .wins import WIN_SOURCES, ShareConsent, Win


def include_name(*name: object) -> bool:
    """Alembic: what the models describe; the DDL-only objects (search, counts) are left out."""
    return (search.include_name(*name) and counts.include_name(*name)  # type: ignore[arg-type]
            and idea_search.include_name(*name))  # type: ignore[arg-type]


__all__ = [
    "ROLES", "ApiToken", "RolloutRole", "User", "AuditEvent", "Bucket", "Person", "Unit",
    "DECISIONS", "WAVE_STATES", "Membership", "Rollout", "Wave", "PROBLEM_STATUSES", "QUESTION_KINDS", "SEVERITIES",
    "Answer", "AnswerTally", "FeedbackLink", "ProblemReport", "Question", "Questionnaire", "Response", "Notification", "Decision",
    "LESSON_STATUSES", "Lesson", "LessonTag", "CARD_KINDS", "RetroCard", "RetroTheme", "RetroVote", "RolloutTag", "Setting",
    "SignInThrottle", "CachedChart", "CheckIn", "CheckInAnswer", "CheckInResponse", "Idea", "IdeaLimit", "IdeaSupport",
    "Job", "JobFile", "JobState", "BUCKETS_KIND",
    "CardKind", "DecisionKind", "LessonStatus", "NotificationKind", "NotificationStatus", "ProblemStatus",
    "QuestionKind", "Role", "Severity", "Verdict", "WaveState",
    "WIN_SOURCES", "ShareConsent", "Win", "WinSource",
]
