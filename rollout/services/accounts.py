"""Accounts, API tokens, and who may do what in a rollout."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Optional

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, execute_dml
from ..languages import LANGUAGES
from ..models import ApiToken, Rollout, RolloutRole, User
from ..models.types import utcnow
from . import audit
from .errors import FieldErrors, NotAllowed, NotFound, ValidationFailed

MIN_PASSWORD_LENGTH = 10
MAX_TOKEN_NAME = 100  # characters of what an API token is for


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def check_email(value: str) -> Optional[str]:
    """The reason an e-mail address is not acceptable, or None."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return _("Not a valid e-mail address.")
    return None


def create_user(email: str, name: str, password: str, *, is_admin: bool = False,
                language: str = "sv", actor: Optional[User] = None, people_manager: bool = False,
                rollout_creator: bool = False, council: bool = False) -> User:
    email = normalise_email(email)
    problems = FieldErrors()
    if reason := check_email(email):
        problems.add("email", reason)
    elif db.session.scalar(select(User.id).where(User.email == email)):
        problems.add("email", _("A user with this e-mail address already exists."))
    if not (name or "").strip():
        problems.add("name", _("A name is required."))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        problems.add("password", _("The password must be at least %(n)s characters long.", n=MIN_PASSWORD_LENGTH))
    if language not in LANGUAGES:
        problems.add("language", _("Choose Swedish or English."))
    problems.raise_if_any(_("The user could not be created."))
    user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                is_admin=is_admin, language=language, is_people_manager=people_manager,
                is_rollout_creator=rollout_creator, is_council=council)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", subject=email, details={
        "admin": is_admin, "people_manager": people_manager, "rollout_creator": rollout_creator, "council": council})
    db.session.commit()
    return user


# the stored "hash" of an account without a password: no password ever matches it (werkzeug's
# check_password_hash finds no method in it), until `rollout user set-password` gives one
NO_PASSWORD = "!"


def add_account_without_password(email: str, name: str, actor: Optional[User]) -> User:
    """An account that cannot sign in with a password yet (an archive's import names it), in the
    open transaction, audited; the caller has checked the address and the name."""
    user = User(email=normalise_email(email), name=name.strip(), password_hash=NO_PASSWORD, language="sv")
    db.session.add(user)
    audit.record(actor, "user.create", subject=user.email, details={"password": False, "source": "import"})
    return user


def hash_password(password: str) -> str:
    """The stored form of a password, made with the app's PASSWORD_HASH_METHOD."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


_dummy_hashes: dict[str, str] = {}


def _hash_for_nobody() -> str:
    """A hash made like every real one: an unknown account costs as much time as a known one."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = hash_password(secrets.token_urlsafe(16))
    return _dummy_hashes[method]


def authenticate(email: str, password: str) -> Optional[User]:
    """The active user with this e-mail and password. Always checks one password hash, so
    the time taken does not tell whether the account exists (see services.signin)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    matches = check_password_hash(user.password_hash if user is not None else _hash_for_nobody(), password or "")
    if user is None or not user.active or not matches:
        return None
    return user


def set_user_active(user: User, active: bool, actor: User) -> None:
    require_admin(actor)
    if user.id == actor.id and not active:
        raise ValidationFailed(_("You cannot deactivate yourself."), [{"field": "active", "message": _("You cannot deactivate yourself.")}])
    user.active = active
    revoked = 0
    if not active:  # a deactivated account keeps no way in: its sessions end, its tokens are revoked
        revoked = end_sessions_and_tokens(user)
    audit.record(actor, "user.activate" if active else "user.deactivate", subject=user.email,
                 details={"tokens_revoked": revoked} if revoked else None)
    db.session.commit()


def end_sessions(user: User) -> None:
    """Every session of `user`, on every device, worker and host, ends (in the open transaction)."""
    user.session_generation = (user.session_generation or 0) + 1


def end_sessions_and_tokens(user: User) -> int:
    """Every session of `user` ends and every token is revoked; the number of tokens revoked."""
    end_sessions(user)
    return execute_dml(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def set_password(user: User, password: str, actor: Optional[User]) -> int:
    """A new password (the user's own, or set by an admin from the command line): every session
    of the user ends and every API token is revoked. The number of tokens revoked."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        message = _("The password must be at least %(n)s characters long.", n=MIN_PASSWORD_LENGTH)
        raise ValidationFailed(message, [{"field": "password", "message": message}])
    user.password_hash = hash_password(password)
    revoked = end_sessions_and_tokens(user)
    audit.record(actor, "user.password", subject=user.email, details={"tokens_revoked": revoked} if revoked else None)
    db.session.commit()
    return revoked


def log_out(user: User) -> None:
    """Logging out ends the session on the server too: a copied cookie stops working."""
    end_sessions(user)
    db.session.commit()


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name)))


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(_("No user with the e-mail address %(email)s.", email=email))
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "", actor: Optional[User] = None) -> tuple[ApiToken, str]:
    """A new bearer token for `user`; the plain token is returned once and never stored."""
    plain = "ro_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=(name or "").strip()[:MAX_TOKEN_NAME], token_hash=_hash_token(plain),
                     prefix=plain[:10])
    db.session.add(token)
    audit.record(actor or user, "token.create", subject=user.email, details={"name": token.name, "prefix": token.prefix})
    db.session.commit()
    return token, plain


