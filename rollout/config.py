"""Settings, read from the environment.

`DATABASE_URL` and `SECRET_KEY` come first; any other key can be given as
`ROLLOUT_<KEY>` (values that look like JSON -- numbers, true/false -- are
parsed as such). When no secret is set, one is generated once into the
instance folder so that sessions survive a restart.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


class Config:
    SQLALCHEMY_DATABASE_URI: str = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECRET_KEY: str = ""
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    BABEL_TRANSLATION_DIRECTORIES = "translations"
    LANGUAGES = ("sv", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    PER_PAGE = 50
    # the reconcile tick of the scheduler, in seconds; 0 turns the in-process scheduler off
    SCHEDULER_INTERVAL = 60
    SCHEDULER_IN_PROCESS = False
    # the address participants' links and e-mails point to
    PUBLIC_URL = "http://127.0.0.1:5000"
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_DEFAULT_SENDER = "rollout@localhost"
    TESTING = False


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "testing-secret"
    SCHEDULER_IN_PROCESS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}


def _parse(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def _normalise_database_url(url: str) -> str:
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load_environment(app) -> None:
    """Overlay environment settings on the app's config."""
    for name, value in os.environ.items():
        if name.startswith("ROLLOUT_"):
            app.config[name[len("ROLLOUT_"):]] = _parse(value)
    for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME",
                 "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER"):
        if name in os.environ:
            app.config[name] = _parse(os.environ[name]) if name in ("MAIL_PORT", "MAIL_USE_TLS") else os.environ[name]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]


def finish(app) -> None:
    """Fill in what is still missing: the SQLite default and a stored secret."""
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'rollout.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg"):
        # psycopg prepares a statement after a few runs; PostgreSQL's generic plan for
        # `IN (<500 parameters>)` then compares every row with every parameter, which made
        # re-importing 50,000 people take minutes. Planned with its values, the list is hashed.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"prepare_threshold": None, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        instance.mkdir(parents=True, exist_ok=True)
        secret_file = instance / "secret_key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
            secret_file.chmod(0o600)
        app.config["SECRET_KEY"] = secret_file.read_text().strip()
