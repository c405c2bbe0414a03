"""The selection as the app made it before it was set-based (every person read, bucketed in
Python, earlier waves taken away in order): the reference that tests/test_cohorts_set_based.py
holds the SQL to. Kept as it was, but for reading people in one query."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from rollout.extensions import db
from rollout.models import Membership, Person, Rollout, Unit, Wave
from rollout.services.buckets import bucket


@dataclass(frozen=True)
class Chosen:
    person_id: int
    external_id: str
    name: str
    bucket: int
    explicit: bool


def has_filters(wave: Wave) -> bool:
    selection = wave.selection or {}
    return bool(selection.get("units") or selection.get("attributes") or wave.percentage is not None)


def select_people(rollout: Rollout, wave: Wave, taken: set[int]) -> list[Chosen]:
    selection = wave.selection or {}
    columns = (Person.id, Person.external_id, Person.name, Unit.name, Person.attributes)
    rows: list[tuple] = []
    explicit_ids = selection.get("people") or []
    if explicit_ids:
        rows.extend((row, True) for row in db.session.execute(
            select(*columns).outerjoin(Unit, Person.unit_id == Unit.id).where(Person.external_id.in_(explicit_ids))))
    if has_filters(wave):
        query = select(*columns).outerjoin(Unit, Person.unit_id == Unit.id)
        if selection.get("units"):
            query = query.where(Unit.name.in_(selection["units"]))
        rows.extend((row, False) for row in db.session.execute(query))
    percentage = wave.percentage if wave.percentage is not None else 100
    wanted_attributes = selection.get("attributes") or {}
    chosen: dict[int, Chosen] = {}
    for (person_id, external_id, name, _unit, attributes), explicit in rows:
        if person_id in taken or person_id in chosen:
            continue
        value = bucket(rollout.key, external_id)
        if not explicit:
            attributes = attributes or {}
            if any(str(attributes.get(key, "")) not in values for key, values in wanted_attributes.items()):
                continue
            if not (percentage > 0 and value <= percentage):
                continue
        chosen[person_id] = Chosen(person_id, external_id, name, value, explicit)
    return sorted(chosen.values(), key=lambda c: (c.name.lower(), c.external_id))


def taken_before(rollout: Rollout, wave: Wave) -> set[int]:
    taken: set[int] = set()
    earlier = [w for w in rollout.waves if w.number < wave.number and w.state != "cancelled"]
    started = [w.id for w in earlier if w.has_started]
    if started:
        taken.update(db.session.scalars(select(Membership.person_id).where(Membership.wave_id.in_(started))))
    for other in earlier:
        if not other.has_started:
            taken.update(c.person_id for c in select_people(rollout, other, taken))
    return taken


def preview(wave: Wave, rollout: Optional[Rollout] = None) -> list[Chosen]:
    rollout = rollout or wave.rollout
    return select_people(rollout, wave, taken_before(rollout, wave))
