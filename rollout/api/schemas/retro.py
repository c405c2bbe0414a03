"""A wave's retrospective: its cards (each with the caller's dots), themes, the evidence it opens
with, and the bodies that add and change cards and themes."""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

import marshmallow as ma

from ...models import CARD_KINDS, SEVERITIES, RetroCard
from ...services.retro import ThemeView
from ...services.validation import MAX_ID
from .base import Anything, Object, Schema, Text, WholeNumber
from .lessons import LessonSchema
from .patterns import QUESTION_CODE
from .patterns import text as text_doc  # `text` is a card's field too
from .results import ComparisonSchema

KIND = {"type": "string", "enum": list(CARD_KINDS), "description": "went well, could be better, celebrate, idea"}
THEME_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}
CARD_TEXT = text_doc(2000, required=True)
COMPARISON = {"$ref": "#/components/schemas/Comparison"}


class VotedCard(NamedTuple):
    """A card with the caller's dots on it (and, where the answer says, the caller's dots left)."""

    card: RetroCard
    my_votes: int
    votes_left: Optional[int] = None


class VotedTheme(NamedTuple):
    """A theme of the board, with the caller's dots on each card (card id -> dots)."""

    view: ThemeView
    my_votes: dict[int, int]


def _dumped_only(doc: dict[str, Any]) -> Anything:
    return Anything(doc=doc, dump_only=True)


class CardSchema(Schema):
    """A card of the retrospective: its kind and text, its theme, and the dots on it."""

    json_schema = {"required": ["id", "kind", "text", "votes"]}

    id = _dumped_only({"type": "integer", "readOnly": True})
    kind = Text(doc=KIND)
    text = Text(doc={"type": "string", "maxLength": 2000})
    votes = _dumped_only({"type": "integer", "readOnly": True, "description": "every team member's dots on the card"})
    theme = WholeNumber(attribute="theme_id", doc={"type": ["integer", "null"], "description": (
        "the theme it is grouped in; set it to move the card, null to take it out")})
    source = _dumped_only({"type": "string", "enum": ["team", "participant"], "readOnly": True,
                           "description": "written in the retrospective, or copied from a participant's answer"})
    my_votes = _dumped_only({"type": "integer", "readOnly": True, "description": "the token's user's dots on it"})
    created_at = ma.fields.DateTime(dump_only=True)

    def get_attribute(self, obj: VotedCard, attr: str, default: Any) -> Any:
        if attr in ("my_votes", "votes_left"):
            return getattr(obj, attr)
        return super().get_attribute(obj.card, attr, default)


class CardVotesSchema(CardSchema):
    """A card, and the caller's dots left in the retrospective."""

    json_schema = {"required": [*CardSchema.json_schema["required"], "votes_left"]}

    votes_left = ma.fields.Integer(metadata={"description": "the token's user's dots left in this retrospective"})


class NewCardSchema(Schema):
    """A card to add: a kind and a text, or a participant's answer to copy onto it."""

    json_schema = {"description": "kind and text; or answer",
                   "anyOf": [{"required": ["kind", "text"], "properties": {
                                 "kind": KIND, "text": CARD_TEXT, "answer": {"type": "null"}}},
                             {"required": ["answer"], "properties": {"answer": {"type": "string"}}}]}

    kind = Text(doc={**KIND, "type": ["string", "null"], "enum": [*CARD_KINDS, None]})
    text = Text(doc={"type": ["string", "null"]})
    theme = WholeNumber(doc={**THEME_ID, "description": "a theme of this retrospective to put it in"})
    answer = Text(doc={"type": ["string", "null"], "description": (
        "instead of text: the id (an opaque reference) of a participant's free-text answer (GET .../retro, "
        "evidence.texts) to copy onto a card, never with a name; kind defaults to the one the question suggests; "
        "404 for no such answer")})


class CardChangeSchema(Schema):
    """A change of a card: its kind or text, or the theme it is in (a card keeps its source)."""

    kind = Text(doc=KIND)
    text = Text(doc=CARD_TEXT)
    theme = WholeNumber(doc={**THEME_ID, "description": "move into this theme of the retrospective; null: into no "
                                                        "theme"})


class ThemeSchema(Schema):
    """A theme with its cards (each with the caller's dots on it) and the lessons made of it."""

    json_schema = {"required": ["id", "title", "votes", "cards"]}

    id = _dumped_only({"type": "integer", "readOnly": True})
    title = Text(doc={"type": "string", "maxLength": 200})
    votes = _dumped_only({"type": "integer", "readOnly": True, "description": "the dots on its cards"})
    cards = ma.fields.List(ma.fields.Nested(CardSchema), dump_only=True)
    lessons = ma.fields.List(ma.fields.Integer(), dump_only=True, metadata={
        "description": "ids of the lessons made of it"})

    def get_attribute(self, obj: VotedTheme, attr: str, default: Any) -> Any:
        view = obj.view
        if attr == "cards":
            return [VotedCard(card, obj.my_votes.get(card.id, 0)) for card in view.cards]
        if attr == "lessons":
            return [lesson.id for lesson in view.lessons]
        if attr == "votes":
            return view.votes
        return super().get_attribute(view.theme, attr, default)


