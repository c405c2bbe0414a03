"""A rollout's wins: what the team shared with later waves, and the body that marks one."""
from __future__ import annotations

from typing import Any

from ...models import WIN_SOURCES
from ...services.validation import MAX_ID
from ...services.wins import MAX_TITLE
from .base import Anything, Schema, Text, WholeNumber
from .patterns import text


def _served(doc: dict[str, Any]) -> Anything:
    """A field of the win as the wins service gives it (`wins.as_dict`), served as it is."""
    return Anything(doc=doc, dump_only=True)


class WinSchema(Schema):
    """A win: the text as it was shared, the wave it came from, and when. Never who wrote an answer;
    for an answer of an anonymous rollout only the day it was shared."""

    json_schema = {"required": ["id", "wave", "source", "text", "marked_on"]}

    id = _served({"type": "integer", "readOnly": True})
    wave = _served({"type": "integer", "readOnly": True, "description": "the wave it came from (0 is the pilot)"})
    source = _served({"type": "string", "enum": list(WIN_SOURCES), "readOnly": True})
    title = _served({"type": "string", "readOnly": True})
    text = _served({"type": "string", "readOnly": True, "description": "the text as it was shared (a snapshot)"})
    question = _served({"type": ["string", "null"], "readOnly": True,
                        "description": "for an answer: the code of its question"})
    card = _served({"type": ["integer", "null"], "readOnly": True, "description": "for a card: its id"})
    marked_on = _served({"type": "string", "format": "date", "readOnly": True})
    marked_at = _served({"type": ["string", "null"], "format": "date-time", "readOnly": True,
                         "description": "null for an answer of an anonymous rollout, which keeps only the day"})
    marked_by = _served({"type": ["string", "null"], "readOnly": True, "description": "the team member who shared it"})


class NewWinSchema(Schema):
    """What to share: a participant's free-text answer (its opaque reference, as GET .../retro gives it in
    evidence.texts, with its wave) or a "celebrate" / "went well" card (its id)."""

    json_schema = {"required": ["source", "id"], "anyOf": [
        {"properties": {"source": {"const": "answer"}, "id": {"type": "string"}, "wave": {"type": "integer"}},
         "required": ["wave"]},
        {"properties": {"source": {"const": "card"}, "id": {"type": "integer"}}}]}

    source = Text(doc={"type": "string", "enum": list(WIN_SOURCES)})
    id = Anything(doc={"type": ["string", "integer"], "description": (
        "an answer's reference, or a card's id")})
    wave = WholeNumber(doc={"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ID,
                            "description": "the wave the answer or card is of (may be left out for a card)"})
    title = Text(doc=text(MAX_TITLE, nullable=True, description="a short title, if any"))
