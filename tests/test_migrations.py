"""Migrations: they upgrade and downgrade on this run's backend, and they build
exactly the schema the models describe."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from rollout.extensions import db
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


def test_upgrade_matches_the_models_and_downgrade_removes_everything(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_item": render_item})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"the models and the migrations differ: {differences}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {"people", "rollouts", "waves", "memberships", "audit_events"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
