"""Test fixtures: a fresh database per test, on SQLite or on PostgreSQL.

The backend comes from TEST_DATABASE_URL (a PostgreSQL URL runs the suite on a
new database created on that server for this run and dropped after it);
without it, SQLite in a temporary folder.
"""
from __future__ import annotations

import contextvars
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rollout import create_app
from rollout.extensions import db

from . import builders

ROOT = Path(__file__).resolve().parent.parent
# every API response in the suite is held against the OpenAPI document
pytest_plugins = ["tests.contract"]


@contextmanager
def fresh_postgres_database(server_url: str, prefix: str):
    """A new, empty database on the server of `server_url`, dropped afterwards."""
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if server_url.startswith("postgresql://") else server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database this run uses: a new PostgreSQL database, or an SQLite file."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    with fresh_postgres_database(base, "rollout_test") as url:
        yield url


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


_schema_ready: set[str] = set()


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in a real server: it gets its own
    application context (its own `g`, login and database session) even while the
    test holds one open for the builders."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # a streamed body is read inside the request's context too
        return contextvars.Context().run(super().open, *args, **kwargs)


# production hashes with scrypt (about half a second a password here); the tests make thousands
# of accounts, and a hash still verifies whichever method made it
FAST_PASSWORD_HASH = "pbkdf2:sha256:1000"


def make_app(database_url: str, **config):
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH}
    settings.update(config)
    app = create_app(settings)
    app.test_client_class = IsolatedClient
    return app


def wipe(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                connection.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)
                                        + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, SECRET_KEY="test-secret")
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        if database_url not in _schema_ready:
            db.create_all()
            _schema_ready.add(database_url)
    yield app
    wipe(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email="lead@example.se", password=builders.PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


class Api:
    """The JSON API with a bearer token."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        headers.update(extra or {})
        return headers

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def english(client):
    """The test client with the page language set to English."""
    client.get("/language/en")
    return client


@pytest.fixture
def logged_in(english, auth, lead):
    """The lead, logged in, reading English pages."""
    auth.login()
    return english


@pytest.fixture
def lead(ctx):
    # plans rollouts and keeps the directory, as in a small organisation; the role matrix
    # (tests/test_roles.py) checks each right alone
    return builders.make_user("lead@example.se", "Lena Lead", creator=True, people_manager=True)


@pytest.fixture
def admin(ctx):
    return builders.make_user("admin@example.se", "Ada Admin", admin=True)


@pytest.fixture
def api(client, lead):
    return Api(client, builders.make_token(lead))


@pytest.fixture
def admin_api(client, admin):
    return Api(client, builders.make_token(admin))


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import email
                from email import policy
                mailbox.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        import socket
        with socket.socket() as probe:  # a free port (aiosmtpd cannot start on port 0)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def links(self, address: str) -> list[str]:
        import re
        return [re.search(r"https?://\S+/f/[A-Za-z0-9_-]+", self.text(m)).group(0) for m in self.to(address)]

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mailbox(app):
    """Mail from the app goes to a real SMTP server on 127.0.0.1 for this test."""
    box = Mailbox()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=box.port, MAIL_DEFAULT_SENDER="rollout@kommun.example")
    yield box
    box.stop()
