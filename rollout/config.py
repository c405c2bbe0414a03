"""Settings, read from the environment.

`DATABASE_URL` and `SECRET_KEY` come first; any other key can be given as
`ROLLOUT_<KEY>` (Flask's `from_prefixed_env`: values that look like JSON --
numbers, true/false -- are parsed as such; a key whose default is a number or
a switch must get one). When no secret is set, one is generated once into the
instance folder so that sessions survive a restart. The instance folder, the
secret and the default SQLite database are readable by their owner only.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Config as FlaskConfig
    from flask import Flask

from .languages import LANGUAGES as _LANGUAGES


class Config:
    SQLALCHEMY_DATABASE_URI: str = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECRET_KEY: str = ""
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    BABEL_TRANSLATION_DIRECTORIES = "translations"
    LANGUAGES = _LANGUAGES
    SESSION_COOKIE_HTTPONLY = True
    # a session ends after this long without a request, and after this long in any case
    SESSION_IDLE_MINUTES = 60
    SESSION_MAX_HOURS = 12
    # failed sign-ins (counted in the database, see services.signin): from this many failures
    # within the window on, each further one pauses sign-in, 1 minute at first, doubling, up to the maximum
    SIGNIN_FREE_FAILURES = 5  # per account (the e-mail address as typed)
    SIGNIN_ADDRESS_FREE_FAILURES = 30  # per client address (an office behind one address shares it)
    SIGNIN_WINDOW_MINUTES = 15
    SIGNIN_MAX_PAUSE_MINUTES = 30
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    # how passwords are hashed (werkzeug's generate_password_hash); a stored hash names its own
    # method, so a change applies to new passwords and every older one still verifies
    PASSWORD_HASH_METHOD = "scrypt"
    # behind a TLS proxy: how many proxies to trust per header, e.g. {"x_for": 1, "x_proto": 1, "x_host": 1}
    PROXY_FIX: dict | None = None
    SESSION_COOKIE_SAMESITE = "Lax"
    # a request body: 1 MB, but a people import (CSV) may be as large as IMPORT_MAX_CONTENT_LENGTH
    MAX_CONTENT_LENGTH = 1024 * 1024
    IMPORT_MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    PER_PAGE = 50
    # finished background jobs (done, failed, cancelled) are deleted this many days after they
    # finished, by the reconcile tick's retention run: a failed import lists its file's lines, with
    # external ids and e-mail addresses (at least 1: a job's outcome stays visible for a day)
    JOB_RETENTION_DAYS = 30
    # the idea form (services/ideas): ideas and supports per client address and per e-mail address
    # an hour; and how many days after the council's decision proposers' names and e-mails go
    IDEAS_PER_HOUR = 10
    IDEA_RETENTION_DAYS = 365
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
    # the public pages (/privacy, /accessibility): who is responsible and whom to ask.
    # A text may be a string or {"sv": ..., "en": ...}; an empty contact makes the pages
    # send readers to their rollout lead instead of showing an empty link.
    ORGANISATION_NAME = "Organisationen"
    SERVICE_NAME = "Rollout"
    PRIVACY_CONTACT = ""  # an e-mail address (or a web address) for copies, corrections and erasure
    DATA_PROTECTION_OFFICER = ""  # the data protection officer's e-mail address (or name)
    PRIVACY_NOTICE_EXTRA_SV = ""  # a paragraph the organisation adds to the privacy notice
    PRIVACY_NOTICE_EXTRA_EN = ""
    ACCESSIBILITY_CONTACT = ""
    # "full", "partial" or "none" (DIGG's three levels against WCAG 2.1 AA / EN 301 549), or a text
    ACCESSIBILITY_COMPLIANCE = "partial"
    ACCESSIBILITY_SHORTCOMINGS: dict | list = {
        "sv": ["Diagrammen är bilder (SVG). Varje diagram har en textbeskrivning och en tabell med samma "
               "data, men själva diagrammet går inte att navigera i med skärmläsare eller tangentbord.",
               "Exporterade CSV-filer har inget eget stöd för tillgänglighet; samma uppgifter finns som "
               "tabeller på resultatsidorna."],
        "en": ["Charts are images (SVG). Every chart has a text alternative and a table with the same data, "
               "but the chart itself cannot be navigated with a screen reader or the keyboard.",
               "Exported CSV files have no accessibility support of their own; the same data are shown as "
               "tables on the results pages."],
    }
    ACCESSIBILITY_ASSESSED = "2026-12-02"  # ISO date of the latest assessment
    ACCESSIBILITY_METHOD: dict | str = {
        "sv": "Självskattning: automatiska kontroller med axe-core av varje sida och manuella tester med "
              "tangentbord.",
        "en": "Self-assessment with automated axe-core checks of every page and manual keyboard tests.",
    }
    # who may show the charts in a frame (CSP frame-ancestors), e.g. "https://intranet.kommun.se";
    # every other page may never be framed. An <img> of a chart needs no entry.
    EMBED_FRAME_ANCESTORS = "'none'"
    TESTING = False


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "testing-secret"
    SCHEDULER_IN_PROCESS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}


MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER")


def _parse(value: str) -> Any:
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


def load_environment(app: Flask) -> None:
    """Overlay environment settings on the app's config: `ROLLOUT_<KEY>` (Flask reads them, JSON
    values parsed), the unprefixed MAIL_* settings, DATABASE_URL and SECRET_KEY. A number or a
    switch that is not one stops the app here, naming the variable, instead of failing later."""
    defaults = dict(app.config)
    app.config.from_prefixed_env("ROLLOUT", loads=json.loads)
    given = {f"ROLLOUT_{key}": key for key in app.config if f"ROLLOUT_{key}" in os.environ}
    for name in MAIL_SETTINGS:
        if name in os.environ:
            app.config[name] = _parse(os.environ[name]) if name in ("MAIL_PORT", "MAIL_USE_TLS") else os.environ[name]
            given[name] = name
    _check_types(app.config, defaults, given)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]


def _check_types(config: FlaskConfig, defaults: dict[str, Any], given: dict[str, str]) -> None:
    """Where the default is a switch (true/false) or a whole number, the environment must give one
    too: `ROLLOUT_PER_PAGE=abc` or `ROLLOUT_SCHEDULER_IN_PROCESS=yes` would otherwise be a string."""
    problems = []
    for variable, key in sorted(given.items()):
        default, value = defaults.get(key), config[key]
        if isinstance(default, bool) and isinstance(value, int) and value in (0, 1):
            config[key] = bool(value)  # 0 and 1 are switches too
        elif isinstance(default, bool) and not isinstance(value, bool):
            problems.append(f"{variable}={os.environ[variable]!r}: expected true or false")
        elif (isinstance(default, int) and not isinstance(default, bool)
              and (not isinstance(value, int) or isinstance(value, bool))):
            problems.append(f"{variable}={os.environ[variable]!r}: expected a whole number")
    if problems:
        raise ValueError("Settings from the environment that cannot be used: " + "; ".join(problems))


def finish(app: Flask) -> None:
    """Fill in what is still missing: the SQLite default and a stored secret."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        database = private_instance_folder(app) / "rollout.sqlite"
        create_private_file(database)  # SQLite opens an empty file as a new database (and its journal alike)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg"):
        # psycopg prepares a statement after a few runs; PostgreSQL's generic plan for
        # `IN (<500 parameters>)` then compares every row with every parameter, which made
        # re-importing 50,000 people take minutes. Planned with its values, the list is hashed.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"prepare_threshold": None, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = stored_secret(private_instance_folder(app) / "secret_key")


def private_instance_folder(app: Flask) -> Path:
    """The instance folder; made readable by its owner only when we create it."""
    instance = Path(app.instance_path)
    if not instance.is_dir():
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        instance.chmod(0o700)  # mkdir's mode is narrowed by the umask, never widened: say it exactly
    return instance


def create_private_file(path: Path, content: str = "") -> bool:
    """Create `path` with mode 0600 from the first byte on (no moment where others could open it);
    False when it exists already."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as file:
        file.write(content)
    return True


def stored_secret(path: Path) -> str:
    """The secret in `path`, generated on first use. Two processes starting at once agree:
    only one creates the file, the other reads what it wrote."""
    secret = secrets.token_hex(32)
    if create_private_file(path, secret):
        return secret
    for _attempt in range(50):
        stored = path.read_text().strip()
        if stored:
            return stored
        time.sleep(0.1)  # the other process has created the file and is about to write it
    raise RuntimeError(f"{path} is empty: delete it to have a new secret generated")
