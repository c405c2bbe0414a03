"""Fragments of the OpenAPI document (rollout.api.openapi): text as the services take it, and the
patterns they check, taken from the services themselves, so that the document promises neither more
nor less than the validation does."""
from __future__ import annotations

from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES

from ...languages import LANGUAGES
from ...services import people, questionnaires, rollouts

# what rollout.services.validation.CONTROL refuses in every text (tab, newline and carriage return are fine)
CONTROLS = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f"
# what str.strip() and str.split() take for white space (beside the control characters above)
SPACES = "\\t\\n\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
ANY_TEXT = f"^[^{CONTROLS}]*$"
# something else than white space somewhere: a required name or title
NOT_BLANK = f"^[^{CONTROLS}]*[^{CONTROLS}{SPACES}][^{CONTROLS}]*$"

KEY = rollouts.KEY.pattern
EXTERNAL_ID = people.EXTERNAL_ID.pattern
QUESTION_CODE = questionnaires.CODE.pattern
OPTION_VALUE = questionnaires.OPTION_VALUE.pattern
# attribute names are taken in any case and stored in lower case
ATTRIBUTE_NAME = "^[A-Za-z][A-Za-z0-9_]{0,49}$"

# what rollout.services.waves.parse_when takes: a date, or a date and time, of the years 2000-2100
_DATE = "(?:20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME = ("[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"
         "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?")
DATE_OR_DATE_TIME = f"^(?:{_DATE}(?:{_TIME})?)?$"

# the domains email_validator refuses in an e-mail address (rollout.services.accounts.check_email), in any case
SPECIAL_USE = "\\.(?:{})\\.?$".format("|".join(
    "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in name) for name in SPECIAL_USE_DOMAIN_NAMES))


def text(max_length: int | None = None, *, required: bool = False, nullable: bool = False, **extra: Any) -> dict:
    """A text without control characters; `required`: not blank (white space alone is refused).
    `max_length` counts the characters once the text is trimmed (the schema counts them all)."""
    schema: dict = {"type": ["string", "null"] if nullable else "string",
                    "pattern": NOT_BLANK if required else ANY_TEXT}
    if max_length is not None:
        schema["maxLength"] = max_length
    return {**schema, **extra}


def labels(max_length: int) -> dict:
    """A label in each language (Swedish and English), all required."""
    return {"type": "object", "required": list(LANGUAGES),
            "properties": {language: text(max_length, required=True) for language in LANGUAGES}}


def tags() -> dict:
    """A lesson's or rollout's tags: a list of words, or one text of words separated by commas."""
    word = text(50)
    return {"description": "lower-cased words (at most 20 of at most 50 characters); a text of words "
                           "separated by commas is taken too; null or \"\" for none",
            "anyOf": [{"type": "array", "maxItems": 20, "items": word},
                      {"type": "string", "pattern": f"^[^{CONTROLS},]{{0,50}}(?:,[^{CONTROLS},]{{0,50}}){{0,19}}$"},
                      {"type": "null"}]}


def padded(pattern: str, *, blank: bool = False) -> str:
    """`pattern` (anchored) with white space around it, which is trimmed first; `blank`: or white space alone."""
    return f"^[{SPACES}]*(?:{pattern[1:-1]}){'?' if blank else ''}[{SPACES}]*$"


def selection() -> dict:
    """Who a wave takes: at least one person, unit, attribute value or a percentage."""
    attribute_value = {"anyOf": [text(200), {"type": "number"}]}
    # each entry is trimmed, and the blank ones are left out
    external_id = {"type": "string", "pattern": padded(EXTERNAL_ID, blank=True)}
    return {"type": "object", "description": "at least one person, unit, attribute value or a percentage",
            "properties": {
                "people": {"type": ["array", "null"], "items": external_id,
                           "description": "external ids of people in the directory, always included"},
                "units": {"type": ["array", "null"], "items": text(200),
                          "description": "names of units in the directory"},
                "attributes": {"type": ["object", "null"], "propertyNames": {"pattern": padded(ATTRIBUTE_NAME)},
                               "additionalProperties": {"anyOf": [attribute_value, {
                                   "type": "array", "minItems": 1, "items": attribute_value}]}},
                "percentage": {"type": ["integer", "null"], "minimum": 1, "maximum": 100,
                               "description": "cumulative; Unleash bucket of '<rollout key>:<external id>'"}},
            "anyOf": [{"required": ["people"], "properties": {"people": {
                          "type": "array", "contains": {"type": "string", "pattern": EXTERNAL_ID}}}},
                      {"required": ["units"], "properties": {"units": {
                          "type": "array", "contains": text(required=True)}}},
                      {"required": ["attributes"], "properties": {"attributes": {"type": "object",
                                                                                  "minProperties": 1}}},
                      {"required": ["percentage"], "properties": {"percentage": {"type": "integer"}}}]}


def rollout_fields() -> dict:
    """A rollout's fields but its key (the same in a new rollout and in a change)."""
    days = {"type": ["integer", "null"], "minimum": 1, "maximum": 3650}
    return {
        "name": text(200, required=True), "description": text(10000, nullable=True),
        "anonymous": {"type": "boolean", "description": "fixed once feedback has been collected"},
        "reminder_days": {"type": "integer", "minimum": 0, "maximum": 30,
                          "description": "reminders go this many days before the feedback window closes"},
        "anonymity_k": {"type": "integer", "minimum": 2, "maximum": 50,
                        "description": "anonymous rollouts hide results of smaller groups; not lowered once "
                                       "feedback has been collected"},
        "problem_categories": {"type": "array", "minItems": 1, "maxItems": 30, "description": "each code once",
                               "items": {"type": "object", "required": ["code", *LANGUAGES], "properties": {
                                   "code": {"type": "string", "pattern": OPTION_VALUE},
                                   **labels(100)["properties"]}}},
        "tags": {"$ref": "#/components/schemas/Tags"},
        "vote_budget": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5,
                        "description": "dots each team member has per wave's retrospective"},
        "retention_days": {**days, "description": "personal data is purged this many days after the last wave "
                                                  "is done; null: the organisation's default"},
        "text_retention_days": {**days, "description": "free texts and problem descriptions are erased this many "
                                                       "days after the last wave is done (at most retention_days); "
                                                       "null: the organisation's default"},
        "texts_purged_at": {"type": ["string", "null"], "format": "date-time", "readOnly": True},
        "purged_at": {"type": ["string", "null"], "format": "date-time", "readOnly": True},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True},
        "waves": {"type": "integer", "readOnly": True}}


def wave_fields() -> dict:
    """A wave's fields but its selection (the same in a new wave and in a change)."""
    described = ("ISO 8601: a date (the start of that day in Sweden; for planned_end its end) or a date and time, "
                 "in the years 2000-2100; a real day of the calendar; null or \"\" for none")
    when = {"type": ["string", "null"], "pattern": DATE_OR_DATE_TIME, "description": described}
    return {
        "name": text(200, required=True), "planned_start": when,
        "planned_end": {**when, "description": described + "; not before planned_start"},
        "feedback_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 90, "default": 7},
        "auto_advance": {"type": "boolean"}}
