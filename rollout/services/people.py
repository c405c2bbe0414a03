"""People and units: validation, upsert (shared by the form, the API and the
CSV import), search."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Optional

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..languages import LANGUAGES
from ..models import Membership, Person, Rollout, RolloutRole, Unit, User, Wave
from . import audit
from .accounts import can_manage_people, can_read_people, check_email, require_admin, require_people_manager
from .errors import FieldErrors, NotAllowed, NotFound
from .paging import page_of
from .person_writes import UpsertResult, apply_upsert, revoke_links_after_email_change, unit_ids
from .validation import CONTROL, SURROGATE, text_problem, without_controls

EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,99}$")
ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
RESERVED = {"external_id", "name", "email", "unit", "language"}
MAX_NAME = 200  # characters of a person's name, a unit's name and an attribute's value
ODD_CHARACTER = re.compile(f"{CONTROL.pattern}|{SURROGATE.pattern}")


# An address whose local part is a plain dot-atom of ASCII and whose domain email-validator has
# accepted already is valid by email-validator's rules too: the common case of an import's many
# addresses of a few domains, without running the validator on each (it is the import's costliest
# check). Anything else goes to the validator, which gives the message.
PLAIN_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
MAX_EMAIL = 254


def email_problem(email: str) -> Optional[str]:
    """The reason `email` (lower-case) is not acceptable, or None: accounts.check_email, faster."""
    local, at, domain = email.rpartition("@")
    if at and len(email) <= MAX_EMAIL and len(local) <= 64 and PLAIN_LOCAL_PART.match(local) \
            and _domain_accepted(domain):
        return None
    return check_email(email)


@lru_cache(maxsize=4096)
def _domain_accepted(domain: str) -> bool:
    return check_email(f"a@{domain}") is None


def clean_person(data: dict) -> dict:
    """One person's fields as stored: trimmed, the e-mail and language in lower case, an empty
    attribute as None (which removes it). No checks: see validate_person."""
    unit = data.get("unit")
    attributes = data.get("attributes") or {}
    clean_attributes: dict[str, object] = {}
    if isinstance(attributes, dict):
        for key, value in attributes.items():
            if value is None or value == "":
                value = None
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                value = str(value).strip()
            clean_attributes[str(key).strip().lower()] = value
    return {"external_id": str(data.get("external_id") or "").strip(), "name": str(data.get("name") or "").strip(),
            "email": str(data.get("email") or "").strip().lower(), "unit": str(unit).strip() if unit is not None else "",
            "language": str(data.get("language") or "sv").strip().lower(),
            "attributes": clean_attributes if isinstance(attributes, dict) else attributes}


def _text_problem(value: str) -> Optional[str]:
    """validation.text_problem with MAX_NAME, with one search for the common case of plain text."""
    if len(value) <= MAX_NAME and not ODD_CHARACTER.search(value):
        return None
    return text_problem(value, MAX_NAME)


def validate_person(data: dict, problems: FieldErrors, **where: object) -> Optional[dict]:
    """Check one person's fields; return them cleaned, or None after noting the problems."""
    if not isinstance(data, dict):
        problems.add("", _("Each person must be an object."), **where)
        return None
    return check_person(clean_person(data), problems, **where)


def check_person(row: dict, problems: FieldErrors, **where: object) -> Optional[dict]:
    """Check one person's cleaned fields (as clean_person gives them); the row, or None after noting
    the problems."""
    before = len(problems.items)
    external_id, name, email, unit, language = (row[k] for k in ("external_id", "name", "email", "unit", "language"))
    if not external_id:
        problems.add("external_id", _("An external id is required."), **where)
    elif not EXTERNAL_ID.match(external_id):
        problems.add("external_id", _("Use at most 100 letters, digits and . _ : @ + - (no spaces)."), **where)
    if not name:
        problems.add("name", _("A name is required."), **where)
    elif reason := _text_problem(name):
        problems.add("name", reason, **where)
    if not email:
        problems.add("email", _("An e-mail address is required."), **where)
    elif reason := email_problem(email):
        problems.add("email", reason, **where)
    if reason := _text_problem(unit):
        problems.add("unit", reason, **where)
    if language not in LANGUAGES:
        problems.add("language", _("Use sv or en."), **where)
    if not isinstance(row["attributes"], dict):
        problems.add("attributes", _("Attributes must be an object of names and values."), **where)
    else:
        for key, value in row["attributes"].items():
            if not ATTRIBUTE_KEY.match(key) or key in RESERVED:
                problems.add(f"attributes.{key}", _("Attribute names are lower-case letters, digits and _ (not a reserved column)."), **where)
            elif value is not None and not isinstance(value, str):
                problems.add(f"attributes.{key}", _("An attribute value must be text or a number."), **where)
            elif value is not None and (reason := _text_problem(value)):
                problems.add(f"attributes.{key}", reason, **where)
    if len(problems.items) > before:
        return None
    return row


def _units_by_name(names: Iterable[str]) -> dict[str, Unit]:
    wanted = {n for n in names if n}
    ids = unit_ids(wanted)
    return {unit.name: unit for unit in db.session.scalars(select(Unit).where(Unit.id.in_(list(ids.values()))))}


