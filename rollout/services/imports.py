"""CSV import of people: parse, validate every line, then upsert all or nothing.

The file is UTF-8 (with or without BOM; Windows-1252 from older Excel is
accepted too), separated by commas or semicolons (Swedish Excel), with the
header `external_id,name,email,unit[,language][,attribute...]`.
"""
from __future__ import annotations

import _csv
import csv
import io
from typing import Iterator, Optional

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Rollout, User
from . import audit, rollouts
from .accounts import can_view, require_people_manager
from .errors import FieldErrors
from .people import ATTRIBUTE_KEY, RESERVED, UpsertResult, apply_upsert, validate_person
from .people import upsert_people as upsert

REQUIRED_COLUMNS = ("external_id", "name", "email")
MAX_REPORTED = 1000


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_people_csv(text: str) -> list[dict]:
    """Every row of the file as validated people; ValidationFailed lists every bad line."""
    problems = FieldErrors()
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        problems.add("", _("The file is empty; the first line must be the header."), line=1)
        problems.raise_if_any(_("The file could not be imported."))
    first = lines[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [column.strip().lower() for column in next(_records(reader, problems), [])]
    problems.raise_if_any(_("The file could not be imported."))
    for column in REQUIRED_COLUMNS:
        if column not in header:
            problems.add(column, _("The header has no column %(column)s.", column=column), line=1)
    seen_columns = set()
    for column in header:
        if column in seen_columns:
            problems.add(column, _("The column %(column)s appears twice in the header.", column=column), line=1)
        seen_columns.add(column)
        if column not in RESERVED and not ATTRIBUTE_KEY.match(column):
            problems.add(column, _("Attribute columns are named with lower-case letters, digits and _."), line=1)
    problems.raise_if_any(_("The file could not be imported: the header is not right."))
    attribute_columns = [c for c in header if c not in RESERVED]
    rows: list[dict] = []
    first_line_of: dict[str, int] = {}
    for record in _records(reader, problems):
        line = reader.line_num
        if len(problems.items) >= MAX_REPORTED - 1:
            problems.add("", _("Stopped after %(n)s errors; correct these and import again.", n=MAX_REPORTED),
                         line=line)
            break
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.add("", _("Expected %(expected)s fields but found %(found)s.", expected=len(header), found=len(record)), line=line)
            continue
        values = dict(zip(header, (cell.strip() for cell in record), strict=True))
        data = {
            "external_id": values.get("external_id"),
            "name": values.get("name"),
            "email": values.get("email"),
            "unit": values.get("unit", ""),
            "language": values.get("language") or "sv",
            "attributes": {c: values[c] for c in attribute_columns},
        }
        row = validate_person(data, problems, line=line)
        if row is None:
            continue
        if row["external_id"] in first_line_of:
            problems.add("external_id",
                         _("The external id %(id)s is also on line %(line)s.", id=row["external_id"], line=first_line_of[row["external_id"]]),
                         line=line)
            continue
        first_line_of[row["external_id"]] = line
        rows.append(row)
    if not rows and not problems.items:
        problems.add("", _("The file has a header but no people."), line=2)
    problems.raise_if_any(_("Nothing was imported: the file has errors."))
    return rows


def _records(reader: _csv.Reader, problems: FieldErrors) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot read is reported with its number, and ends the file."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.add("", _("This line cannot be read as CSV: %(reason)s.", reason=str(error)),
                         line=max(reader.line_num, 1))
            return


def rollout_to_import_for(key: object, actor: Optional[User]) -> Optional[Rollout]:
    """The rollout named by `key` that people are imported for (None without a key); a key of
    no rollout the actor may see, or of one whose personal data is purged, is a ValidationFailed."""
    if key is None or key == "":
        return None
    problems = FieldErrors()
    rollout = None
    if isinstance(key, str) and rollouts.KEY.match(key.strip()):
        rollout = db.session.scalar(select(Rollout).where(Rollout.key == key.strip()))
    if rollout is None or (actor is not None and not can_view(actor, rollout)):
        problems.add("rollout", _("No such rollout."))
    elif rollout.purged_at is not None:
        problems.add("rollout", _("This rollout's personal data has been purged; import the people without it."))
    problems.raise_if_any(_("Nothing was imported: the rollout is not right."))
    return rollout


def import_people_csv(data: bytes | str, actor: Optional[User], *, source: str = "csv",
                      for_rollout: Optional[str] = None) -> UpsertResult:
    """Import the file, all or nothing. With `for_rollout` (a key), the people it adds are marked as
    added for that rollout, so that its retention deletes them with it when they are in no other."""
    require_people_manager(actor)
    rollout = rollout_to_import_for(for_rollout, actor)
    text = decode(data) if isinstance(data, bytes) else data
    rows = parse_people_csv(text)
    result = apply_upsert(rows, actor, added_for=rollout)
    details = {"source": source, "created": result.created, "updated": result.updated, "rows": len(rows)}
    if rollout is not None:
        details["for_rollout"] = rollout.key
    audit.record(actor, "people.import", details=details)
    db.session.commit()
    return result


def upsert_people(items: list, actor: Optional[User], *, source: str = "api",
                  for_rollout: Optional[str] = None) -> UpsertResult:
    """people.upsert_people, optionally for a rollout named by its key (as import_people_csv)."""
    require_people_manager(actor)
    return upsert(items, actor, source=source, added_for=rollout_to_import_for(for_rollout, actor))
