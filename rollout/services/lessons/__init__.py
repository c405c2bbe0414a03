"""Lessons: raised in a wave's retrospective (from a theme or written
directly), owned by someone on the team, targeted at a later wave, applied
before that wave starts, and verified against their metric once it has run.
Also the lesson library across all rollouts: full-text search, tags, and
suggestions for a rollout being planned.

    open -> planned -> applied -> verified_effective | verified_ineffective
    open | planned -> deferred | dropped (with a reason)

The guard of the wave flow lives here (`pending_for`): a wave cannot start
while a lesson targeted at it is still open or planned.

Its parts: `statuses` (the vocabulary of where a lesson stands), `reading`
(lessons and how they stand towards the waves), `fields` (checking and
setting a lesson's fields, tags), `lifecycle` (create, change, move, verify,
delete) and `across_rollouts` (the library). Callers use the names from here
(`lessons.create_lesson(...)`).
"""
from __future__ import annotations

from .across_rollouts import (
    LIBRARY_FIELDS,
    SUGGESTION_ORDER,
    carry,
    library,
    library_dicts,
    library_lesson,
    library_tags,
    suggestions,
    viewable_rollouts,
)
from .fields import MAX_TAG, MAX_TAGS, changed_fields, clean_tags, field_values, set_rollout_tags
from .lifecycle import create_lesson, delete_lesson, target_waiting, update_lesson, verification, verify
from .reading import (
    Provenance,
    ThemeContext,
    applied_before,
    as_dict,
    can_target,
    chart_counts,
    default_origin,
    default_target_wave,
    for_rollout,
    get_lesson,
    next_unstarted_wave,
    next_wave,
    not_ready_for_next,
    pending_for,
    provenance,
    require_team,
    theme_context,
    verifiable_in,
)
from .statuses import (
    BLOCKING,
    DONE_FOR_THE_WAVE,
    NEEDS_REASON,
    TRANSITIONS,
    VERIFIABLE_WAVE_STATES,
    VERIFIED,
    VERIFY_OUTCOMES,
    status_label,
)

__all__ = [
    "LIBRARY_FIELDS", "SUGGESTION_ORDER", "carry", "library", "library_dicts", "library_lesson", "library_tags",
    "suggestions", "viewable_rollouts",
    "MAX_TAG", "MAX_TAGS", "changed_fields", "clean_tags", "field_values", "set_rollout_tags",
    "create_lesson", "delete_lesson", "target_waiting", "update_lesson", "verification", "verify",
    "Provenance", "ThemeContext", "applied_before", "as_dict", "can_target", "chart_counts", "default_origin",
    "default_target_wave", "for_rollout", "get_lesson", "next_unstarted_wave", "next_wave", "not_ready_for_next",
    "pending_for", "provenance", "require_team", "theme_context", "verifiable_in",
    "BLOCKING", "DONE_FOR_THE_WAVE", "NEEDS_REASON", "TRANSITIONS", "VERIFIABLE_WAVE_STATES", "VERIFIED",
    "VERIFY_OUTCOMES", "status_label",
]
