"""Migrations: they upgrade and downgrade on this run's backend, and they build
exactly the schema the models describe."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from rollout.extensions import db
from rollout.models import include_name
from rollout.models.types import render_item

from .conftest import fresh_postgres_database, make_app


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database of its own with nothing in it, on the same backend as the run."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    with fresh_postgres_database(database_url, "rollout_mig") as url:
        yield url


def an_old_rollout_with_a_wave(state: str = "planned", members: int = 0) -> None:
    """Rollout 1 with its wave 1, as the first schema (0001_foundation) stored them."""
    from sqlalchemy import text

    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO rollouts (id, key, name, description, anonymous, created_at) "
            "VALUES (1, 'old-2026', 'Old', '', false, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO waves (id, rollout_id, number, name, state, selection, feedback_days, auto_advance, "
            "members_count, decision_rationale, created_at) "
            "VALUES (1, 1, 0, 'Pilot', :state, '{}', 7, false, :members, '', CURRENT_TIMESTAMP)"),
            {"state": state, "members": members})


def test_upgrade_matches_the_models_and_downgrade_removes_everything(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_item": render_item,
                                                                       "include_name": include_name})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"the models and the migrations differ: {differences}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {"people", "rollouts", "waves", "memberships", "audit_events"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_upgrading_a_database_with_data_keeps_it_and_fills_the_new_columns(empty_database):
    from sqlalchemy import text

    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0001_foundation")
        an_old_rollout_with_a_wave()
        upgrade()
        with db.engine.connect() as connection:
            rollout = connection.execute(text(
                "SELECT anonymity_k, reminder_days, problem_categories FROM rollouts")).one()
            wave = connection.execute(text("SELECT questionnaire_id FROM waves")).one()
        assert (rollout[0], rollout[1]) == (5, 2) and rollout[2] in ([], "[]")
        assert tuple(wave) == (None,)
        from rollout.models import Rollout, Wave
        assert db.session.get(Wave, 1).responses_count == 0
        from rollout.services import questionnaires
        old = db.session.get(Rollout, 1)
        assert questionnaires.categories(old)  # an old rollout gets the default categories
        assert questionnaires.current(old).version == 1
        db.session.remove()
        db.engine.dispose()


def test_the_lesson_library_search_works_on_a_migrated_database(empty_database):
    """The full-text objects are not in the models: the migration must make them, and take them away."""
    from sqlalchemy import text

    from rollout.models import Rollout
    from rollout.services import lessons

    app = make_app(empty_database)
    with app.test_request_context():
        upgrade(revision="0003_gates")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO rollouts (id, key, name, description, anonymous, anonymity_k, reminder_days, "
                "problem_categories, gate, created_at) "
                "VALUES (1, 'old-2026', 'Old', '', false, 5, 2, '[]', '{}', CURRENT_TIMESTAMP)"))
        upgrade()
        old = db.session.get(Rollout, 1)
        assert old.vote_budget == 5 and old.tags == []
        lessons.create_lesson(old, {"title": "Lathund", "action": "Skicka lathunden till enheterna i förväg"}, None)
        assert [lesson.title for lesson in lessons.library(None, q="enheterna")[0]] == ["Lathund"]
        db.session.remove()
        downgrade(revision="0003_gates")
        names = set(inspect(db.engine).get_table_names())
        assert not {n for n in names if n.startswith("lesson")}
        upgrade()
        assert lessons.library(None, q="enheterna")[1] == 0
        db.session.remove()
        db.engine.dispose()


def test_those_who_lead_a_rollout_keep_planning_rollouts_after_the_roles_arrive(empty_database):
    """Before 0005 anyone could plan a rollout: existing leads become rollout creators; nobody gets
    the people directory until an admin grants it."""
    from sqlalchemy import text

    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0004_retro_lessons")
        with db.engine.begin() as connection:
            for user_id, email in ((1, "lead@example.se"), (2, "reviewer@example.se")):
                connection.execute(text(
                    "INSERT INTO users (id, email, name, password_hash, is_admin, active, language, created_at) "
                    f"VALUES ({user_id}, '{email}', 'U', 'x', false, true, 'sv', CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO rollouts (id, key, name, description, anonymous, anonymity_k, reminder_days, "
                "problem_categories, gate, vote_budget, created_at) "
                "VALUES (1, 'old-2026', 'Old', '', false, 5, 2, '[]', '{}', 5, CURRENT_TIMESTAMP)"))
            connection.execute(text("INSERT INTO rollout_roles (rollout_id, user_id, role) VALUES "
                                    "(1, 1, 'lead'), (1, 2, 'reviewer')"))
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT email, is_rollout_creator, is_people_manager FROM users ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [("lead@example.se", True, False),
                                                ("reviewer@example.se", False, False)]
        db.engine.dispose()


def test_the_migrations_check_each_column_within_its_vocabulary(empty_database):
    """The CHECK constraints the migrations wrote name exactly the models' StrEnums, in their order:
    the vocabularies moved into enums without a migration."""
    from .test_vocabularies import CHECKED, quoted

    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        inspector = inspect(db.engine)
        for (table, name), vocabulary in CHECKED.items():
            constraints = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
            assert quoted(constraints[name]) == list(vocabulary), (table, name, constraints[name])
        db.engine.dispose()


def test_the_buckets_of_existing_rollouts_are_filled_by_the_migration(empty_database):
    from sqlalchemy import text

    from rollout.services.buckets import bucket

    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0007_rollout_language")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO rollouts (id, key, name, description, language, anonymous, anonymity_k, "
                "reminder_days, problem_categories, gate, vote_budget, created_at) "
                "VALUES (1, 'old-2026', 'Old', '', 'sv', false, 5, 2, '[]', '{}', 5, CURRENT_TIMESTAMP)"))
            for i in range(1, 4):
                connection.execute(text(
                    "INSERT INTO people (id, external_id, name, email, language, attributes, search_text, "
                    "created_at, updated_at) VALUES (:i, :e, 'P', 'p@example.se', 'sv', '{}', '', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"i": i, "e": f"e{i}"})
        upgrade()
        with db.engine.connect() as connection:
            stored = dict(connection.execute(text("SELECT person_id, value FROM buckets WHERE rollout_id = 1")).all())
        assert stored == {i: bucket("old-2026", f"e{i}") for i in range(1, 4)}
        db.engine.dispose()


def test_a_job_can_be_cancelled_after_0014_and_a_downgrade_keeps_it_as_failed(empty_database):
    """0014_job_cancel: the state takes "cancelled" and a job has cancel_requested_at; going back, a
    cancelled job becomes a failed one (the old schema has no word for it) and the others stay."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    def insert(connection, job_id: int, state: str) -> None:
        connection.execute(text(
            "INSERT INTO jobs (id, kind, state, progress_done, progress_total, params, checkpoint, result, errors, "
            "message, attempts, created_at) VALUES (:id, 'import_people', :state, 0, 3, '{}', '{}', '{}', '[]', '', "
            "0, CURRENT_TIMESTAMP)"), {"id": job_id, "state": state})

    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0013_membership_keys")
        with db.engine.begin() as connection:
            insert(connection, 1, "queued")
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            insert(connection, 2, "cancelled")
        upgrade(revision="0014_job_cancel")
        with db.engine.begin() as connection:
            insert(connection, 2, "cancelled")
            connection.execute(text("UPDATE jobs SET cancel_requested_at = CURRENT_TIMESTAMP WHERE id = 2"))
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            insert(connection, 3, "stopped")
        downgrade(revision="0013_membership_keys")
        assert "cancel_requested_at" not in {c["name"] for c in inspect(db.engine).get_columns("jobs")}
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, state, message FROM jobs ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, "queued", ""), (2, "failed", "Cancelled.")]
        upgrade()
        db.engine.dispose()


