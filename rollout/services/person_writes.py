"""Writing people many at a time: the units they name and the upsert by external id, set-based
(shared by the CSV import's batches and the JSON upsert), and what a changed address revokes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Optional

from sqlalchemy import Insert, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db, execute_dml
from ..models import FeedbackLink, Person, Rollout, Unit, User, Wave
from ..models.types import utcnow
from . import audit

CHUNK = 500


@dataclass
class UpsertResult:
    created: int
    updated: int


def _insert_ignoring_duplicates(table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING: a unit another import creates at the same moment is no error."""
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


_UNITS: Table = Unit.__table__  # type: ignore[assignment]


def unit_ids(names: Iterable[str]) -> dict[str, int]:
    """The ids of the units of these names, creating the missing ones (set-based: a query per CHUNK)."""
    wanted = sorted({n for n in names if n})
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update(_unit_ids_of(chunk))
    missing = [name for name in wanted if name not in found]
    if missing:
        now = utcnow()
        db.session.execute(_insert_ignoring_duplicates(_UNITS), [{"name": n, "created_at": now} for n in missing])
        for chunk in _chunks(missing):
            found.update(_unit_ids_of(chunk))
    return found


def _unit_ids_of(names: list[str]) -> dict[str, int]:
    return {name: unit_id for name, unit_id in db.session.execute(select(Unit.name, Unit.id).where(Unit.name.in_(names)))}


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def search_text(name: str, email: str, external_id: str) -> str:
    """What a search matches (as Person.refresh_search_text): case-folded in Python, since SQLite's
    lower() knows no å, ä, ö."""
    return " ".join((name or "", email or "", external_id or "")).casefold()


_PEOPLE: Table = Person.__table__  # type: ignore[assignment]  # a declarative model's table is a Table
_UPDATE_PERSON = (update(_PEOPLE).where(_PEOPLE.c.id == bindparam("person_id"))
                  .values({name: bindparam(f"new_{name}") for name in (
                      "name", "email", "unit_id", "language", "attributes", "search_text", "updated_at")}))


def _insert_many(table: Table, rows: list[dict]) -> None:
    """An INSERT of many rows with the driver's executemany: the statement compiled once and each
    value processed by its column's type as SQLAlchemy would, but once per batch where all rows
    have the same (the timestamps); SQLAlchemy's own work per row is most of a large import."""
    dialect = db.engine.dialect
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    processors = {key: table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys}
    values: dict[str, Callable[[Any], Any]] = {}
    for key, process in processors.items():
        if process is None:
            continue
        if all(row[key] is rows[0][key] for row in rows):
            values[key] = _constant(process(rows[0][key]))
        else:
            values[key] = process
    positional = compiled.positiontup is not None
    order = list(compiled.positiontup or keys)
    prepared = [tuple(values[k](row[k]) if k in values else row[k] for k in order) if positional
                else {k: values[k](row[k]) if k in values else row[k] for k in order} for row in rows]
    db.session.connection().exec_driver_sql(compiled.string, prepared)


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _value: value


def apply_upsert(rows: list[dict], actor: Optional[User] = None, *, added_for: Optional[Rollout] = None) -> UpsertResult:
    """Insert or update already validated rows, by external id, in the open transaction, set-based:
    per CHUNK rows one query for the units, one for the people who exist, one INSERT and one UPDATE
    of many rows. People created here are marked as added for the rollout `added_for` (retention
    deletes them with it); people who exist already are not. An attribute given as None is
    removed from a person who has it; one not given is kept."""
    created = updated = 0
    for chunk in _chunks(rows):
        more_created, more_updated = _upsert_chunk(chunk, actor, added_for)
        created, updated = created + more_created, updated + more_updated
    return UpsertResult(created, updated)


def _upsert_chunk(rows: list[dict], actor: Optional[User], added_for: Optional[Rollout]) -> tuple[int, int]:
    units = unit_ids(row["unit"] for row in rows)
    existing = {person.external_id: person for person in db.session.execute(
        select(_PEOPLE.c.id, _PEOPLE.c.external_id, _PEOPLE.c.name, _PEOPLE.c.email, _PEOPLE.c.unit_id,
               _PEOPLE.c.language, _PEOPLE.c.attributes)
        .where(_PEOPLE.c.external_id.in_([row["external_id"] for row in rows])))}
    now = utcnow()
    added_for_id = added_for.id if added_for is not None else None
    inserts: list[dict] = []
    updates: list[dict] = []
    email_changed: list[tuple[int, str]] = []
    for row in rows:
        unit_id = units[row["unit"]] if row["unit"] else None
        person = existing.get(row["external_id"])
        if person is None:
            inserts.append({
                "external_id": row["external_id"], "name": row["name"], "email": row["email"], "unit_id": unit_id,
                "language": row["language"], "added_for_rollout_id": added_for_id, "created_at": now, "updated_at": now,
                "attributes": {k: v for k, v in row["attributes"].items() if v is not None},
                "search_text": search_text(row["name"], row["email"], row["external_id"])})
            continue
        attributes = dict(person.attributes or {})
        for key, value in row["attributes"].items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        if (person.name, person.email, person.unit_id, person.language, person.attributes or {}) == (
                row["name"], row["email"], unit_id, row["language"], attributes):
            continue
        if person.email != row["email"]:
            email_changed.append((person.id, person.external_id))
        updates.append({"person_id": person.id, "new_name": row["name"], "new_email": row["email"],
                        "new_unit_id": unit_id, "new_language": row["language"], "new_attributes": attributes,
                        "new_search_text": search_text(row["name"], row["email"], row["external_id"]),
                        "new_updated_at": now})
    if inserts:
        _insert_many(_PEOPLE, inserts)
    if updates:
        db.session.execute(_UPDATE_PERSON, updates, execution_options={"synchronize_session": False})
    revoke_links_after_email_change(email_changed, actor)
    return len(inserts), len(updates)


def revoke_links_after_email_change(changed: list[tuple[int, str]], actor: Optional[User]) -> int:
    """A personal link goes to one address: when the address changes, the person's live
    links (in waves not done or cancelled) are revoked, so that a changed address cannot take
    over a link; a lead sends a new one. Each revocation is in the audit log. `changed`: the
    people's (id, external id)."""
    if not changed:
        return 0
    live_waves = select(Wave.id).where(Wave.state.not_in(("done", "cancelled")))
    total = 0
    for person_id, external_id in changed:
        result = execute_dml(
            update(FeedbackLink).where(FeedbackLink.person_id == person_id, FeedbackLink.revoked_at.is_(None),
                                       FeedbackLink.wave_id.in_(live_waves))
            .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
        if result.rowcount:
            total += result.rowcount
            audit.record(actor, "link.revoke", subject=external_id,
                         details={"reason": "email_changed", "links": result.rowcount})
    return total
