"""Configuration from the environment."""
from __future__ import annotations

import os
import stat

import pytest
from flask import Flask

from rollout import create_app
from rollout.extensions import db


@pytest.fixture
def fresh_instance(tmp_path, monkeypatch):
    """The app's instance folder is a new one under tmp_path (not the work tree's), with nothing
    from the environment: the defaults decide. The umask lets everything through, so a file
    that is private is private because it was made so."""
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    for name in ("DATABASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    previous = os.umask(0)
    yield instance
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_secret_is_generated_once_into_the_instance_folder(fresh_instance, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    first, second = create_app(), create_app()
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (fresh_instance / "secret_key").read_text() == first.config["SECRET_KEY"]
    assert mode(fresh_instance / "secret_key") == 0o600
    assert not (fresh_instance / "rollout.sqlite").exists(), "a database elsewhere: no SQLite file here"


def test_environment_settings(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/rollout")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("ROLLOUT_PER_PAGE", "25")
    monkeypatch.setenv("ROLLOUT_SCHEDULER_INTERVAL", "30")
    monkeypatch.setenv("ROLLOUT_PUBLIC_URL", "https://rollout.kommun.example")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/rollout"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["PER_PAGE"] == 25 and app.config["SCHEDULER_INTERVAL"] == 30
    assert app.config["PUBLIC_URL"] == "https://rollout.kommun.example"


def test_sqlite_in_the_instance_folder_by_default(fresh_instance):
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{fresh_instance / 'rollout.sqlite'}"


def test_a_fresh_instance_folder_is_readable_by_its_owner_only(fresh_instance):
    app = create_app()
    assert mode(fresh_instance) == 0o700
    assert mode(fresh_instance / "secret_key") == 0o600
    assert mode(fresh_instance / "rollout.sqlite") == 0o600
    with app.app_context():  # SQLite makes its database in the file we made, and keeps the mode
        db.create_all()
        db.engine.dispose()
    assert (fresh_instance / "rollout.sqlite").stat().st_size > 0
    assert mode(fresh_instance / "rollout.sqlite") == 0o600
    again = create_app()
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"] and len(app.config["SECRET_KEY"]) == 64
