"""Who is in a wave: selection by people, units, attributes and a cumulative
percentage, with Unleash's bucket so that a feature flag with the same group
id and percentage targets exactly the same people."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

import mmh3
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, select

from ..extensions import db
from ..models import Membership, Person, Rollout, Unit, User, Wave
from . import paging
from .accounts import require_lead
from .errors import FieldErrors
from .people import ATTRIBUTE_KEY
from .validation import Limit, text_problem

CHUNK = 500
# the cumulative share of the matching people a wave takes, in per cent
PERCENTAGE = Limit(1, 100, _l("The percentage is a whole number from 1 to 100."))


def bucket(group_id: str, identifier: str) -> int:
    """Unleash's normalised bucket, 1..100: murmur3 x86 32-bit, seed 0, unsigned."""
    return mmh3.hash(f"{group_id}:{identifier}", 0, signed=False) % 100 + 1


def in_percentage(bucket_value: int, percentage: int) -> bool:
    return percentage > 0 and bucket_value <= percentage


@dataclass(frozen=True)
class Candidate:
    person_id: int
    external_id: str
    name: str
    email: str
    unit: str
    bucket: int
    explicit: bool


def clean_selection(selection: object, percentage: object, problems: FieldErrors) -> tuple[dict, Optional[int]]:
    """Validate a selection against the people and units that exist."""
    if selection is None:
        selection = {}
    if not isinstance(selection, dict):
        problems.add("selection", _("The selection must be an object."))
        return {}, None
    # null or left out is none; another empty value ("", {}, 0) is the wrong type, not none
    people = selection.get("people") if selection.get("people") is not None else []
    units = selection.get("units") if selection.get("units") is not None else []
    attributes = selection.get("attributes") if selection.get("attributes") is not None else {}
    clean: dict = {"people": [], "units": [], "attributes": {}}
    if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
        problems.add("selection.people", _("People are given as a list of external ids."))
    else:
        wanted = list(dict.fromkeys(p.strip() for p in people if p.strip()))
        known: set[str] = set()
        for chunk in _chunks(wanted):
            known.update(db.session.scalars(select(Person.external_id).where(Person.external_id.in_(chunk))))
        unknown = [p for p in wanted if p not in known]
        if unknown:
            problems.add("selection.people", _("Unknown external ids: %(ids)s.", ids=", ".join(unknown[:20])))
        clean["people"] = wanted
    if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
        problems.add("selection.units", _("Units are given as a list of unit names."))
    else:
        wanted_units = list(dict.fromkeys(u.strip() for u in units if u.strip()))
        known_units = set(db.session.scalars(select(Unit.name).where(Unit.name.in_(wanted_units)))) if wanted_units else set()
        unknown_units = [u for u in wanted_units if u not in known_units]
        if unknown_units:
            problems.add("selection.units", _("Unknown units: %(units)s.", units=", ".join(unknown_units)))
        clean["units"] = wanted_units
    if not isinstance(attributes, dict):
        problems.add("selection.attributes", _("Attributes are given as an object of names and lists of values."))
    else:
        for key, values in attributes.items():
            name = str(key).strip().lower()
            if not ATTRIBUTE_KEY.match(name):
                problems.add(f"selection.attributes.{key}", _(
                    "Attribute names are lower-case letters, digits and _ (at most 50)."))
                continue
            if isinstance(values, (str, int, float)) and not isinstance(values, bool):
                values = [values]
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
                problems.add(f"selection.attributes.{key}", _("Give a list of values for the attribute %(key)s.", key=key))
                continue
            texts = [str(v).strip() for v in values]
            if reason := next((r for r in (text_problem(t, 200) for t in texts) if r), None):
                problems.add(f"selection.attributes.{key}", reason)
                continue
            clean["attributes"][name] = texts
    if percentage is not None and percentage != "":
        percentage = PERCENTAGE.take(percentage)
        if percentage is None:
            problems.add("selection.percentage", str(PERCENTAGE.message))
    else:
        percentage = None
    if not clean["people"] and not clean["units"] and not clean["attributes"] and percentage is None:
        problems.add("selection", _("Choose at least one person, unit, attribute value or a percentage."))
    return clean, percentage


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def has_filters(wave: Wave) -> bool:
    selection = wave.selection or {}
    return bool(selection.get("units") or selection.get("attributes") or wave.percentage is not None)


