"""E-mail: queue a message as a row (exactly once per key), then deliver the
pending rows over SMTP -- or, with no MAIL_SERVER, leave them in the outbox
that administrators read in the UI."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Optional

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import ColumnElement, case, func, or_, select, update

from ..extensions import db, execute_dml
from ..models import Notification, NotificationKind, Rollout, User
from ..models.types import utcnow
from ..models.vocabularies import labelled
from . import bulk_insert
from .paging import page_of

log = logging.getLogger(__name__)

# a row claimed by a worker that died is tried again after this long
STALE_CLAIM = timedelta(minutes=10)
BATCH = 200  # messages claimed and sent over one SMTP connection
OUTBOX_BATCH = 1000  # messages moved to the outbox by one UPDATE (no mail server)
MARK_EVERY = 50  # sent messages recorded by one UPDATE and commit: a crash sends at most these again
# once delivered the link in these is not kept at rest: it is the participant's credential
CREDENTIAL_KINDS = ("invitation", "reminder", "new_link", "checkin")


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


class _Reader:
    """The reader while the common part of a message is rendered: only the name is personal.
    Any other attribute is an error, not an empty string, so that a template that starts using
    one is noticed (`WaveMessage` then renders each message in full)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        raise _NotPersonal(f"a message for many uses person.{attribute}: only person.name is filled in")


class _NotPersonal(RuntimeError):
    pass


# a piece of a rendered message: a text, or (True) the name of the personal value that goes there
_Piece = tuple[str, bool]


class WaveMessage:
    """One template sent to many people (the invitations or reminders of a wave). What is the
    same for all of them -- the template, the rollout, the dates, "you said, we did" -- is rendered
    once per language with stand-ins for the personal values (the reader's name and link), which
    are then filled in per person, escaped in HTML as Jinja escapes them: byte for byte what
    `render` gives for that person. Each language's first message is checked against a full
    rendering; should a template stop fitting the stand-ins, every message is rendered in full."""

    def __init__(self, template: str, **context: Any) -> None:
        self.template, self.context = template, context
        self._parts: dict[str, Optional[tuple[list[_Piece], list[_Piece], list[_Piece]]]] = {}
        self._marks = {"name": f"zq{secrets.token_hex(12)}zq", "url": f"zq{secrets.token_hex(12)}zq"}

    def render(self, language: str, person: Any, url: str) -> tuple[str, str, str]:
        """Subject, text and HTML of the message for `person` (a Person, or anything with what
        the template reads of one) with the personal link `url`."""
        if language not in self._parts:
            self._parts[language] = self._common(language)
            full = self._full(language, person, url)
            if self._parts[language] is not None and self._fill(language, person.name, url) != full:
                self._parts[language] = None
            if self._parts[language] is None:
                log.warning("email/%s does not fit WaveMessage: each message is rendered in full", self.template)
            return full
        return self._fill(language, person.name, url) or self._full(language, person, url)

    def _full(self, language: str, person: Any, url: str) -> tuple[str, str, str]:
        return render(self.template, language, person=person, url=url, **self.context)

    def _common(self, language: str) -> Optional[tuple[list[_Piece], list[_Piece], list[_Piece]]]:
        try:
            subject, text, html = self._full(language, _Reader(self._marks["name"]), self._marks["url"])
        except _NotPersonal:
            return None
        return self._split(subject), self._split(text), self._split(html)

    def _split(self, rendered: str) -> list[_Piece]:
        field_of = {mark: field for field, mark in self._marks.items()}
        pieces = re.split("(" + "|".join(map(re.escape, field_of)) + ")", rendered)
        return [(field_of[piece], True) if index % 2 else (piece, False) for index, piece in enumerate(pieces)]

    def _fill(self, language: str, name: str, url: str) -> Optional[tuple[str, str, str]]:
        parts = self._parts[language]
        if parts is None:
            return None
        plain = {"name": name, "url": url}
        escaped = {"name": str(escape(name)), "url": str(escape(url))}
        # render() strips the subject: the same once the name is in (it may begin or end it)
        subject = "".join(plain[piece] if personal else piece for piece, personal in parts[0]).strip()
        text = "".join(plain[piece] if personal else piece for piece, personal in parts[1])
        html = "".join(escaped[piece] if personal else piece for piece, personal in parts[2])
        return subject, text, html


def kind_labels() -> dict[str, str]:
    """Every kind of message, with its name: the one list the outbox and its filter use."""
    return labelled(NotificationKind, {"invitation": _("Invitation"), "reminder": _("Reminder"),
                                       "new_link": _("New link"), "blocker": _("Blocker alert"),
                                       "lesson_owner": _("Lesson to own"), "checkin": _("Check-in"),
                                       "idea_decision": _("Decision on an idea")})


def queue(kind: str, key: str, to_address: str, language: str, template: str, *,
          wave_id: Optional[int] = None, person_id: Optional[int] = None, user_id: Optional[int] = None,
          **context: Any) -> bool:
    """Add a message unless one with the same key exists; True when it was added.
    Runs in the caller's transaction."""
    subject, text, html = render(template, language, **context)
    return add_messages([message_row(kind, key, to_address, language, (subject, text, html), wave_id=wave_id,
                                     person_id=person_id, user_id=user_id)]) == 1


# the columns of a message that `message_row` gives; the rest are those of a new, pending one
MESSAGE_COLUMNS = ("dedupe_key", "kind", "wave_id", "person_id", "user_id", "to_address", "language", "subject",
                   "body_text", "body_html")


