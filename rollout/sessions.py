"""Sessions that end.

- The session names the user *and* the user's session generation (`User.get_id()` gives
  "<id>.<generation>"): logging out, being deactivated or having the password changed moves the
  generation on, so every session of that user, also a copied cookie, stops working at once,
  on every worker and host.
- An idle timeout (SESSION_IDLE_MINUTES) and an absolute lifetime (SESSION_MAX_HOURS) from the
  config end a session even when nobody logs out.
- The cookie is `Secure` whenever the request came over https (behind a TLS proxy once
  PROXY_FIX tells ProxyFix how many proxies to trust), and always when SESSION_COOKIE_SECURE is set.
"""
from __future__ import annotations

import time
from typing import Optional

from flask import Flask, flash, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_in
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import db
from .models import User


class HttpsAwareSessions(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def load_user(session_id: str) -> Optional[User]:
    """The user of a session id "<id>.<generation>", or None once that generation has ended."""
    user_id, _dot, generation = (session_id or "").partition(".")
    if not (user_id.isdigit() and generation.isdigit()):
        return None  # also a session from before generations: it ends, the user logs in again
    user = db.session.get(User, int(user_id))
    if user is None or user.session_generation != int(generation):
        return None
    return user


def _started(_app: Flask, user: User, **_extra: object) -> None:
    now = int(time.time())
    session["login_at"] = session["seen_at"] = now
    session.permanent = True


def _expire(app: Flask) -> None:
    """Log out a session that has been idle, or alive, for too long."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    now = int(time.time())
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = app.config["SESSION_MAX_HOURS"] * 3600
    seen, started = session.get("seen_at", 0), session.get("login_at", 0)
    if now - seen > idle or now - started > lifetime:
        logout_user()
        for key in ("seen_at", "login_at"):
            session.pop(key, None)
        flash(_("You were logged out after a while without activity. Log in again to go on."), "info")
        return
    if now - seen >= 60:  # a minute's precision is enough, and spares a new cookie on every request
        session["seen_at"] = now


def init_app(app: Flask) -> None:
    app.session_interface = HttpsAwareSessions()
    proxies = app.config.get("PROXY_FIX")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, **proxies)  # type: ignore[method-assign]
    user_logged_in.connect(_started, app)
    app.before_request(lambda: _expire(app))
