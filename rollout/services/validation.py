"""Small checks on free text that every service applies the same way."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Control characters have no place in names and descriptions; PostgreSQL refuses NUL outright.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# half of a UTF-16 pair on its own ("\ud800" in JSON) is no character: no database can store it
SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_problem(value: str, max_length: int) -> Optional[str]:
    """Why `value` is not acceptable text of at most `max_length` characters, or None."""
    if CONTROL.search(value):
        return _("Remove the control characters (such as NUL) from the text.")
    if SURROGATE.search(value):
        return _("The text holds a broken character (half of a pair): type or paste it again.")
    if len(value) > max_length:
        return str(too_long(max_length))
    return None


def too_long(max_length: int) -> Any:
    """What a text longer than `max_length` characters is told (lazy, for a form's validator too)."""
    return _l("At most %(n)s characters.", n=f"{max_length:,}".replace(",", "\u00a0"))


@dataclass(frozen=True)
class Limit:
    """A range of whole numbers a service accepts and the message that says so: the service's
    check and the form's validators both take them from here."""

    low: int
    high: int
    message: object  # a lazy message: str() it where it is shown or sent

    def take(self, value: object) -> Optional[int]:
        """`value` as a whole number within the range, or None (see whole_number)."""
        return whole_number(value, self.low, self.high)


def whole_number(value: object, low: int, high: int) -> Optional[int]:
    """`value` as a whole number within [low, high], or None: text of digits and integral
    numbers are accepted; booleans, fractions, infinities and anything else are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?[0-9]{1,12}", value):  # ASCII digits: "²".isdigit() is true
            return None
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        return None
    return value


MAX_ID = 2**31 - 1  # ids and numbers in URLs and bodies: what a PostgreSQL integer holds


def an_id(value: object) -> Optional[int]:
    """`value` as a row id (1 .. 2**31-1) from an int or a text of digits, or None."""
    return whole_number(value, 1, MAX_ID)


def without_controls(value: str) -> str:
    """`value` without control characters and broken halves of characters (what text_problem refuses)."""
    return SURROGATE.sub("", CONTROL.sub("", value))
