"""The hot lookups use an index on PostgreSQL, not a sequential scan of a big table.

The module seeds, once, a few thousand rows into the tables the lookups read (people, users, API tokens,
memberships, links, responses, e-mails), ANALYZEs; each test then makes one real request (or runs the
scheduler's delivery) while recording every SQL statement the app sends (SQLAlchemy's
before_cursor_execute), picks the lookup from them, and EXPLAINs that exact statement with its
parameters: when the code changes its query, the test follows it. A lookup that is no longer
issued at all fails the test too (the test would otherwise check nothing).

Sessions are signed cookies (rollout/sessions.py): a session's only query is its user by primary key.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import event, insert, select, text

from rollout.extensions import db
from rollout.models import ApiToken, FeedbackLink, Membership, Notification, Person, Response, User, Wave
from rollout.services import notify, waves

from . import builders
from .conftest import fresh_postgres_database, make_app

pytestmark = pytest.mark.postgres_only

ROWS = 3000  # enough that PostgreSQL's planner prefers an index over reading the table

Statement = tuple[str, Any]


@pytest.fixture(scope="module")
def seeded():
    """A database of this module's own, seeded once: a rollout "explain" with a pilot wave of
    three people collecting feedback (made by the services) and ROWS responses, beside a big
    wave with ROWS memberships and links; ROWS more people, users, API tokens and sent e-mails
    (written straight to the tables), all ANALYZEd. Yields (app, pilot wave id)."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        pytest.skip("EXPLAIN plans are PostgreSQL's")
    with fresh_postgres_database(server, "rollout_explain") as url:
        app = make_app(url, SECRET_KEY="test-secret")
        with app.test_request_context():
            db.create_all()
            pilot_id = seed()
        with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        yield app, pilot_id
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def seed() -> int:
    lead = builders.make_user("lead@example.se", "Lena Lead", creator=True, people_manager=True)
    builders.make_people(3)
    rollout = builders.make_rollout("explain", lead)
    pilot = builders.make_wave(rollout, lead, name="Pilot", people=["p1", "p2", "p3"])
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    big = builders.make_wave(rollout, lead, name="Big", people=["p3"])  # its members are written below
    db.session.commit()
    person_ids = db.session.scalars(insert(Person).returning(Person.id), [
        {"external_id": f"bulk{i}", "name": f"Bulk {i}", "email": f"bulk{i}@example.se",
         "search_text": f"bulk {i}"} for i in range(ROWS)]).all()
    user_ids = db.session.scalars(insert(User).returning(User.id), [
        {"email": f"user{i}@example.se", "name": f"User {i}", "password_hash": "-"} for i in range(ROWS)]).all()
    db.session.execute(insert(ApiToken), [{"user_id": user_id, "token_hash": f"{i:064x}", "prefix": f"{i:08x}"}
                                          for i, user_id in enumerate(user_ids)])
    db.session.execute(insert(Membership), [{"wave_id": big.id, "person_id": p, "bucket": i % 100}
                                            for i, p in enumerate(person_ids)])
    db.session.execute(insert(FeedbackLink), [{"wave_id": big.id, "person_id": p, "nonce": f"n{i}",
                                               "token_hash": f"{i:064x}"} for i, p in enumerate(person_ids)])
    db.session.execute(insert(Response), [{"wave_id": pilot.id, "questionnaire_id": pilot.questionnaire_id,
                                           "respondent_key": f"bulk-{i}"} for i in range(ROWS)])
    db.session.execute(insert(Notification), [
        {"dedupe_key": f"invitation:{big.id}:{p}", "kind": "invitation", "wave_id": big.id, "person_id": p,
         "to_address": f"bulk{i}@example.se", "subject": "Inbjudan", "body_text": "", "status": "sent"}
        for i, p in enumerate(person_ids)])
    db.session.commit()
    return pilot.id


