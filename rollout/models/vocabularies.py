"""The string vocabularies of the models, one StrEnum each: the CHECK constraints, the
services' checks, the forms' choices and the labels all take them from here.

A member is its string (`WaveState.REVIEW == "review"`), so stored values, JSON and
templates see the same text as before. `one_of` writes the CHECK constraint of a
column in the same words the migrations created it with, so no migration follows
from a vocabulary kept here (tests/test_vocabularies.py checks both agree).
"""
from __future__ import annotations

from enum import StrEnum


class WaveState(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    FEEDBACK = "feedback"
    REVIEW = "review"
    DONE = "done"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class DecisionKind(StrEnum):
    """What the team decides after a wave's review."""

    GO = "go"
    NO_GO = "no_go"
    EXTEND = "extend"


class Verdict(StrEnum):
    """What the gate's criteria say, beside the decision."""

    GO = "go"
    NO_GO = "no_go"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


class Role(StrEnum):
    """A user's role in one rollout."""

    LEAD = "lead"
    REVIEWER = "reviewer"


class QuestionKind(StrEnum):
    RATING = "rating"
    NPS = "nps"
    CHOICE = "choice"
    MULTI = "multi"
    YES_NO = "yes_no"
    NUMBER = "number"
    TEXT = "text"


class Severity(StrEnum):
    BLOCKER = "blocker"
    MAJOR = "major"
    MINOR = "minor"


class ProblemStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class CardKind(StrEnum):
    WENT_WELL = "went_well"
    BETTER = "better"
    CELEBRATE = "celebrate"
    IDEA = "idea"


class WinSource(StrEnum):
    """What a win was made of: a participant's free-text answer, or a retrospective card."""

    ANSWER = "answer"
    CARD = "card"


class LessonStatus(StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    APPLIED = "applied"
    VERIFIED_EFFECTIVE = "verified_effective"
    VERIFIED_INEFFECTIVE = "verified_ineffective"
    DEFERRED = "deferred"
    DROPPED = "dropped"


class NotificationKind(StrEnum):
    """Every kind of e-mail message; each has its templates in templates/email/<kind>.*"""

    INVITATION = "invitation"
    REMINDER = "reminder"
    NEW_LINK = "new_link"
    BLOCKER = "blocker"
    LESSON_OWNER = "lesson_owner"
    CHECKIN = "checkin"
    IDEA_DECISION = "idea_decision"


class IdeaState(StrEnum):
    """Where an idea from the floor stands with the council (services/ideas)."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"


class IdeaReach(StrEnum):
    """How many people the proposer thinks the problem affects."""

    JUST_ME = "just_me"
    UP_TO_10 = "up_to_10"
    UP_TO_50 = "up_to_50"
    UP_TO_200 = "up_to_200"
    MORE = "more"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    OUTBOX = "outbox"
    FAILED = "failed"


def one_of(column: str, vocabulary: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint that keeps `column` within the vocabulary:
    "state IN ('planned', 'active', ...)", in the members' order."""
    return f"{column} IN ({', '.join(repr(str(member)) for member in vocabulary)})"


def labelled(vocabulary: type[StrEnum], labels: dict) -> dict:
    """`labels` in the vocabulary's order, checked to name every member and nothing else: a
    member added without a label, or a label left for a member gone, fails at once."""
    if set(labels) != set(vocabulary):
        raise ValueError(f"the labels of {vocabulary.__name__} do not match it: {sorted(labels)}")
    return {member: labels[member] for member in vocabulary}