class NewThemeSchema(Schema):
    """A theme to create, and the cards to move into it."""

    json_schema = {"required": ["title"]}

    title = Text(doc=text_doc(200, required=True))
    cards = Anything(doc={"type": ["array", "null"], "maxItems": 1000,
                          "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                          "description": "ids of cards of this retrospective to move into it"})


class ThemeChangeSchema(Schema):
    """A theme's new title."""

    title = Text(doc=text_doc(200, required=True))


class TextAnswerSchema(Schema):
    """A participant's free-text answer as the retrospective shows it (no name in an anonymous rollout)."""

    id = ma.fields.String(metadata={"description": "an opaque reference, not the row id"})
    code = ma.fields.String()
    prompt = ma.fields.String()
    text = ma.fields.String()
    respondent = ma.fields.String(allow_none=True, metadata={"description": "null in an anonymous rollout"})
    suggested_kind = Anything(doc=KIND)


class RetroProblemCategorySchema(Schema):
    """How many problem reports a category had in the wave."""

    code = ma.fields.String()
    label = ma.fields.String()
    count = ma.fields.Integer()
    reporters = ma.fields.Integer(metadata={"description": "members who reported"})
    per_100 = Anything(doc={"type": ["number", "null"], "description": "reporters per 100 members"})


class RetroProblemSchema(Schema):
    """A problem report among a retrospective's evidence: what happened, never who reported it."""

    id = ma.fields.Integer()
    category = ma.fields.String()
    severity = ma.fields.String(metadata={"enum": list(SEVERITIES)})
    status = ma.fields.String()
    description = ma.fields.String()
    created_at = ma.fields.DateTime()


class CarriedLessonSchema(Schema):
    """A lesson that targeted the wave, with its verification."""

    lesson = ma.fields.Nested(LessonSchema)
    verification = Object(ComparisonSchema, doc={"oneOf": [COMPARISON, {"type": "null"}]})


class RetroTextsSchema(Schema):
    """The participants' free-text answers, paged."""

    items = ma.fields.List(ma.fields.Nested(TextAnswerSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    hidden = ma.fields.Boolean(metadata={"description": "an anonymous group smaller than k: no texts"})
    code = ma.fields.String(allow_none=True)


class RetroEvidenceSchema(Schema):
    """What the retrospective opens with: the change since the previous wave, the problems, the lessons
    that targeted the wave, and the participants' texts."""

    previous_wave = ma.fields.Integer(allow_none=True)
    changes = ma.fields.List(ma.fields.Nested(ComparisonSchema), metadata={
        "description": "each metric since the previous wave"})
    problem_categories = ma.fields.List(ma.fields.Nested(RetroProblemCategorySchema), metadata={
        "description": "most reports first"})
    serious_problems = ma.fields.List(ma.fields.Nested(RetroProblemSchema), metadata={
        "description": "blockers, then major, newest first"})
    lessons = ma.fields.List(ma.fields.Nested(CarriedLessonSchema), metadata={
        "description": "the lessons that targeted this wave"})
    texts = ma.fields.Nested(RetroTextsSchema, metadata={"description": "the participants' free-text answers, paged"})


class RetroSchema(Schema):
    """The wave's retrospective: the board, the caller's votes left, and the evidence."""

    json_schema = {"required": ["budget", "votes_left", "themes", "ungrouped", "evidence"]}

    wave = ma.fields.Integer()
    open = ma.fields.Boolean(metadata={"description": "cards and votes are taken from the wave's feedback on"})
    budget = ma.fields.Integer(metadata={"description": "dots per team member"})
    votes_left = ma.fields.Integer(metadata={"description": "the token's user's dots left"})
    cards_total = ma.fields.Integer()
    themes = ma.fields.List(ma.fields.Nested(ThemeSchema), metadata={"description": "most votes first"})
    ungrouped = ma.fields.List(ma.fields.Nested(CardSchema), metadata={"description": "the cards in no theme"})
    evidence = ma.fields.Nested(RetroEvidenceSchema)


class RetroQuery(Schema):
    """Which participants' texts the retrospective shows."""

    code = Text(doc={"type": "string", "pattern": f"^(?:{QUESTION_CODE[1:-1]})?$", "description": "empty: every question"})
