"""Reading the parts of a rollout archive (archive_export.py) before anything is written: a
`Reader` notes each problem with its path in the file ("waves.1.responses.3.answers.0.code")
and a message, and gives back the values cleaned; the dataclasses hold what is to be written
(rollout_import.py). Nothing here touches the database but to look names up."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Optional, TypeVar

from flask_babel import gettext as _

from ..models import Person, User
from .accounts import check_email, normalise_email
from .errors import FieldErrors
from .people import EXTERNAL_ID
from .tallies import AnswerRow
from .validation import MAX_ID, text_problem, whole_number

T = TypeVar("T")


def join(path: str, name: object) -> str:
    return f"{path}.{name}" if path else str(name)


class Reader:
    """Reads values out of an archive's objects, noting what is wrong at its path; every getter
    gives a usable value (a default) after a problem, so that reading goes on and finds the rest."""

    def __init__(self) -> None:
        self.problems = FieldErrors()
        # what the archive refers to by name, checked once every part is read (archive_check.py)
        self.emails: list[tuple[str, str]] = []  # (path, e-mail) of an account
        self.people: list[tuple[str, str]] = []  # (path, external id) of a person

    def add(self, path: str, message: str) -> None:
        self.problems.add(path, message)

    def obj(self, value: object, path: str) -> dict:
        if isinstance(value, dict):
            return value
        self.add(path, _("Must be an object.") if value is not None else _("Required."))
        return {}

    def part(self, data: dict, name: str, path: str, *, required: bool = True) -> dict:
        if name not in data and not required:
            return {}
        return self.obj(data.get(name), join(path, name))

    def listed(self, data: dict, name: str, path: str, *, required: bool = True) -> list:
        value = data.get(name)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.add(join(path, name), _("Must be a list.") if value is not None else _("Required."))
            return []
        return value

    def text(self, data: dict, name: str, path: str, max_length: int, *, required: bool = False) -> str:
        value = data.get(name)
        where = join(path, name)
        if value is None or (required and isinstance(value, str) and not value.strip()):
            if required:
                self.add(where, _("Required."))
            return ""
        if not isinstance(value, str):
            self.add(where, _("Must be text."))
            return ""
        if reason := text_problem(value, max_length):
            self.add(where, reason)
            return ""
        return value

    def flag(self, data: dict, name: str, path: str, default: bool = False) -> bool:
        value = data.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(join(path, name), _("Must be true or false."))
            return default
        return value

    def whole(self, data: dict, name: str, path: str, low: int = 0, high: int = MAX_ID, *,
              default: Optional[int] = None, required: bool = False) -> Optional[int]:
        value = data.get(name)
        if value is None:
            if required:
                self.add(join(path, name), _("Required."))
            return default
        number = whole_number(value, low, high) if isinstance(value, int) else None
        if number is None:
            self.add(join(path, name), _("Must be a whole number from %(low)s to %(high)s.", low=low, high=high))
            return default
        return number

    def choice(self, data: dict, name: str, path: str, choices: Iterable[str], *,
               required: bool = True, default: Optional[str] = None) -> Optional[str]:
        value = data.get(name)
        if value is None and not required:
            return default
        allowed = [str(c) for c in choices]
        if value not in allowed:
            self.add(join(path, name), _("Must be one of: %(values)s.", values=", ".join(allowed)))
            return default
        return str(value)

    def when(self, data: dict, name: str, path: str, *, required: bool = False) -> Optional[datetime]:
        value = data.get(name)
        if value is None:
            if required:
                self.add(join(path, name), _("Required."))
            return None
        parsed = None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.add(join(path, name), _("Must be a date and time in ISO 8601 with its time zone."))
            return None
        return parsed.astimezone(timezone.utc)

    def day(self, data: dict, name: str, path: str, *, required: bool = False) -> Optional[datetime]:
        """A date (YYYY-MM-DD) as 00:00 UTC of that day: the finest time an anonymous response keeps."""
        value = data.get(name)
        if value is None:
            if required:
                self.add(join(path, name), _("Required."))
            return None
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            self.add(join(path, name), _("Must be a date (YYYY-MM-DD)."))
            return None
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)

    def email(self, data: dict, name: str, path: str, *, required: bool = False) -> Optional[str]:
        """An account's e-mail address, normalised; noted as a reference to resolve (`emails`)."""
        value = data.get(name)
        if value is None and not required:
            return None
        address = normalise_email(value) if isinstance(value, str) else ""
        if not address or check_email(address):
            self.add(join(path, name), _("Not a valid e-mail address."))
            return None
        self.emails.append((join(path, name), address))
        return address

    def person(self, value: object, path: str) -> Optional[str]:
        """A person's external id (None for none); noted as a reference to resolve (`people`)."""
        if value is None:
            return None
        if not isinstance(value, str) or not EXTERNAL_ID.match(value):
            self.add(path, _("Must be a person's external id."))
            return None
        self.people.append((path, value))
        return value

    def checked(self, path: str, check: Callable[[FieldErrors], T], *, rename: tuple[str, str] = ("", "")) -> T:
        """What a service's own check of a part gives, its problems noted under `path` (a field
        the service calls rename[0] is called rename[1] in the archive)."""
        found = FieldErrors()
        result = check(found)
        old, new = rename
        for item in found.items:
            where = item.get("field") or ""
            if old and (where == old or where.startswith(old + ".")):
                where = new + where[len(old):]
            self.add(join(path, where) if where else path, item["message"])
        return result


@dataclass
class PlannedResponse:
    source_id: int  # its id in the source, or its place: the order it is written in
    external_id: Optional[str]
    version: int
    language: str
    submitted_at: datetime
    updated_at: datetime
    edits: int
    pseudonymised: bool
    answers: list[AnswerRow]


@dataclass
class PlannedWave:
    fields: dict[str, Any]  # the Wave's own columns
    version: Optional[int]
    members: list[tuple[str, bool, Optional[datetime]]]  # external id, named explicitly, when added
    responses: list[PlannedResponse] = field(default_factory=list)
    pseudonymised: int = 0  # of an anonymous rollout's responses, how many are pseudonymised
    problems: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    themes: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    dots: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PlannedQuestionnaire:
    version: int
    questions: list[dict[str, Any]]  # as questionnaires.clean_questions gives them
    created_at: Optional[datetime]
    created_by: Optional[str]
    checked: bool = True  # its questions are as they must be: answers can be checked against them

    def kinds(self) -> dict[str, str]:
        return {q["code"]: q["kind"] for q in self.questions}


@dataclass
class Plan:
    """An archive read and checked: everything to write, and whom of it this instance lacks."""

    source_key: str  # the rollout's key where it comes from
    settings: dict[str, Any]  # rollouts.check_new_settings: key, name, ..., tags
    extra: dict[str, Any]  # the rollout's other columns (gate, dates, purges)
    created_by: Optional[str]
    users: dict[str, str]  # e-mail -> name: the accounts the archive names
    team: list[tuple[str, str]]  # (e-mail, role)
    people: Optional[dict[str, dict[str, Any]]]  # external id -> record (people.validate_person), None: none
    added_for: set[str]  # people the source had imported for this rollout
    questionnaires: dict[int, PlannedQuestionnaire]
    waves: list[PlannedWave]
    lessons: list[dict[str, Any]]
    known_users: dict[str, User] = field(default_factory=dict)  # in this instance already, by e-mail
    known_people: dict[str, Person] = field(default_factory=dict)  # in this instance already, by external id

    @property
    def key(self) -> str:
        return str(self.settings["key"])

    @property
    def anonymous(self) -> bool:
        return bool(self.settings["anonymous"])
