"""The migration 0019_ideas: existing users are not on the council, and the ideas' full-text search
(not in the models) is made by the migration and taken away by its downgrade, on both databases."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from rollout.extensions import db

from .conftest import fresh_postgres_database, make_app

IDEA = {"name": "Siv", "email": "siv@example.se", "unit": "Kundcenter", "problem": "Skrivarna tappar kopplingen",
        "idea": "Gemensamma skrivare", "reach": "up_to_10"}


@pytest.fixture
def empty_database(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    with fresh_postgres_database(database_url, "rollout_ideas") as url:
        yield url


def test_existing_users_are_not_on_the_council_and_the_ideas_search_comes_and_goes(empty_database):
    from rollout.services import ideas

    app = make_app(empty_database)
    with app.test_request_context():
        upgrade(revision="0016_row_counts")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, email, name, password_hash, is_admin, is_people_manager, is_rollout_creator, "
                "active, language, session_generation, created_at) "
                "VALUES (1, 'old@example.se', 'Old', 'x', false, false, true, true, 'sv', 0, CURRENT_TIMESTAMP)"))
        upgrade()
        with db.engine.connect() as connection:
            assert not connection.execute(text("SELECT is_council FROM users")).scalar_one()
        idea = ideas.submit(IDEA, "10.0.0.1")
        assert [found.id for found in ideas.similar("skrivare kopplingen").ideas] == [idea.id]
        db.session.remove()
        downgrade(revision="0016_row_counts")
        names = set(inspect(db.engine).get_table_names())
        assert not {name for name in names if name.startswith("idea")}
        assert "is_council" not in {column["name"] for column in inspect(db.engine).get_columns("users")}
        upgrade()
        assert not ideas.similar("skrivare kopplingen")
        db.session.remove()
        db.engine.dispose()
