"""Data for the figures, written fast and straight to the tables (COPY on PostgreSQL,
executemany on SQLite): the figures time the app's work, not the setting up. What the app
itself would have to write through its services (a wave's members, links) goes through them."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import text

UNITS = 12
SITES = 5


def bulk_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write `rows` to `table` in the open app's database, in one transaction."""
    from rollout.extensions import db
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        names = ", ".join(columns)
        if db.engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        connection.commit()
    finally:
        connection.close()


def units() -> dict[str, int]:
    """The units `people` puts people in (Enhet 0..11), made once; name -> id."""
    from rollout.extensions import db
    now = datetime.now(timezone.utc)
    existing = dict(db.session.execute(text("SELECT name, id FROM units")).all())
    missing = [(f"Enhet {i}", now) for i in range(UNITS) if f"Enhet {i}" not in existing]
    if missing:
        bulk_rows("units", ("name", "created_at"), missing)
        existing = dict(db.session.execute(text("SELECT name, id FROM units")).all())
    return existing


def person_values(i: int) -> tuple[str, str, str, str]:
    """external id, name, e-mail and unit of the i-th person (the same in the CSV and the tables)."""
    return f"e{i}", f"Person {i}", f"person{i}@example.se", f"Enhet {i % UNITS}"


def people(count: int, start: int = 0) -> None:
    """`count` people with a unit and one attribute (site), as an import would leave them."""
    ids = units()
    now = datetime.now(timezone.utc)

    def rows():
        for i in range(start, start + count):
            external_id, name, email, unit = person_values(i)
            search = f"{name} {email} {external_id}".casefold()
            yield (external_id, name, email, ids[unit], "sv", f'{{"site": "Plats {i % SITES}"}}', search, now, now)

    bulk_rows("people", ("external_id", "name", "email", "unit_id", "language", "attributes", "search_text",
                         "created_at", "updated_at"), rows())


def people_csv(count: int) -> bytes:
    """The file a people manager would import: `count` people, with a site attribute column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["external_id", "name", "email", "unit", "site"])
    for i in range(count):
        writer.writerow([*person_values(i), f"Plats {i % SITES}"])
    return out.getvalue().encode()


def responses(wave, count: int) -> None:
    """`count` responses to `wave` (satisfaction 1-5 in turn, yes on day one, 0-3 hours lost):
    the rows, then their answers set-based from them."""
    from rollout.extensions import db
    from rollout.services import tallies
    now = datetime.now(timezone.utc)
    rows = ((wave.id, wave.questionnaire_id, f"bulk-{wave.id}-{i}", "sv", now, now, 0) for i in range(count))
    bulk_rows("responses", ("wave_id", "questionnaire_id", "respondent_key", "language", "submitted_at",
                            "updated_at", "edits"), rows)
    for code, option, number in (("satisfaction", None, "1 + id % 5"), ("worked_day_one", "'yes'", "1"),
                                 ("hours_lost", None, "id % 4")):
        db.session.execute(text(
            f"INSERT INTO answers (response_id, wave_id, code, option, number) "
            f"SELECT id, wave_id, '{code}', {option or 'NULL'}, {number} FROM responses WHERE wave_id = :wave"),
            {"wave": wave.id})
    tallies.rebuild(wave.id)  # what a submit keeps current, counted once for the rows written here
    wave.members_count = max(wave.members_count, count)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE responses; ANALYZE answers"))


def feedback_wave(key: str, members: int, *, first_person: int = 0, seeded: bool = False):
    """A rollout `key` whose one wave (0) has started with `members` people and is collecting
    feedback: members and links made by the app's own transitions. With `seeded`, the people
    exist already (e{first_person}..); otherwise they are written here first."""
    from rollout.extensions import db
    from rollout.services import rollouts, waves
    if not seeded:
        people(members, start=first_person)
    rollout = rollouts.create_rollout({"key": key, "name": f"Bench {key}"}, None)
    chosen = [f"e{i}" for i in range(first_person, first_person + members)]
    wave = waves.create_wave(rollout, {"name": "Pilot", "selection": {"people": chosen}}, None)
    waves.transition(wave, "active", None)
    waves.transition(wave, "feedback", None)
    db.session.commit()
    return rollout, wave


def tokens_of(wave) -> list[str]:
    """The personal token of every member's link (made from the secret, as the e-mails carry it)."""
    from rollout.extensions import db
    from rollout.services.feedback.keys import link_token
    rows = db.session.execute(text("SELECT person_id, nonce FROM feedback_links WHERE wave_id = :wave "
                                   "ORDER BY id"), {"wave": wave.id}).all()
    return [link_token(wave.id, person_id, nonce) for person_id, nonce in rows]


def api_token() -> tuple[str, object]:
    """An administrator and their bearer token, for the API and the charts."""
    from rollout.services import accounts
    user = accounts.create_user("bench@example.se", "Bench", "correct horse battery", is_admin=True)
    return accounts.create_token(user, "bench")[1], user