def test_the_tallies_take_shards_and_the_response_counts_and_give_them_back(empty_database):
    """0015_tally_shards: a wave's response count moves from its row into its tallies (code ''),
    the sums into shard 0; going back, the shards are added up and the count returns."""
    from sqlalchemy import text

    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0001_foundation")
        an_old_rollout_with_a_wave(state="feedback", members=4)
        upgrade(revision="0014_job_cancel")
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE waves SET responses_count = 3"))
            connection.execute(text(
                "INSERT INTO answer_tallies (wave_id, code, item, count, n, total, squares, high, promoters, "
                "detractors) VALUES (1, 'satisfaction', '', 3, 3, 12, 50, 2, 0, 3), "
                "(1, 'satisfaction', '4', 2, 0, 0, 0, 0, 0, 0)"))
        upgrade(revision="0015_tally_shards")
        from rollout.models import Wave
        from rollout.services import tallies
        assert db.session.get(Wave, 1).responses_count == 3
        questions, distribution = tallies.of_wave(1)
        assert questions["satisfaction"].answered == 3 and questions["satisfaction"].total == 12
        assert distribution == {"satisfaction": {"4": 2}}
        with db.engine.begin() as connection:  # a second shard, as submits at once would leave
            connection.execute(text(
                "INSERT INTO answer_tallies (wave_id, code, item, shard, count, n, total, squares, high, "
                "promoters, detractors) VALUES (1, 'satisfaction', '', 5, 1, 1, 5, 25, 1, 0, 1), "
                "(1, '', '', 5, 1, 0, 0, 0, 0, 0, 0)"))
        db.session.remove()
        downgrade(revision="0014_job_cancel")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT responses_count FROM waves")).scalar() == 4
            rows = connection.execute(text("SELECT code, item, count, n, total FROM answer_tallies "
                                           "ORDER BY code, item")).all()
        assert [tuple(r) for r in rows] == [("satisfaction", "", 4, 4, 17.0), ("satisfaction", "4", 2, 0, 0.0)]
        db.engine.dispose()


