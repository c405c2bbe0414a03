"""Who is in a wave: selection by people, units, attributes and a cumulative
percentage, with Unleash's bucket so that a feature flag with the same group
id and percentage targets exactly the same people.

Set-based: the buckets are stored (services/buckets.py), a selection is one SQL query (the
earlier waves' choices as common table expressions, in wave order), a start is one
INSERT ... SELECT, and a preview is a count and one page."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional
from typing import cast as typed

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    Table,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db, execute_dml
from ..models import Bucket, Membership, Person, Unit, User, Wave
from ..models.types import UTCDateTime, utcnow
from . import bucket_jobs, buckets, paging
from .accounts import require_lead
from .errors import FieldErrors
from .people import ATTRIBUTE_KEY
from .validation import Limit, text_problem

CHUNK = 500
bucket = buckets.bucket  # Unleash's normalised bucket, 1..100 (see services/buckets.py)
# the cumulative share of the matching people a wave takes, in per cent
PERCENTAGE = Limit(1, 100, _l("The percentage is a whole number from 1 to 100."))


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


def _listed(column: ColumnElement[str] | InstrumentedAttribute[str], values: list[str]) -> ColumnElement[bool]:
    """`column` IN `values`, bound as one JSON array: one statement for 3 people or 30,000."""
    if db.session.get_bind().dialect.name == "postgresql":
        elements = func.jsonb_array_elements_text(literal(values, JSONB())).table_valued("value")
    else:
        elements = func.json_each(literal(json.dumps(values))).table_valued("value")
    return column.in_(select(elements.c.value))


def _attribute(key: str) -> ColumnElement[str]:
    """A person's value of an attribute as text, '' when they have none (PostgreSQL: ->>;
    SQLite: json_extract, cast so that a stored number compares as its text)."""
    return func.coalesce(cast(Person.attributes[key].as_string(), String), "")


def _chosen(wave: Wave, excluded: list[ColumnElement[bool]], *, named: Optional[bool] = None,
            band: Optional[tuple[int, int]] = None) -> Select[int, int, bool]:
    """(person_id, bucket, explicit) of the people `wave`'s selection takes, but for those that
    `excluded` rules out. Only the people named (`named=True`) or only the others (False), and
    only the filtered people within a band of buckets, when given: a start in steps."""
    selection = wave.selection or {}
    people = list(selection.get("people") or [])
    units, attributes = selection.get("units") or [], selection.get("attributes") or {}

    def taking(explicit: bool, *, by_person: bool = True) -> Select[int, int, bool]:
        query = (select(Bucket.person_id.label("person_id"), Bucket.value.label("bucket"),
                        (true() if explicit else false()).label("explicit"))
                 .where(Bucket.rollout_id == wave.rollout_id, *excluded))
        # a percentage alone is a range of the buckets' index: the people table is not read
        return query.join(Person, Person.id == Bucket.person_id) if by_person else query

    parts = []
    if people and named is not False:
        parts.append(taking(True).where(_listed(Person.external_id, people)))
    percentage = wave.percentage if wave.percentage is not None else 100
    low, high = band or (1, 100)
    if has_filters(wave) and named is not True and low <= min(high, percentage):
        query = taking(False, by_person=bool(people or units or attributes))
        if low > 1 or min(high, percentage) < 100:
            query = query.where(Bucket.value.between(low, min(high, percentage)))
        if units:
            query = query.join(Unit, Unit.id == Person.unit_id).where(Unit.name.in_(units))
        for key, values in attributes.items():
            query = query.where(_attribute(key).in_(values))
        if people:
            query = query.where(~_listed(Person.external_id, people))
        parts.append(query)
    if not parts:
        return taking(False).where(false())
    return parts[0] if len(parts) == 1 else select(union_all(*parts).subquery())


def _excluded(wave: Wave) -> list[ColumnElement[bool]]:
    """Who an earlier wave already holds, as conditions on the bucket's person: the members of
    the started ones; for the others, in wave order, what each selection takes of the rest.
    Cancelled waves hold nobody."""
    earlier = [w for w in wave.rollout.waves if w.number < wave.number and w.state != "cancelled"]
    started = [w.id for w in earlier if w.has_started]
    excluded: list[ColumnElement[bool]] = []
    if started:
        excluded.append(~exists().where(Membership.person_id == Bucket.person_id, Membership.wave_id.in_(started)))
    for index, other in enumerate(w for w in earlier if not w.has_started):
        taken = _chosen(other, list(excluded)).cte(f"earlier_wave_{index}")
        excluded.append(~exists().where(taken.c.person_id == Bucket.person_id))
    return excluded


def _selection(wave: Wave) -> Subquery:
    """The selection as a subquery, once the rollout's buckets are complete (bucket_jobs.ready:
    BucketsPending while a job still stores them)."""
    bucket_jobs.ready(wave.rollout)
    return _chosen(wave, _excluded(wave)).subquery("chosen")


def takes_anyone(wave: Wave) -> bool:
    """Whether the selection would take somebody if the wave started now (stops at the first)."""
    return bool(db.session.scalar(select(exists(select(_selection(wave).c.person_id)))))


def preview_page(wave: Wave, page: int = 1, per_page: Optional[int] = 50) -> tuple[list[Candidate], int]:
    """One page of the people the selection would take if the wave started now, by name, and how
    many it takes in all (`per_page` None: all of them)."""
    chosen = _selection(wave)
    total = db.session.scalar(select(func.count()).select_from(chosen)) or 0
    query = (select(Person.id, Person.external_id, Person.name, Person.email, Unit.name, chosen.c.bucket,
                    chosen.c.explicit)
             .join(chosen, chosen.c.person_id == Person.id).outerjoin(Unit, Person.unit_id == Unit.id)
             .order_by(func.lower(Person.name), Person.external_id))
    if per_page is not None:
        query = query.limit(per_page).offset(paging.offset_of(page, per_page))
    rows = db.session.execute(query).all()
    return [Candidate(r[0], r[1], r[2], r[3], r[4] or "", r[5], bool(r[6])) for r in rows], total


def preview(wave: Wave) -> list[Candidate]:
    """Everyone the selection would take if the wave started now (small selections and tests;
    pages use preview_page)."""
    return preview_page(wave, per_page=None)[0]


def preview_count(wave: Wave) -> int:
    return preview_page(wave, per_page=0)[1]


def fix_members(wave: Wave, progress: Optional[Callable[[int, int], None]] = None) -> int:
    """Fix the members of a starting wave, set-based, in the open transaction; returns how many.
    One INSERT ... SELECT; with `progress`, eleven (the people named, then ten bands of buckets),
    calling progress(steps done, steps) after each (it may commit: the steps do not overlap).
    The start's guard (takes_anyone) has completed the buckets in this transaction already."""
    buckets.top_up(wave.rollout)
    excluded = _excluded(wave)
    steps: list[dict[str, Any]] = [{}]
    if progress is not None:
        steps = [{"named": True}] + [{"named": False, "band": (low, low + 9)} for low in range(1, 101, 10)]
    now = utcnow()
    fixed = 0
    for done, step in enumerate(steps, start=1):
        chosen = _chosen(wave, excluded, **step).subquery("chosen")
        rows = select(literal(wave.id), chosen.c.person_id, chosen.c.bucket, chosen.c.explicit,
                      literal(now, UTCDateTime())).order_by(chosen.c.person_id)
        inserted = execute_dml(insert(typed(Table, Membership.__table__)).from_select(
            ["wave_id", "person_id", "bucket", "explicit", "added_at"], rows)
            .execution_options(preserve_rowcount=True)).rowcount  # psycopg forgets it once closed
        if inserted < 0:  # Python's sqlite3 counts no rows of a statement that begins WITH (the CTEs)
            inserted = db.session.scalar(text("SELECT changes()")) or 0
        fixed += inserted
        if progress is not None:
            progress(done, len(steps))
    wave.members_count = fixed
    return fixed


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


def preview_for(wave: Wave, actor: Optional[User], page: int = 1, per_page: int = 50) -> tuple[list[Candidate], int]:
    """One page of the preview and its total, for the rollout's leads only: the names, e-mails
    and units of the people a selection takes are the directory's, which reviewers do not read.
    Commits the buckets it had to compute (a page that reads has nothing else to commit)."""
    require_lead(actor, wave.rollout)
    result = preview_page(wave, page, per_page)
    db.session.commit()
    return result


def preview_total(wave: Wave) -> int:
    """How many the selection takes, for anyone who reads the wave (a count, no names); commits
    the buckets it had to compute."""
    total = preview_count(wave)
    db.session.commit()
    return total


def members_for(wave: Wave, actor: Optional[User], page: int = 1, per_page: int = 50) -> tuple[list[Candidate], int]:
    """The members, for the rollout's leads only (see preview_for)."""
    require_lead(actor, wave.rollout)
    return members(wave, page, per_page)
