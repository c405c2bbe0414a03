"""A wave's retrospective: the evidence it opens with (the wave's free-text
answers, its top problems, what changed since the previous wave, the lessons
that targeted it), the team's cards, themes and dot votes, and its Markdown
export.

The retrospective is open from the moment the wave collects feedback; the
review team (leads and reviewers) takes part. Each member has the rollout's
vote budget of dots per wave; the database keeps the budget (one numbered slot
per dot, unique per wave and voter).

Its parts: `evidence` (what `wave_evidence` builds, and how its numbers read),
`team_board` (cards, themes, grouping and the board) and `dot_votes` (votes
and the budget). Callers use the names from here (`retro.wave_evidence(...)`).
"""
from __future__ import annotations

from .dot_votes import MAX_BUDGET, VOTE_BUDGET, set_budget, unvote, vote
from .evidence import (
    KIND_OF_ANSWER,
    Evidence,
    TextAnswer,
    answer_ref,
    carried_into,
    format_change,
    format_estimate,
    format_number,
    outcome_label,
    proposal_label,
    wave_evidence,
)
from .team_board import (
    CARD_KINDS,
    KIND_LABELS,
    MAX_CARD,
    MAX_THEME_CARDS,
    OPEN_STATES,
    Board,
    ThemeView,
    add_card,
    board,
    card_dict,
    card_from_answer,
    cards,
    create_theme,
    delete_card,
    delete_theme,
    get_card,
    get_theme,
    group,
    is_open,
    kind_label,
    my_votes,
    rename_theme,
    theme_dict,
    update_card,
    votes_left,
)

__all__ = [
    "MAX_BUDGET", "VOTE_BUDGET", "set_budget", "unvote", "vote",
    "KIND_OF_ANSWER", "Evidence", "TextAnswer", "answer_ref", "carried_into", "format_change", "format_estimate",
    "format_number", "outcome_label", "proposal_label", "wave_evidence",
    "CARD_KINDS", "KIND_LABELS", "MAX_CARD", "MAX_THEME_CARDS", "OPEN_STATES", "Board", "ThemeView", "add_card", "board", "card_dict",
    "card_from_answer", "cards", "create_theme", "delete_card", "delete_theme", "get_card", "get_theme", "group",
    "is_open", "kind_label", "my_votes", "rename_theme", "theme_dict", "update_card", "votes_left",
]
