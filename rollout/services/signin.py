"""Signing in with a password, throttled in the database.

Failed attempts are counted per account (the e-mail address as typed, known or
not, so a pause says nothing about whether an account exists) and per client
address. The counters live in the database, so they hold across workers and
hosts. From SIGNIN_FREE_FAILURES (per account) or SIGNIN_ADDRESS_FREE_FAILURES
(per address) on, each further failure pauses sign-in for that key, one minute
at first and twice as long each time, at most SIGNIN_MAX_PAUSE_MINUTES. A count
starts again SIGNIN_WINDOW_MINUTES after the last failure. While a key is
paused no password is checked at all. The start of every pause is audited.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

from flask import current_app
from sqlalchemy import case, delete, null, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SignInThrottle, User
from ..models.types import utcnow
from . import accounts, audit


@dataclass
class Outcome:
    user: Optional[User] = None
    paused_until: Optional[datetime] = None  # set when sign-in is paused (now or already)

    def minutes_left(self, now: Optional[datetime] = None) -> int:
        if self.paused_until is None:
            return 0
        return max(1, math.ceil((self.paused_until - (now or utcnow())).total_seconds() / 60))


def account_key(email: str) -> str:
    return "account:" + accounts.normalise_email(email)[:280]


def address_key(address: Optional[str]) -> str:
    return "address:" + (address or "unknown")[:280]


def _limits() -> dict[str, int]:
    config = current_app.config
    return {"account": int(config["SIGNIN_FREE_FAILURES"]),
            "address": int(config["SIGNIN_ADDRESS_FREE_FAILURES"])}


def paused_until(keys: list[str], now: Optional[datetime] = None) -> Optional[datetime]:
    now = now or utcnow()
    until = db.session.scalar(select(SignInThrottle.locked_until).where(
        SignInThrottle.key.in_(keys), SignInThrottle.locked_until > now)
        .order_by(SignInThrottle.locked_until.desc()).limit(1))
    return until


def _count_failure(key: str, now: datetime) -> int:
    """One more failure for a key, atomically (two workers never lose a count)."""
    window = timedelta(minutes=int(current_app.config["SIGNIN_WINDOW_MINUTES"]))
    if db.session.get(SignInThrottle, key) is None:
        try:
            with db.session.begin_nested():
                db.session.add(SignInThrottle(key=key, failures=0, last_failure_at=now))
        except IntegrityError:  # another worker inserted it first: count on its row
            pass
    fresh = SignInThrottle.last_failure_at < now - window
    db.session.execute(update(SignInThrottle).where(SignInThrottle.key == key).values(
        failures=case((fresh, 1), else_=SignInThrottle.failures + 1), last_failure_at=now,
        locked_until=case((fresh, null()), else_=SignInThrottle.locked_until)))
    return db.session.scalar(select(SignInThrottle.failures).where(SignInThrottle.key == key)) or 1


def _pause(key: str, failures: int, free: int, now: datetime) -> datetime:
    minutes = min(2 ** (failures - free), int(current_app.config["SIGNIN_MAX_PAUSE_MINUTES"]))
    until = now + timedelta(minutes=minutes)
    db.session.execute(update(SignInThrottle).where(SignInThrottle.key == key).values(locked_until=until))
    audit.record(None, "signin.paused", subject=key, details={
        "failures": failures, "minutes": minutes, "until": until.isoformat(timespec="seconds")})
    return until


def sign_in(email: str, password: str, address: Optional[str]) -> Outcome:
    """The user for a right e-mail and password; otherwise no user, and a pause if there is one."""
    return _attempt(email, address, lambda: accounts.authenticate(email, password))


def confirm_password(user: User, password: str, address: Optional[str]) -> Outcome:
    """A signed-in user types their password again (to change it): counted like a sign-in."""
    return _attempt(user.email, address, lambda: accounts.authenticate(user.email, password))


def _attempt(email: str, address: Optional[str], check: Callable[[], Optional[User]]) -> Outcome:
    now = utcnow()
    keys = {"account": account_key(email), "address": address_key(address)}
    if until := paused_until(list(keys.values()), now):
        return Outcome(paused_until=until)
    user = check()
    if user is not None:
        db.session.execute(delete(SignInThrottle).where(SignInThrottle.key == keys["account"]))
        db.session.commit()
        return Outcome(user=user)
    limits = _limits()
    pauses = []
    for kind, key in keys.items():
        failures = _count_failure(key, now)
        if failures >= limits[kind]:
            pauses.append(_pause(key, failures, limits[kind], now))
    db.session.commit()
    return Outcome(paused_until=max(pauses) if pauses else None)


def clear(email: str) -> None:
    """The pause on an account ends (an admin has set a new password)."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key == account_key(email)))
    db.session.commit()