def message_row(kind: str, key: str, to_address: str, language: str, rendered: tuple[str, str, str], *,
                wave_id: Optional[int] = None, person_id: Optional[int] = None,
                user_id: Optional[int] = None) -> dict[str, Any]:
    """One message for `add_messages`, rendered as subject, text and HTML."""
    if kind not in NotificationKind.__members__.values():
        raise ValueError(f"{kind!r} is no kind of message: add it to models.NotificationKind")
    subject, body_text, body_html = rendered
    return dict(dedupe_key=key, kind=kind, wave_id=wave_id, person_id=person_id, user_id=user_id,
                to_address=to_address, language=language, subject=subject[:300], body_text=body_text,
                body_html=body_html)


def add_messages(rows: Sequence[dict[str, Any]]) -> int:
    """Add these messages (`message_row`), pending, in one statement, each unless one with its
    key exists (a concurrent tick's, or one from a tick that died midway); how many were added.
    Runs in the caller's transaction."""
    return bulk_insert.insert_rows(db.metadata.tables[Notification.__tablename__], rows, MESSAGE_COLUMNS, unique="dedupe_key",
                                   same=dict(status="pending", attempts=0, last_error="", created_at=utcnow()))


def _due(now: datetime, keys: Optional[list[str]]) -> ColumnElement[bool]:
    due = or_(Notification.status == "pending",
              (Notification.status == "sending") & (Notification.claimed_at < now - STALE_CLAIM))
    return due & Notification.dedupe_key.in_(keys) if keys is not None else due


def _claim(limit: int, keys: Optional[list[str]], after: int, status: str = "sending") -> list[int]:
    """Mark up to `limit` due rows after the id `after` with `status` (being sent by this worker,
    or kept in the outbox), and commit: each row is claimed by one worker only. The rows are
    chosen in id order FOR UPDATE SKIP LOCKED on PostgreSQL, so a second worker takes the next
    ones instead of waiting, then marked by one UPDATE of those ids that are still due (on SQLite,
    where the choosing does not lock, that keeps a row from being claimed twice). Two statements
    rather than UPDATE ... WHERE id IN (SELECT ...): PostgreSQL planned that one as a scan of the
    whole table, so that each batch of a large wave cost more than the one before."""
    now = utcnow()
    due = _due(now, keys)
    chosen = select(Notification.id).where(due, Notification.id > after).order_by(Notification.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(chosen))
    if not ids:
        db.session.commit()
        return []
    claimed = db.session.scalars(
        update(Notification).where(Notification.id.in_(ids), due)
        .values(status=status, claimed_at=now, attempts=Notification.attempts + 1)
        .returning(Notification.id).execution_options(synchronize_session=False))
    ids = sorted(claimed)
    db.session.commit()
    return ids


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


def deliver_pending(limit: Optional[int] = None, keys: Optional[list[str]] = None) -> Delivery:
    """Send what is due (only the messages with these `keys`, when given), `limit` (BATCH) at a
    time over one SMTP connection. Without MAIL_SERVER the messages stay readable in the outbox
    (moved there `limit`, or OUTBOX_BATCH, at a time)."""
    config = current_app.config
    result = Delivery()
    after = 0  # each batch goes on from the last: a message failed in this tick waits for the next
    if not config.get("MAIL_SERVER"):
        while ids := _claim(limit or OUTBOX_BATCH, keys, after, status="outbox"):
            result.outbox += len(ids)  # kept to be read: never sent, so no time of sending
            after = ids[-1]
        return result
    while ids := _claim(limit or BATCH, keys, after):
        after = ids[-1]
        rows = db.session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id))
        sender = config.get("MAIL_DEFAULT_SENDER") or "rollout@localhost"
        # built before the first commit below, which expires the rows
        messages = [(row.id, _message(row, sender)) for row in rows]
        sent, failed = _send(messages)
        result.sent, result.failed = result.sent + sent, result.failed + failed
        if failed:
            return result  # the server has trouble: the next tick tries again
    return result


def _send(messages: list[tuple[int, EmailMessage]]) -> tuple[int, int]:
    """Send over one SMTP connection; a message is recorded as sent (MARK_EVERY at a time) only
    once the server has accepted it, and one it did not accept is pending again. How many were
    sent, and how many failed."""
    config = current_app.config
    try:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=30)
    except OSError as error:
        _fail([notification_id for notification_id, _message in messages], error)
        return 0, len(messages)
    sent = failed = 0
    unmarked: list[int] = []  # accepted by the server, not yet recorded
    with smtp:
        try:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        except (smtplib.SMTPException, OSError) as error:
            _fail([notification_id for notification_id, _message in messages], error)
            return 0, len(messages)
        for notification_id, message in messages:
            try:
                smtp.send_message(message)
            except (smtplib.SMTPException, OSError) as error:
                _fail([notification_id], error)
                failed += 1
                continue
            sent += 1
            unmarked.append(notification_id)
            if len(unmarked) >= MARK_EVERY:
                _mark_sent(unmarked)
                unmarked = []
    _mark_sent(unmarked)
    return sent, failed


def _mark_sent(ids: list[int]) -> None:
    if not ids:
        return
    credential = Notification.kind.in_(CREDENTIAL_KINDS)
    execute_dml(update(Notification).where(Notification.id.in_(ids), Notification.status == "sending")
                .values(status="sent", sent_at=utcnow(),
                        body_text=case((credential, ""), else_=Notification.body_text),
                        body_html=case((credential, ""), else_=Notification.body_html))
                .execution_options(synchronize_session=False))
    db.session.commit()


def _fail(ids: list[int], error: Exception) -> None:
    # pending again: the next tick tries once more, up to five times
    execute_dml(update(Notification).where(Notification.id.in_(ids))
                .values(status=case((Notification.attempts >= 5, "failed"), else_="pending"),
                        last_error=f"{error.__class__.__name__}: {error}"[:2000])
                .execution_options(synchronize_session=False))
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