def test_the_buckets_counted_by_0016_are_those_stored_and_follow_every_change(empty_database):
    """PostgreSQL: the counts start from what the table holds and follow inserts, deletes (a
    cascade too) and a TRUNCATE by any path; SQLite has none (it counts the rows)."""
    from sqlalchemy import text
    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0001_foundation")
        an_old_rollout_with_a_wave()
        upgrade(revision="0015_tally_shards")
        with db.engine.begin() as connection:
            for i in range(1, 4):
                connection.execute(text(
                    "INSERT INTO people (id, external_id, name, email, language, attributes, search_text, created_at, "
                    "updated_at) VALUES (:i, :e, 'P', 'p@example.se', 'sv', '{}', '', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"), {"i": i, "e": f"p{i}"})
            connection.execute(text("INSERT INTO buckets (person_id, rollout_id, value) VALUES (1, 1, 5), (2, 1, 50)"))
        upgrade()
        postgres = db.engine.dialect.name == "postgresql"
        tables = set(inspect(db.engine).get_table_names())
        assert ("row_counts" in tables) == postgres
        if postgres:
            def kept():
                with db.engine.connect() as connection:
                    return dict(connection.execute(text("SELECT key, n FROM row_counts")).all())
            assert kept() == {"buckets/1": 2}
            with db.engine.begin() as connection:
                connection.execute(text("INSERT INTO buckets (person_id, rollout_id, value) VALUES (3, 1, 7)"))
                connection.execute(text("DELETE FROM people WHERE id = 1"))  # its bucket goes by the cascade
            assert kept() == {"buckets/1": 2}
            with db.engine.begin() as connection:
                connection.execute(text("TRUNCATE buckets"))
            assert kept() == {}
        downgrade(revision="0015_tally_shards")
        assert "row_counts" not in set(inspect(db.engine).get_table_names())
        db.engine.dispose()
