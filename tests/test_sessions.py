"""Sessions end: at logout on the server too (a cookie captured before still fails after), after
the idle timeout and the absolute lifetime, and when an admin deactivates the account (its tokens
with it); the cookie is Secure over https, also behind a TLS proxy."""
from __future__ import annotations

import time

from sqlalchemy import select

from rollout.extensions import db
from rollout.models import ApiToken, AuditEvent

from . import builders
from .conftest import Api, make_app


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_captured_before_logout_no_longer_works_after_it(app, client, auth, lead):
    auth.login()
    stolen = _cookie(client)
    assert client.get("/rollouts/").status_code == 200
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/rollouts/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login()  # the user may log in again, with a new session
    assert client.get("/rollouts/").status_code == 200


def test_an_idle_session_and_an_old_one_end(app, client, auth, lead):
    app.config.update(SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=8)
    auth.login()
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - 31 * 60
    response = client.get("/rollouts/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "utan aktivitet" in client.get("/login").get_data(as_text=True)  # told why, in words
    auth.login()
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 9 * 3600  # busy all day, but past the lifetime
    assert client.get("/rollouts/").status_code == 302
    auth.login()
    assert client.get("/rollouts/").status_code == 200  # a fresh session is fine


def test_deactivating_a_user_ends_their_sessions_and_revokes_their_tokens(app, client, auth, lead, admin):
    token = builders.make_token(lead)
    auth.login()
    lead_session = _cookie(client)
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": builders.PASSWORD})
    assert admin_client.post(f"/admin/users/{lead.id}/active", data={"confirmed": "1"}).status_code == 302
    assert admin_client.post(f"/admin/users/{lead.id}/active").status_code == 302  # and active again
    again = app.test_client()
    again.set_cookie("session", lead_session)
    assert again.get("/rollouts/").status_code == 302  # reactivated, but the old session is over
    assert Api(again, token).get("/rollouts").status_code == 401  # and so are the tokens
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
    assert event.details == {"tokens_revoked": 1}


def test_the_cookie_is_secure_over_https_and_behind_a_tls_proxy(database_url, ctx, lead):
    app = make_app(database_url)
    client = app.test_client()
    login = {"email": lead.email, "password": builders.PASSWORD}
    plain = client.post("/login", data=login)
    assert "Secure" not in plain.headers["Set-Cookie"]
    secure = app.test_client().post("/login", data=login, base_url="https://rollout.kommun.example")
    assert "Secure" in secure.headers["Set-Cookie"] and "HttpOnly" in secure.headers["Set-Cookie"]
    proxied = make_app(database_url, PROXY_FIX={"x_proto": 1})
    behind = proxied.test_client().post("/login", data=login, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind.headers["Set-Cookie"]
