"""`rollout backup` and `rollout restore`: a backup taken while the app serves and participants
submit is one moment's database, and restored into a new instance it holds every submission
acknowledged before the backup began, with tallies that agree with the answers. Refusals change
nothing. On this run's backend: SQLite files, or new PostgreSQL databases."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text

from rollout.extensions import db
from rollout.models import Answer, Person, Response
from rollout.services import waves

from . import builders
from .conftest import ROOT, fresh_postgres_database, make_app
from .live_writes import Traffic, backup_while_serving, request, serving, stored_answers

SECRET = "backup-test-secret"  # the restored instance has the secret of the one backed up, as it must
KEY = "win11-2027"
RESULTS = f"/api/v1/rollouts/{KEY}/waves/0/results"
OLDER_REVISION = "0012_membership_index"


@pytest.fixture
def new_database(database_url, tmp_path):
    """new_database(name) -> the URL of a new, empty database on this run's backend (an SQLite file
    not made yet, or a new PostgreSQL database), dropped after the test."""
    with ExitStack() as stack:
        def make(name: str) -> str:
            if database_url.startswith("postgresql"):
                return stack.enter_context(fresh_postgres_database(database_url, f"rollout_bk_{name}"))
            return f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        yield make


@contextmanager
def instance(url: str, revision: str = "head"):
    """The app on `url`, its schema made by the migrations (as `flask db upgrade` does)."""
    app = make_app(url, SECRET_KEY=SECRET)
    with app.app_context():
        upgrade(revision=revision)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def environment(url: str) -> dict[str, str]:
    """An operator's shell for the instance on `url`."""
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT)}


