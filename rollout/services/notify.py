"""E-mail: queue a message as a row (exactly once per key), then deliver the
pending rows over SMTP -- or, with no MAIL_SERVER, leave them in the outbox
that administrators read in the UI."""
from __future__ import annotations

import hashlib
import hmac
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, Optional

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db, execute_dml
from ..models import Notification, NotificationKind, Rollout, User
from ..models.types import utcnow
from ..models.vocabularies import labelled
from .paging import page_of

# a row claimed by a worker that died is tried again after this long
STALE_CLAIM = timedelta(minutes=10)
BATCH = 200


@dataclass
class Delivery:
    sent: int = 0
    outbox: int = 0
    failed: int = 0


def public_url(path: str) -> str:
    """The address of `path` as a reader of an e-mail reaches it (PUBLIC_URL)."""
    return current_app.config.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/") + path


def privacy_url(language: str) -> str:
    """The privacy notice (views/public.py) in the reader's language; every e-mail links to it."""
    return public_url("/privacy" + ("?lang=en" if language == "en" else ""))


def render(template: str, language: str, **context: Any) -> tuple[str, str, str]:
    """Subject, text and HTML of `templates/email/<template>` in the reader's language."""
    context.setdefault("privacy_url", privacy_url(language))
    with force_locale(language):
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", subject=subject, **context)
    return subject, text, html


def kind_labels() -> dict[str, str]:
    """Every kind of message, with its name: the one list the outbox and its filter use."""
    return labelled(NotificationKind, {"invitation": _("Invitation"), "reminder": _("Reminder"),
                                       "new_link": _("New link"), "blocker": _("Blocker alert"),
                                       "lesson_owner": _("Lesson to own")})


def queue(kind: str, key: str, to_address: str, language: str, template: str, *,
          wave_id: Optional[int] = None, person_id: Optional[int] = None, user_id: Optional[int] = None,
          **context: Any) -> bool:
    """Add a message unless one with the same key exists; True when it was added.
    Runs in the caller's transaction."""
    if kind not in NotificationKind.__members__.values():
        raise ValueError(f"{kind!r} is no kind of message: add it to models.NotificationKind")
    subject, text, html = render(template, language, **context)
    values = dict(dedupe_key=key, kind=kind, wave_id=wave_id, person_id=person_id, user_id=user_id,
                  to_address=to_address, language=language, subject=subject[:300], body_text=text,
                  body_html=html, status="pending", attempts=0, last_error="", created_at=utcnow())
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = db.session.execute(insert(Notification).values(**values).on_conflict_do_nothing(
        index_elements=["dedupe_key"]).returning(Notification.id))
    return result.first() is not None  # (rowcount is -1 here on psycopg)


def _claim(limit: int, keys: Optional[list[str]] = None) -> list[int]:
    """Mark up to `limit` due rows as being sent by this worker; each row is claimed by one worker only."""
    now = utcnow()
    due = or_(Notification.status == "pending",
              (Notification.status == "sending") & (Notification.claimed_at < now - STALE_CLAIM))
    if keys is not None:
        due = due & Notification.dedupe_key.in_(keys)
    query = select(Notification.id).where(due).order_by(Notification.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    claimed = []
    for notification_id in ids:
        result = execute_dml(
            update(Notification).where(Notification.id == notification_id, due)
            .values(status="sending", claimed_at=now, attempts=Notification.attempts + 1))
        if result.rowcount:
            claimed.append(notification_id)
    db.session.commit()
    return claimed


def _message_id(row: Notification, sender: str) -> str:
    """The same for every attempt to send one row: should a crash between the SMTP server's
    acceptance and our commit send it again (see README, at least once), a mail system or
    client that drops duplicates by Message-ID shows it once. Keyed, so it tells nothing."""
    domain = sender.rpartition("@")[2].strip(">") or "rollout.local"
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"message:{row.id}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _message(row: Notification, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = row.to_address
    message["Message-ID"] = _message_id(row, sender)
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    # after the content: set_content() drops the Content-* headers it finds
    message["Content-Language"] = row.language
    return message


def deliver_pending(limit: int = BATCH, keys: Optional[list[str]] = None) -> Delivery:
    """Send what is due (only the messages with these `keys`, when given). Without
    MAIL_SERVER the messages stay readable in the outbox."""
    config = current_app.config
    result = Delivery()
    while True:
        ids = _claim(limit, keys)
        if not ids:
            return result
        rows = list(db.session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)))
        if not config.get("MAIL_SERVER"):
            for row in rows:
                row.status = "outbox"  # kept to be read: never sent, so no time of sending
            result.outbox += len(rows)
            db.session.commit()
            continue
        sender = config.get("MAIL_DEFAULT_SENDER") or "rollout@localhost"
        try:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=30)
        except OSError as error:
            _fail(rows, error)
            result.failed += len(rows)
            return result
        with smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for row in rows:
                try:
                    smtp.send_message(_message(row, sender))
                except (smtplib.SMTPException, OSError) as error:
                    _fail([row], error)
                    result.failed += 1
                    continue
                row.status, row.sent_at = "sent", utcnow()
                # the link in an invitation is a credential: once delivered it is not kept at rest
                if row.kind in ("invitation", "reminder", "new_link"):
                    row.body_text, row.body_html = "", ""
                db.session.commit()
                result.sent += 1
        if result.failed:
            return result  # the server has trouble: the next tick tries again


def _fail(rows: list[Notification], error: Exception) -> None:
    for row in rows:
        # pending again: the next tick tries once more, up to five times
        row.status = "failed" if row.attempts >= 5 else "pending"
        row.last_error = f"{error.__class__.__name__}: {error}"[:2000]
    db.session.commit()


def delivered(wave_id: int, kind: str) -> int:
    """How many messages of this kind for a wave a mail server has accepted."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.wave_id == wave_id, Notification.kind == kind, Notification.status == "sent")) or 0


def outbox(page: int = 1, per_page: int = 50, kind: str = "") -> tuple[list[Notification], int]:
    query = select(Notification)
    if kind:
        query = query.where(Notification.kind == kind)
    return page_of(query.order_by(Notification.id.desc()), page, per_page)


def leads_of(rollout: Rollout) -> list[User]:
    from ..models import RolloutRole
    return list(db.session.scalars(select(User).join(RolloutRole, RolloutRole.user_id == User.id)
                                   .where(RolloutRole.rollout_id == rollout.id, RolloutRole.role == "lead",
                                          User.active.is_(True))))


PERSONAL_LINK = re.compile(r"/f/[A-Za-z0-9_-]+")


def body_for_admins(row: Notification) -> str:
    """A message's text as the outbox shows it: every personal link hidden, since it is the
    participant's credential (whoever holds it answers, and sees the answers, as them)."""
    return PERSONAL_LINK.sub("/f/…", row.body_text or "")