def revoke_token(token: ApiToken, actor: User) -> None:
    if not actor.is_admin and token.user_id != actor.id:
        raise NotAllowed(_("You may only revoke your own tokens."))
    token.revoked_at = utcnow()
    audit.record(actor, "token.revoke", subject=token.user.email, details={"prefix": token.prefix})
    db.session.commit()


def tokens_for(user: Optional[User]) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.created_at.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def user_for_authorization(header: str) -> Optional[User]:
    """The user of an `Authorization: Bearer <token>` header, or None."""
    scheme, _sep, token = (header or "").partition(" ")
    return user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None


# a token's "last used" is kept to the minute: a busy client does not write on every request
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def user_for_token(plain: str) -> Optional[User]:
    token = db.session.scalar(select(ApiToken).options(joinedload(ApiToken.user))  # one statement for both
                              .where(ApiToken.token_hash == _hash_token(plain or "")))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        # one conditional UPDATE: of many requests at once from one token, one writes
        execute_dml(update(ApiToken).where(ApiToken.id == token.id, or_(
            ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_USE_RESOLUTION))
            .values(last_used_at=now).execution_options(synchronize_session=False))
        db.session.commit()
    return token.user


# --- who may do what -------------------------------------------------------

ROLES_READ = "rollout_roles_read"  # the session's memo of roles read: {(user id, rollout id): role}


def role_in(user: Optional[User], rollout: Rollout) -> Optional[str]:
    """The user's role in the rollout ("admin" for administrators), read once per session: a page
    asks several times (the rollout, then each thing on it). The memo goes with every flush and
    rollback, so a role given or taken away counts at once."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_admin:
        return "admin"
    read = db.session.info.setdefault(ROLES_READ, {})
    key = (user.id, rollout.id)
    if key not in read:
        read[key] = db.session.scalar(
            select(RolloutRole.role).where(RolloutRole.rollout_id == rollout.id, RolloutRole.user_id == user.id))
    return read[key]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_soft_rollback")
@event.listens_for(Session, "after_commit")
def _forget_roles_read(session: Session, *_args: object) -> None:
    session.info.pop(ROLES_READ, None)


def can_view(user: Optional[User], rollout: Rollout) -> bool:
    return role_in(user, rollout) is not None


def can_lead(user: Optional[User], rollout: Rollout) -> bool:
    return role_in(user, rollout) in ("admin", "lead")


# `None` as the actor is the system itself (the CLI and the scheduler), which may do anything;
# the web and the API always pass a user.

def require_view(user: Optional[User], rollout: Rollout) -> None:
    if user is None:
        return
    if not can_view(user, rollout):
        # reveal nothing about rollouts the user may not see
        raise NotFound(_("No such rollout."))


def require_lead(user: Optional[User], rollout: Rollout) -> None:
    if user is None:
        return
    require_view(user, rollout)
    if not can_lead(user, rollout):
        raise NotAllowed(_("Only the rollout's leads may do this."))


def require_admin(user: Optional[User]) -> None:
    if user is not None and not user.is_admin:
        raise NotAllowed(_("Only administrators may do this."))


def is_any_lead(user: Optional[User]) -> bool:
    if user is None:
        return False
    if user.is_admin:
        return True
    return db.session.scalar(
        select(RolloutRole.id).where(RolloutRole.user_id == user.id, RolloutRole.role == "lead").limit(1)
    ) is not None


# --- organisation-wide roles ----------------------------------------------------
# Admins grant them. A people manager keeps the people directory (reads, edits, imports,
# exports and erases people); a rollout creator may plan new rollouts. Nobody else reads
# the directory: a lead reads and edits only the people in their own rollouts' waves.

def can_manage_people(user: Optional[User]) -> bool:
    return user is not None and bool(user.is_admin or user.is_people_manager)


def require_people_manager(user: Optional[User]) -> None:
    if user is not None and not can_manage_people(user):
        raise NotAllowed(_("Only administrators and people managers may do this."))


def can_create_rollouts(user: Optional[User]) -> bool:
    return user is not None and bool(user.is_admin or user.is_rollout_creator)


def require_rollout_creator(user: Optional[User]) -> None:
    if user is not None and not can_create_rollouts(user):
        raise NotAllowed(_("Only administrators and rollout creators may plan new rollouts."))


def can_read_people(user: Optional[User]) -> bool:
    """May open the people pages at all: people managers see everyone, leads their members."""
    return can_manage_people(user) or is_any_lead(user)


def set_organisation_roles(user: User, actor: User, *, people_manager: bool, rollout_creator: bool,
                           council: Optional[bool] = None) -> None:
    """`council` None keeps the council role as it is."""
    require_admin(actor)
    before = {"people_manager": user.is_people_manager, "rollout_creator": user.is_rollout_creator,
              "council": bool(user.is_council)}
    after = {"people_manager": bool(people_manager), "rollout_creator": bool(rollout_creator),
             "council": bool(user.is_council) if council is None else bool(council)}
    if before == after:
        return
    user.is_people_manager, user.is_rollout_creator = after["people_manager"], after["rollout_creator"]
    user.is_council = after["council"]
    audit.record(actor, "user.roles", subject=user.email, details={"before": before, "after": after})
    db.session.commit()
