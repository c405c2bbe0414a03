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


def test_settings_from_the_environment_have_the_type_of_their_default(fresh_instance, monkeypatch):
    monkeypatch.setenv("ROLLOUT_SCHEDULER_IN_PROCESS", "true")
    monkeypatch.setenv("ROLLOUT_SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("ROLLOUT_PROXY_FIX", '{"x_for": 1, "x_proto": 1}')
    monkeypatch.setenv("ROLLOUT_ORGANISATION_NAME", "Kommunen")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("MAIL_PASSWORD", "123456")  # the unprefixed texts stay texts
    app = create_app()
    # the in-process scheduler it started must not outlive the test: its thread would go on
    # polling (a dropped database) beside the rest of the suite
    app.extensions["rollout_scheduler"].shutdown(wait=True)
    assert app.config["SCHEDULER_IN_PROCESS"] is True and app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PROXY_FIX"] == {"x_for": 1, "x_proto": 1}
    assert app.config["ORGANISATION_NAME"] == "Kommunen"
    assert app.config["MAIL_PORT"] == 587 and app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_PASSWORD"] == "123456"


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("ROLLOUT_PER_PAGE", "many", "a whole number"),
    ("ROLLOUT_PER_PAGE", "true", "a whole number"),
    ("ROLLOUT_SESSION_IDLE_MINUTES", "7.5", "a whole number"),
    ("ROLLOUT_SCHEDULER_IN_PROCESS", "yes", "true or false"),
    ("MAIL_PORT", "smtp", "a whole number"),
])
def test_a_setting_of_the_wrong_type_stops_the_app_naming_the_variable(fresh_instance, monkeypatch, variable, value,
                                                                     expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as refused:
        create_app()
    assert f"{variable}={value!r}: expected {expected}" in str(refused.value)


def test_production_hashes_passwords_with_scrypt_and_any_hash_still_verifies(monkeypatch, tmp_path):
    from werkzeug.security import generate_password_hash

    from rollout.services import accounts

    from .conftest import FAST_PASSWORD_HASH
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "x")
    production = create_app()
    assert production.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with production.app_context():
        db.create_all()
        user = accounts.create_user("lead@example.se", "Lena Lead", "correct horse battery")
        assert user.password_hash.startswith("scrypt:")
        assert accounts.authenticate("lead@example.se", "correct horse battery") == user
        # a hash made another way (the tests' cheap one, or a former default) still verifies
        user.password_hash = generate_password_hash("correct horse battery", FAST_PASSWORD_HASH)
        db.session.commit()
        assert accounts.authenticate("lead@example.se", "correct horse battery") == user
        assert accounts.authenticate("lead@example.se", "wrong horse battery") is None
        db.session.remove()
        db.engine.dispose()


def test_the_tests_hash_cheaply_and_still_verify_a_strong_hash(ctx, lead):
    from werkzeug.security import generate_password_hash

    from rollout.services import accounts

    from . import builders
    assert lead.password_hash.startswith("pbkdf2:sha256:1000$")
    assert accounts.authenticate(lead.email, builders.PASSWORD) == lead
    lead.password_hash = generate_password_hash(builders.PASSWORD, "scrypt")
    db.session.commit()
    assert accounts.authenticate(lead.email, builders.PASSWORD) == lead