def _select(rollout: Rollout, wave: Wave, taken: set[int]) -> list[Candidate]:
    selection = wave.selection or {}
    rows: list[tuple[Row[int, str, str, str, Optional[str], dict], bool]] = []
    columns = (Person.id, Person.external_id, Person.name, Person.email, Unit.name, Person.attributes)
    explicit_ids = selection.get("people") or []
    for chunk in _chunks(explicit_ids):
        rows.extend((row, True) for row in db.session.execute(
            select(*columns).outerjoin(Unit, Person.unit_id == Unit.id).where(Person.external_id.in_(chunk))))
    if has_filters(wave):
        query = select(*columns).outerjoin(Unit, Person.unit_id == Unit.id)
        if selection.get("units"):
            query = query.where(Unit.name.in_(selection["units"]))
        rows.extend((row, False) for row in db.session.execute(query))
    percentage = wave.percentage if wave.percentage is not None else 100
    wanted_attributes = selection.get("attributes") or {}
    chosen: dict[int, Candidate] = {}
    for (person_id, external_id, name, email, unit, attributes), explicit in rows:
        if person_id in taken or person_id in chosen:
            continue
        value = bucket(rollout.key, external_id)
        if not explicit:
            attributes = attributes or {}
            if any(str(attributes.get(key, "")) not in values for key, values in wanted_attributes.items()):
                continue
            if not in_percentage(value, percentage):
                continue
        chosen[person_id] = Candidate(person_id, external_id, name, email, unit or "", value, explicit)
    return sorted(chosen.values(), key=lambda c: (c.name.lower(), c.external_id))


def taken_before(rollout: Rollout, wave: Wave) -> set[int]:
    """People already in an earlier wave: its members once started, its selection before that.
    Cancelled waves hold nobody."""
    taken: set[int] = set()
    earlier = [w for w in rollout.waves if w.number < wave.number and w.state != "cancelled"]
    started = [w.id for w in earlier if w.has_started]
    if started:
        taken.update(db.session.scalars(select(Membership.person_id).where(Membership.wave_id.in_(started))))
    for other in earlier:
        if not other.has_started:
            taken.update(c.person_id for c in _select(rollout, other, taken))
    return taken


def preview(wave: Wave) -> list[Candidate]:
    """The people the selection would take if the wave started now."""
    rollout = wave.rollout
    return _select(rollout, wave, taken_before(rollout, wave))


def fix_members(wave: Wave) -> int:
    """Fix the members of a starting wave; returns how many."""
    candidates = preview(wave)
    db.session.add_all(Membership(wave_id=wave.id, person_id=c.person_id, bucket=c.bucket, explicit=c.explicit)
                       for c in candidates)
    wave.members_count = len(candidates)
    return len(candidates)


def members(wave: Wave, page: int = 1, per_page: int = 50, q: str = "") -> tuple[list[Candidate], int]:
    query = (select(Person.id, Person.external_id, Person.name, Person.email, Unit.name, Membership.bucket,
                    Membership.explicit)
             .join(Membership, Membership.person_id == Person.id)
             .outerjoin(Unit, Person.unit_id == Unit.id)
             .where(Membership.wave_id == wave.id))
    if q:
        query = query.where(Person.search_text.contains(q.strip().casefold(), autoescape=True))
    rows, total = paging.page_of(query.order_by(Person.name, Person.external_id), page, per_page, rows=True)
    return [Candidate(r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6]) for r in rows], total


def preview_for(wave: Wave, actor: Optional[User]) -> list[Candidate]:
    """The preview, for the rollout's leads only: the names, e-mails and units of the people a
    selection takes are the directory's, which reviewers do not read."""
    require_lead(actor, wave.rollout)
    return preview(wave)


def members_for(wave: Wave, actor: Optional[User], page: int = 1, per_page: int = 50) -> tuple[list[Candidate], int]:
    """The members, for the rollout's leads only (see preview_for)."""
    require_lead(actor, wave.rollout)
    return members(wave, page, per_page)


def page_of(items: Iterable[Candidate], page: int, per_page: int) -> list[Candidate]:
    """One page of candidates already in memory (a preview)."""
    start = paging.offset_of(page, per_page)
    return list(items)[start:start + per_page]