def flask_command(url: str, *args: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi rollout ...` in a process of its own, as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "rollout", *args], cwd=ROOT,
                          env=environment(url), capture_output=True, text=True, timeout=120)


def feedback_wave(app, people: int = 12) -> tuple[dict[str, str], str]:
    """A lead, `people` people in the pilot collecting feedback: their personal tokens, and the
    lead's API token."""
    with app.test_request_context():
        lead = builders.make_user("lead@example.se", "Lena Lead", people_manager=True)
        builders.make_people(people, prefix="bk")
        rollout = builders.make_rollout(KEY, lead=lead)
        pilot = builders.make_wave(rollout, lead, name="Pilot", percentage=100)
        waves.transition(pilot, "active", lead)
        waves.transition(pilot, "feedback", lead)
        db.session.commit()
        return builders.wave_tokens(pilot), builders.make_token(lead)


def test_a_backup_during_writes_restores_every_acknowledged_submission(new_database, tmp_path):
    source_url, restored_url = new_database("serving"), new_database("restored")
    backup_file = tmp_path / "rollout.backup"
    with instance(source_url) as app:
        tokens, api_token = feedback_wave(app)
        with serving(app) as port, Traffic(port, sorted(tokens.values()), RESULTS, api_token).running() as traffic:
            traffic.wait_for(acknowledged=25)
            made, began, ended = backup_while_serving(source_url, backup_file, environment(source_url))
            # a submission was being written while the copy was taken (the writer never pauses)
            overlapping = [s for s in traffic.sent if s.started < ended and (s.ended > began or not s.ended)]
            traffic.wait_for(acknowledged=traffic.acknowledged() + 10)
        assert made.returncode == 0, made.stderr
        assert traffic.failures == [], traffic.failures[:5]  # no reader or writer saw an error
        assert overlapping and all(s.acknowledged for s in overlapping)
        assert f"{len(tokens)} people, 1 users" in made.stdout and backup_file.stat().st_size > 0

    # a new instance: an empty database, the backup restored into it by the command
    restored = flask_command(restored_url, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert "nothing to upgrade" in restored.stdout
    app = make_app(restored_url, SECRET_KEY=SECRET)
    with serving(app) as port:
        held = {token: stored_answers(port, token) for token in tokens.values()}
        for token, answers in held.items():
            possible, may_be_empty = traffic.possible(token, began, ended)
            assert answers in possible or (may_be_empty and not answers), \
                f"{token}: restored {answers}, acknowledged before the backup or sent during it: {possible}"
        assert sum(bool(answers) for answers in held.values()) == len(tokens)  # all had answered before
        # more than each person's own answers: all of them are those of one moment during the backup
        assert held in traffic.moments(began, ended), "the backup is not one moment's database"

        # nothing half-written: the results (kept as tallies) say what counting the answers says
        status, body = request(port, "GET", RESULTS, headers={"Authorization": f"Bearer {api_token}"})
        assert status == 200, body
        results = json.loads(body)
        with app.app_context():
            responses = db.session.scalar(select(func.count()).select_from(Response))
            satisfaction = dict(db.session.execute(select(Answer.number, func.count()).where(
                Answer.code == "satisfaction").group_by(Answer.number)).all())
            hours = db.session.scalar(select(func.sum(Answer.number)).where(Answer.code == "hours_lost"))
        assert results["responded"] == responses == len(tokens)
        assert results["questions"]["satisfaction"]["distribution"] == {
            str(value): satisfaction.get(value, 0) for value in range(1, 6)}
        assert results["questions"]["satisfaction"]["distribution"] == {
            str(value): sum(a["satisfaction"] == value for a in held.values()) for value in range(1, 6)}
        assert results["questions"]["hours_lost"]["total"] == hours == sum(a["hours_lost"] for a in held.values())

        # the restored instance takes new answers (its ids and sequences go on from the backup's)
        token = sorted(tokens.values())[0]
        status, body = request(port, "POST", f"/api/v1/feedback/{token}", json.dumps({"answers": {
            "satisfaction": 5, "worked_day_one": "yes"}}).encode(), {"Content-Type": "application/json"})
        assert status == 200, body
        assert stored_answers(port, token) == {"satisfaction": 5, "worked_day_one": "yes"}

        # and the lead signs in and reads the rollout's page
        browser = build_opener(HTTPCookieProcessor(CookieJar()))
        base = f"http://127.0.0.1:{port}"
        browser.open(f"{base}/login", urlencode({"email": "lead@example.se", "password": builders.PASSWORD}).encode())
        page = browser.open(f"{base}/rollouts/{KEY}")
        assert page.status == 200 and f"Rollout {KEY}" in page.read().decode()
    with app.app_context():
        db.engine.dispose()


def test_backup_refuses_to_overwrite_a_file_unless_forced(new_database, tmp_path):
    url = new_database("source")
    with instance(url) as app:
        feedback_wave(app, people=3)
        existing = tmp_path / "existing.backup"
        existing.write_text("an earlier backup")
        runner = app.test_cli_runner()
        refused = runner.invoke(args=["rollout", "backup", str(existing)])
        assert refused.exit_code == 1 and refused.stderr.startswith("Error: ") and "--force" in refused.stderr
        assert existing.read_text() == "an earlier backup"
        assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == ["existing.backup"]
        for bad, why in ((tmp_path, "is a folder"), (tmp_path / "no such folder" / "x.backup", "does not exist")):
            result = runner.invoke(args=["rollout", "backup", str(bad)])
            assert result.exit_code == 1 and why in result.stderr, result.output
        if url.startswith("sqlite:///"):  # not even --force puts a backup in the database's place
            itself = runner.invoke(args=["rollout", "backup", "--force", url.removeprefix("sqlite:///")])
            assert itself.exit_code == 1 and "is the database itself" in itself.stderr
            with app.app_context():
                assert db.session.scalar(select(func.count()).select_from(Person)) == 3
        forced = runner.invoke(args=["rollout", "backup", "--force", str(existing)])
        assert forced.exit_code == 0, forced.output
        assert "3 people, 1 users" in forced.stdout
        assert existing.read_bytes()[:5] in (b"SQLit", b"PGDMP")
        assert oct(existing.stat().st_mode & 0o777) == "0o600"  # a backup holds personal data


def test_restore_into_a_database_with_data_needs_force_and_a_yes(new_database, tmp_path):
    backup_file = tmp_path / "a.backup"
    with instance(new_database("a")) as source:
        feedback_wave(source, people=4)
        assert source.test_cli_runner().invoke(args=["rollout", "backup", str(backup_file)]).exit_code == 0
    with instance(new_database("b")) as target:
        with target.app_context():
            builders.make_people(2, prefix="other")
        runner = target.test_cli_runner()

        def people() -> list[str]:
            with target.app_context():
                return sorted(db.session.scalars(select(Person.external_id)))

        refused = runner.invoke(args=["rollout", "restore", str(backup_file)])
        assert refused.exit_code == 1 and "already holds data (0 rollouts" in refused.stderr, refused.output
        assert "--force" in refused.stderr and people() == ["other1", "other2"]
        declined = runner.invoke(args=["rollout", "restore", "--force", str(backup_file)], input="n\n")
        assert declined.exit_code == 1 and "cannot be undone" in declined.output
        assert people() == ["other1", "other2"]
        replaced = runner.invoke(args=["rollout", "restore", "--force", "--yes", str(backup_file)])
        assert replaced.exit_code == 0, replaced.output
        assert people() == ["bk1", "bk2", "bk3", "bk4"]
        assert "1 rollouts" in replaced.stdout


def test_restore_refuses_what_is_not_a_backup_of_this_app(new_database, database_url, tmp_path):
    postgres = database_url.startswith("postgresql")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100)
    other_sqlite = tmp_path / "other.sqlite"
    with sqlite3.connect(other_sqlite) as connection:
        connection.execute("CREATE TABLE rollouts (id INTEGER)")
    connection.close()
    cases = [(tmp_path / "missing.backup", "does not exist"), (tmp_path, "is not a file"),
             (text_file, "is not a PostgreSQL dump" if postgres else "is not an SQLite database")]
    if postgres:
        cases.append((other_sqlite, "is an SQLite backup, and the configured database is PostgreSQL"))
        fake_dump = tmp_path / "fake.dump"
        fake_dump.write_bytes(b"PGDMP" + b"\x00" * 200)
        cases.append((fake_dump, "pg_restore --list"))
    else:
        cases.append((other_sqlite, "not a backup of Rollout (it has no alembic_version table)"))
        fake_dump = tmp_path / "fake.dump"
        fake_dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 200)  # how a pg_dump archive begins
        cases.append((fake_dump, "is a PostgreSQL dump (pg_dump), and the configured database is SQLite"))
    target = new_database("target")
    app = make_app(target, SECRET_KEY=SECRET)
    runner = app.test_cli_runner()
    for path, why in cases:
        result = runner.invoke(args=["rollout", "restore", str(path)])
        assert result.exit_code == 1, (path, result.output)
        assert result.stderr.startswith("Error: ") and why in result.stderr, (path, result.stderr)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []  # nothing was made in the target
        db.engine.dispose()


def test_restoring_an_older_backup_says_how_to_upgrade_its_schema(new_database, tmp_path):
    backup_file = tmp_path / "old.backup"
    with instance(new_database("old"), revision=OLDER_REVISION) as old:
        made = old.test_cli_runner().invoke(args=["rollout", "backup", str(backup_file)])
        assert made.exit_code == 0, made.output
        assert f"schema revision {OLDER_REVISION}" in made.stdout
    target = new_database("new")
    app = make_app(target, SECRET_KEY=SECRET)
    restored = app.test_cli_runner().invoke(args=["rollout", "restore", str(backup_file)])
    assert restored.exit_code == 0, restored.output
    assert f"at revision {OLDER_REVISION}, older than" in restored.stdout
    assert "flask --app wsgi db upgrade" in restored.stdout
    with app.app_context():
        upgrade()  # what the message says to do brings it to this version's schema
        builders.make_people(1, prefix="after")
        assert db.session.scalar(select(func.count()).select_from(Person)) == 1
        db.session.remove()
        db.engine.dispose()


def test_a_backup_from_a_newer_version_is_not_restored(new_database, tmp_path):
    backup_file = tmp_path / "newer.backup"
    with instance(new_database("newer")) as newer:
        with newer.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
            db.session.commit()
        assert newer.test_cli_runner().invoke(args=["rollout", "backup", str(backup_file)]).exit_code == 0
    app = make_app(new_database("older_code"), SECRET_KEY=SECRET)
    refused = app.test_cli_runner().invoke(args=["rollout", "restore", str(backup_file)])
    assert refused.exit_code == 1 and "0099_from_the_future, which this version of Rollout does not know" \
        in refused.stderr
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()


@pytest.mark.postgres_only
def test_without_pg_dump_the_backup_names_the_package_to_install(new_database, database_url, tmp_path,
                                                                 monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_dump is PostgreSQL's")
    with instance(new_database("nopgdump")) as app:
        monkeypatch.setenv("PATH", str(tmp_path))  # a machine without PostgreSQL's client tools
        result = app.test_cli_runner().invoke(args=["rollout", "backup", str(tmp_path / "x.dump")])
        assert result.exit_code == 1
        assert "pg_dump is not installed" in result.stderr and "postgresql-client" in result.stderr
        assert not (tmp_path / "x.dump").exists() and list(tmp_path.iterdir()) == []


def test_on_sqlite_a_long_read_such_as_a_backup_holds_up_no_submission(new_database, database_url):
    """The copy of a large database is one long read; on SQLite (in WAL mode) participants submit
    meanwhile as fast as ever, where with SQLite's default journal they waited for it, and failed
    once it took longer than the busy timeout (5 s)."""
    if database_url.startswith("postgresql"):
        pytest.skip("SQLite's journal mode")
    url = new_database("long_read")
    with instance(url) as app:
        tokens, _api_token = feedback_wave(app, people=2)
        path = url.removeprefix("sqlite:///")
        reading = sqlite3.connect(path)
        try:
            assert reading.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            reading.execute("BEGIN")
            reading.execute("SELECT count(*) FROM people").fetchone()  # a read transaction, held open
            with serving(app) as port:
                started = time.perf_counter()
                status, body = request(port, "POST", f"/api/v1/feedback/{tokens['bk1']}",
                                       json.dumps({"answers": {"satisfaction": 4, "worked_day_one": "yes"}}).encode(),
                                       {"Content-Type": "application/json"})
                took = time.perf_counter() - started
        finally:
            reading.rollback()
            reading.close()
        assert status == 200, body
        assert took < 3, f"the submit waited {took:.1f} s for the reader"