def upsert_people(items: list, actor: Optional[User], *, source: str = "api",
                  added_for: Optional[Rollout] = None) -> UpsertResult:
    """Create or update people by external id: all or nothing (`added_for`: see apply_upsert)."""
    require_people_manager(actor)
    problems = FieldErrors()
    if not isinstance(items, list) or not items:
        problems.add("people", _("Give a non-empty list of people."))
        problems.raise_if_any(_("Nothing to import."))
    rows = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        row = validate_person(item, problems, index=index)
        if row is None:
            continue
        if row["external_id"] in seen:
            problems.add("external_id", _("The external id %(id)s appears more than once.", id=row["external_id"]), index=index)
            continue
        seen[row["external_id"]] = index
        rows.append(row)
    problems.raise_if_any(_("No one was saved: some people have errors."))
    result = apply_upsert(rows, actor, added_for=added_for)
    details = {"source": source, "created": result.created, "updated": result.updated}
    if added_for is not None:
        details["for_rollout"] = added_for.key
    audit.record(actor, "people.upsert", details=details)
    db.session.commit()
    return result


def save_person(data: dict, actor: Optional[User], person: Optional[Person] = None) -> Person:
    """Create a person, or edit one (whose external id may change if not taken). People managers
    only: a person is shared by every rollout, so a lead, who reads the people of their own waves,
    could otherwise redirect another rollout's invitations or move someone between selections."""
    require_people_manager(actor)
    problems = FieldErrors()
    row = validate_person(data, problems)
    if row is not None:
        other = db.session.scalar(select(Person).where(Person.external_id == row["external_id"]))
        if other is not None and (person is None or other.id != person.id):
            problems.add("external_id", _("Another person already has this external id."))
    problems.raise_if_any(_("The person could not be saved."))
    assert row is not None  # or validate_person noted a problem
    unit = _units_by_name([row["unit"]]).get(row["unit"]) if row["unit"] else None
    attributes = {k: v for k, v in row["attributes"].items() if v is not None}
    if person is None:
        person = Person(external_id=row["external_id"])
        db.session.add(person)
        action = "person.create"
    else:
        action = "person.update"
    email_changed = action == "person.update" and person.email != row["email"]
    person.external_id = row["external_id"]
    person.name, person.email, person.unit, person.language = row["name"], row["email"], unit, row["language"]
    person.attributes = attributes
    person.refresh_search_text()
    db.session.flush()
    audit.record(actor, action, subject=person.external_id)
    if email_changed:
        revoke_links_after_email_change([(person.id, person.external_id)], actor)
    db.session.commit()
    return person


def _led_members(user: User) -> ColumnElement[bool]:
    """The people in the waves of the rollouts `user` leads."""
    return Person.id.in_(
        select(Membership.person_id).join(Wave, Wave.id == Membership.wave_id)
        .join(RolloutRole, RolloutRole.rollout_id == Wave.rollout_id)
        .where(RolloutRole.user_id == user.id, RolloutRole.role == "lead"))


def visible_to(viewer: Optional[User]) -> Optional[ColumnElement[bool]]:
    """The condition on people that `viewer` may read, None for everyone (the system and
    people managers); raises NotAllowed for those who may read no one."""
    if viewer is None or can_manage_people(viewer):
        return None
    if not can_read_people(viewer):
        raise NotAllowed(_("Only people managers and the leads of a rollout's waves may see people."))
    return _led_members(viewer)


def get_person(person_id: int, viewer: Optional[User] = None) -> Person:
    """One person, for the system or for someone who may read them (else NotFound)."""
    condition = visible_to(viewer)
    query = select(Person).where(Person.id == person_id)
    if condition is not None:
        query = query.where(condition)
    person = db.session.scalar(query)
    if person is None:
        raise NotFound(_("No such person."))
    return person


def search_people(q: str = "", unit: str = "", page: int = 1, per_page: int = 50,
                  viewer: Optional[User] = None) -> tuple[list[Person], int]:
    """People matching `q` and `unit` among those `viewer` may read."""
    condition = visible_to(viewer)
    query = select(Person)
    if condition is not None:
        query = query.where(condition)
    q, unit = q or "", unit or ""
    if without_controls(q) != q or without_controls(unit) != unit:
        return [], 0  # no name, e-mail, id or unit holds control characters
    if q.strip():
        query = query.where(Person.search_text.contains(q.strip().casefold(), autoescape=True))
    if unit:
        query = query.join(Unit, Person.unit_id == Unit.id).where(Unit.name == unit)
    return page_of(query.order_by(Person.name, Person.id), page, per_page)


def list_units() -> list[tuple[Unit, int]]:
    """Every unit with the number of people in it (counted in SQL)."""
    rows = db.session.execute(
        select(Unit, func.count(Person.id)).outerjoin(Person, Person.unit_id == Unit.id)
        .group_by(Unit.id).order_by(Unit.name)
    ).all()
    return [(unit, count) for unit, count in rows]


def unit_names() -> list[str]:
    return list(db.session.scalars(select(Unit.name).order_by(Unit.name)))


def attribute_values() -> dict[str, list[str]]:
    """The attribute names in use and their distinct values, for the selection form."""
    values: dict[str, set[str]] = {}
    for (attributes,) in db.session.execute(select(Person.attributes)):
        for key, value in (attributes or {}).items():
            values.setdefault(key, set()).add(str(value))
    return {key: sorted(vals) for key, vals in sorted(values.items())}


def create_unit(name: str, actor: Optional[User]) -> Unit:
    require_admin(actor)
    name = (name or "").strip()
    problems = FieldErrors()
    if not name:
        problems.add("name", _("A name is required."))
    elif reason := text_problem(name, MAX_NAME):
        problems.add("name", reason)
    elif db.session.scalar(select(Unit.id).where(Unit.name == name)):
        problems.add("name", _("This unit exists already."))
    problems.raise_if_any(_("The unit could not be created."))
    unit = Unit(name=name)
    db.session.add(unit)
    audit.record(actor, "unit.create", subject=name)
    db.session.commit()
    return unit

