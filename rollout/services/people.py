"""People and units: validation, upsert (shared by the form, the API and the
CSV import), search."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db, execute_dml
from ..languages import LANGUAGES
from ..models import FeedbackLink, Membership, Person, Rollout, RolloutRole, Unit, User, Wave
from ..models.types import utcnow
from . import audit
from .accounts import can_manage_people, can_read_people, check_email, require_admin, require_people_manager
from .errors import FieldErrors, NotAllowed, NotFound
from .paging import page_of
from .validation import text_problem, without_controls

EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,99}$")
ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
RESERVED = {"external_id", "name", "email", "unit", "language"}
CHUNK = 500
MAX_NAME = 200  # characters of a person's name, a unit's name and an attribute's value


@dataclass
class UpsertResult:
    created: int
    updated: int


def validate_person(data: dict, problems: FieldErrors, **where: object) -> Optional[dict]:
    """Check one person's fields; return them cleaned, or None after noting the problems."""
    before = len(problems.items)
    if not isinstance(data, dict):
        problems.add("", _("Each person must be an object."), **where)
        return None
    external_id = str(data.get("external_id") or "").strip()
    name = str(data.get("name") or "").strip()
    email = str(data.get("email") or "").strip().lower()
    unit = data.get("unit")
    unit = str(unit).strip() if unit is not None else ""
    language = str(data.get("language") or "sv").strip().lower()
    attributes = data.get("attributes") or {}
    if not external_id:
        problems.add("external_id", _("An external id is required."), **where)
    elif not EXTERNAL_ID.match(external_id):
        problems.add("external_id", _("Use at most 100 letters, digits and . _ : @ + - (no spaces)."), **where)
    if not name:
        problems.add("name", _("A name is required."), **where)
    elif reason := text_problem(name, MAX_NAME):
        problems.add("name", reason, **where)
    if not email:
        problems.add("email", _("An e-mail address is required."), **where)
    elif reason := check_email(email):
        problems.add("email", reason, **where)
    if reason := text_problem(unit, MAX_NAME):
        problems.add("unit", reason, **where)
    if language not in LANGUAGES:
        problems.add("language", _("Use sv or en."), **where)
    clean_attributes: dict[str, Optional[str]] = {}
    if not isinstance(attributes, dict):
        problems.add("attributes", _("Attributes must be an object of names and values."), **where)
    else:
        for key, value in attributes.items():
            key = str(key).strip().lower()
            if not ATTRIBUTE_KEY.match(key) or key in RESERVED:
                problems.add(f"attributes.{key}", _("Attribute names are lower-case letters, digits and _ (not a reserved column)."), **where)
                continue
            if value is None or value == "":
                clean_attributes[key] = None
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                text = str(value).strip()
                if reason := text_problem(text, MAX_NAME):
                    problems.add(f"attributes.{key}", reason, **where)
                clean_attributes[key] = text
            else:
                problems.add(f"attributes.{key}", _("An attribute value must be text or a number."), **where)
    if len(problems.items) > before:
        return None
    return {"external_id": external_id, "name": name, "email": email, "unit": unit,
            "language": language, "attributes": clean_attributes}


def _units_by_name(names: Iterable[str]) -> dict[str, Unit]:
    wanted = {n for n in names if n}
    found: dict[str, Unit] = {}
    for chunk in _chunks(sorted(wanted)):
        for unit in db.session.scalars(select(Unit).where(Unit.name.in_(chunk))):
            found[unit.name] = unit
    for name in wanted - found.keys():
        unit = Unit(name=name)
        db.session.add(unit)
        found[name] = unit
    db.session.flush()
    return found


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def apply_upsert(rows: list[dict], actor: Optional[User] = None, *, added_for: Optional[Rollout] = None) -> UpsertResult:
    """Insert or update already validated rows, by external id, in the open transaction. People
    created here are marked as added for the rollout `added_for` (retention deletes them with it);
    people who exist already are not."""
    units = _units_by_name(row["unit"] for row in rows)
    ids = [row["external_id"] for row in rows]
    existing: dict[str, Person] = {}
    person: Optional[Person]
    for chunk in _chunks(ids):
        for person in db.session.scalars(select(Person).where(Person.external_id.in_(chunk))):
            existing[person.external_id] = person
    created = updated = 0
    email_changed: list[Person] = []
    for row in rows:
        person = existing.get(row["external_id"])
        unit = units.get(row["unit"]) if row["unit"] else None
        if person is None:
            attributes = {k: v for k, v in row["attributes"].items() if v is not None}
            person = Person(external_id=row["external_id"], name=row["name"], email=row["email"],
                            unit=unit, language=row["language"], attributes=attributes,
                            added_for_rollout_id=added_for.id if added_for is not None else None)
            person.refresh_search_text()
            db.session.add(person)
            created += 1
            continue
        attributes = dict(person.attributes or {})
        for key, value in row["attributes"].items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        changed = (person.name, person.email, person.unit_id, person.language, person.attributes) != (
            row["name"], row["email"], unit.id if unit else None, row["language"], attributes)
        if changed:
            if person.email != row["email"]:
                email_changed.append(person)
            person.name, person.email, person.unit, person.language = row["name"], row["email"], unit, row["language"]
            person.attributes = attributes
            person.refresh_search_text()
            updated += 1
    revoke_links_after_email_change(email_changed, actor)
    return UpsertResult(created, updated)


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
        revoke_links_after_email_change([person], actor)
    db.session.commit()
    return person


def revoke_links_after_email_change(changed: list[Person], actor: Optional[User]) -> int:
    """A personal link goes to one address: when the address changes, the person's live
    links (in waves not done or cancelled) are revoked, so that a changed address cannot take
    over a link; a lead sends a new one. Each revocation is in the audit log."""
    if not changed:
        return 0
    live_waves = select(Wave.id).where(Wave.state.not_in(("done", "cancelled")))
    total = 0
    for person in changed:
        result = execute_dml(
            update(FeedbackLink).where(FeedbackLink.person_id == person.id, FeedbackLink.revoked_at.is_(None),
                                       FeedbackLink.wave_id.in_(live_waves))
            .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
        if result.rowcount:
            total += result.rowcount
            audit.record(actor, "link.revoke", subject=person.external_id,
                         details={"reason": "email_changed", "links": result.rowcount})
    return total


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