@contextmanager
def recorded() -> Iterator[list[Statement]]:
    """Every statement (with its parameters) the app sends while the block runs."""
    found: list[Statement] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if not executemany:
            found.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def lookup(found: list[Statement], table: str, column: str) -> Statement:
    """The first SELECT that reads `table` with a condition on `column`, or UPDATE that finds its rows so."""
    reads = re.compile(rf"\bFROM\b.*\b{table}\b.*\bWHERE\b.*\b{table}\.{column}\b", re.S | re.I)
    updates = re.compile(rf"^\s*UPDATE\s+{table}\b.*\bWHERE\b.*\b{table}\.{column}\b", re.S | re.I)
    for statement, parameters in found:
        if (statement.lstrip().upper().startswith("SELECT") and reads.search(statement)) or updates.search(statement):
            return statement, parameters
    issued = "\n".join(s.split("\n", 1)[0][:120] for s, _p in found)
    raise AssertionError(f"no SELECT on {table} by {column} among the statements:\n{issued}")


def plan_of(statement: str, parameters: Any) -> dict:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()[0]["Plan"]


def nodes(plan: dict, under: str = "") -> Iterator[tuple[dict, str]]:
    """Every plan node with the table its bitmap heap scan reads (for its bitmap index scans)."""
    table = plan.get("Relation Name", under) if plan["Node Type"] == "Bitmap Heap Scan" else under
    yield plan, table
    for child in plan.get("Plans", []):
        yield from nodes(child, table)


def assert_indexed(statement: Statement, table: str, column: str) -> None:
    """The plan reads `table` through an index whose condition names `column`, and never scans it whole."""
    plan = plan_of(*statement)
    seq = [n for n, _t in nodes(plan) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table]
    assert not seq, f"Seq Scan on {table}: {plan}"
    indexed = [n for n, heap in nodes(plan)
               if n["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
               and table in (n.get("Relation Name"), heap) and column in n.get("Index Cond", "")]
    assert indexed, f"no index condition on {table}.{column}: {plan}"


def token_of(pilot) -> str:
    return builders.wave_tokens(pilot)["p1"]


def lead_of() -> User:
    return db.session.scalars(select(User).where(User.email == "lead@example.se")).one()


def open_link(client, pilot, _lead) -> None:
    assert client.get(f"/f/{token_of(pilot)}").status_code == 200


def submit(client, pilot, _lead) -> None:
    """An edit: the second submit through the same link finds (and locks) the response."""
    for rating in (4, 5):
        answers = {"satisfaction": rating, "worked_day_one": "yes"}
        assert client.post(f"/api/v1/feedback/{token_of(pilot)}", json={"answers": answers}).status_code == 200


def members(client, pilot, lead) -> None:
    token = builders.make_token(lead)
    response = client.get(f"/api/v1/rollouts/explain/waves/{pilot.number}/members",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)


def person_export(client, _pilot, lead) -> None:
    token = builders.make_token(lead)
    response = client.get("/api/v1/people/p2/export", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)


def deliver(_client, _pilot, _lead) -> None:
    db.session.commit()
    notify.deliver_pending()  # the scheduler's tick: claims what is due (the pilot's invitations)


def signed_in_page(client, _pilot, _lead) -> None:
    assert client.post("/login", data={"email": "lead@example.se", "password": builders.PASSWORD}).status_code == 302
    assert client.get("/rollouts/", follow_redirects=True).status_code == 200


CASES: list[Any] = [
    pytest.param(open_link, "feedback_links", "token_hash", id="link by token hash"),
    pytest.param(open_link, "responses", "respondent_key", id="response by wave and respondent key"),
    pytest.param(submit, "responses", "respondent_key", id="response to edit, locked"),
    pytest.param(members, "api_tokens", "token_hash", id="api token by hash"),
    pytest.param(members, "memberships", "wave_id", id="memberships of a wave"),
    pytest.param(person_export, "people", "external_id", id="person by external id"),
    pytest.param(deliver, "notifications", "status", id="e-mails due in the outbox"),
    pytest.param(signed_in_page, "users", "id", id="a session's user"),
]


@pytest.mark.parametrize(("request_kind", "table", "column"), CASES)
def test_a_hot_lookup_reads_its_table_through_an_index(seeded, request_kind: Callable[..., None], table: str,
                                                       column: str):
    """A user would notice a sequential scan as a page that gets slower with every row."""
    app, pilot_id = seeded
    with app.test_request_context():
        pilot, lead = db.session.get(Wave, pilot_id), lead_of()
        with recorded() as found:
            request_kind(app.test_client(), pilot, lead)
        assert_indexed(lookup(found, table, column), table, column)
        db.session.remove()
