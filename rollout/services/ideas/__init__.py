"""Ideas from the floor (issue 14): anyone sends one without an account, the council triages
them, and the accepted ones become rollouts or lessons. See the modules for each part."""
from .privacy import erase_for, erasure_counts, export_for, purge_due, retention_days
from .reading import (
    SHARED_UNITS,
    SharedNeed,
    UnitGroup,
    as_dict,
    board,
    by_unit,
    done_in,
    list_ideas,
    public_dict,
    shared_needs,
)
from .submitting import (
    IDEAS_PER_HOUR,
    OPEN_TO_SUPPORT,
    Similar,
    TooManyIdeas,
    clean_idea,
    get_public_idea,
    similar,
    submit,
    support,
    supporters_of,
)
from .triage import (
    DECISIONS,
    can_triage,
    check_decision,
    decide,
    get_idea,
    idea_of_lesson,
    idea_of_rollout,
    queue_decision_emails,
    recipients,
    require_council,
    state_labels,
)

__all__ = [
    "erase_for", "erasure_counts", "export_for", "purge_due", "retention_days", "SHARED_UNITS", "SharedNeed", "UnitGroup", "as_dict",
    "board", "by_unit", "done_in", "list_ideas", "public_dict", "shared_needs", "IDEAS_PER_HOUR", "OPEN_TO_SUPPORT",
    "Similar", "TooManyIdeas", "clean_idea", "get_public_idea", "similar", "submit", "support", "supporters_of",
    "DECISIONS", "check_decision", "can_triage", "decide", "get_idea", "idea_of_lesson", "idea_of_rollout", "queue_decision_emails",
    "recipients", "require_council", "state_labels",
]
