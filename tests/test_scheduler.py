"""The scheduler: ticks racing each other, the advisory lock, the CLI."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from rollout.extensions import db
from rollout.models import FeedbackLink, Notification, Response
from rollout.scheduler import LOCK_KEY, SingleScheduler, run_tick
from rollout.services import feedback, reconcile

from .test_feedback import GOOD, open_wave


def _race(app, count, work):
    barrier, results, errors = threading.Barrier(count), [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_two_ticks_at_once_send_every_message_once(app, is_postgres, lead, mailbox):
    if not is_postgres:
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    open_wave(lead, n=40)
    db.session.commit()
    results, errors = _race(app, 2, lambda: reconcile.tick().sent)
    assert not errors, errors
    assert sum(results) == 40
    assert len(mailbox.messages) == 40
    assert len({m["To"] for m in mailbox.messages}) == 40
    assert {n.status for n in db.session.query(Notification)} == {"sent"}


def test_the_same_answers_posted_at_once_make_one_response(app, is_postgres, lead):
    if not is_postgres:
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    rollout, wave = open_wave(lead, n=1)
    link = db.session.query(FeedbackLink).one()
    token = feedback.link_url(link).rsplit("/", 1)[1]
    results, errors = _race(app, 4, lambda: feedback.submit(token, GOOD).id)
    assert not errors, errors
    assert len(set(results)) == 1
    assert db.session.query(Response).count() == 1
    from rollout.models import Answer
    assert db.session.query(Answer).count() == len(GOOD)  # the edits took turns: no answer twice
    db.session.refresh(wave)
    assert wave.responses_count == 1


def test_a_second_scheduler_stays_idle(app, is_postgres, lead):
    first, second = SingleScheduler(app), SingleScheduler(app)
    try:
        assert first() is not None
        if is_postgres:
            assert second() is None  # the lock is held by the first
        else:
            assert second() is not None
    finally:
        for s in (first, second):
            if s.connection is not None:
                s.connection.close()


@pytest.mark.postgres_only
def test_a_scheduler_that_lost_its_lock_stops_ticking(app, is_postgres, lead):
    """Its connection dropped (here: the backend terminated), so the lock went to another
    scheduler: the first notices before its next tick and stays idle while the other holds it."""
    if not is_postgres:
        pytest.skip("the advisory lock is PostgreSQL's")
    first, second = SingleScheduler(app), SingleScheduler(app)
    try:
        assert first() is not None
        pid = first.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        first.connection.commit()
        with app.app_context(), db.engine.connect() as other:
            assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            other.commit()
            gone = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            for _ in range(100):  # termination is asynchronous: the lock is free once the backend has gone
                if not other.execute(gone, {"pid": pid}).scalar():
                    break
                other.commit()
                time.sleep(0.05)
        assert second() is not None  # the lock was free: the second takes over
        assert first() is None and not first.holding  # the first noticed and does not tick
        assert first() is None  # nor on the tick after
        # the lock released while the connection lives (e.g. by an operator) is noticed too
        second.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        second.connection.commit()
        assert first() is not None  # the first holds it now
        assert second() is None and not second.holding
    finally:
        for s in (first, second):
            s.release()


def test_messages_wait_while_the_mail_server_is_down(app, ctx, lead, mailbox):
    open_wave(lead, n=3)
    port = app.config["MAIL_PORT"]
    mailbox.stop()  # the server goes away
    report = run_tick(app)
    assert report["failed"] == 3 and report["sent"] == 0
    assert {n.status for n in db.session.query(Notification)} == {"pending"}
    from .conftest import Mailbox
    again = Mailbox()  # back, on another port
    app.config["MAIL_PORT"] = again.port
    try:
        assert run_tick(app)["sent"] == 3 and len(again.messages) == 3
        assert run_tick(app)["sent"] == 0
    finally:
        again.stop()
        app.config["MAIL_PORT"] = port


def test_the_tick_command(runner, ctx, lead):
    open_wave(lead, n=3)
    result = runner.invoke(args=["rollout", "tick"])
    assert result.exit_code == 0 and "outbox: 3" in result.output
    assert "outbox" not in runner.invoke(args=["rollout", "tick"]).output


def test_a_message_sent_again_after_a_crash_has_the_same_message_id(app, ctx, lead, mailbox):
    """At least once: a worker that dies after the SMTP server accepted a message but before it
    recorded so sends it again ten minutes later. The second copy carries the same Message-ID,
    so mail systems that drop duplicates show it once; different messages never share one."""
    from rollout.services import notify
    open_wave(lead, n=3)
    assert run_tick(app)["sent"] == 3
    sent = {m["To"]: m["Message-ID"] for m in mailbox.messages}
    assert len(set(sent.values())) == 3
    for row in db.session.query(Notification):
        again = notify._message(row, app.config["MAIL_DEFAULT_SENDER"])
        assert again["Message-ID"] == sent[row.to_address]
        assert again["Message-ID"].endswith("@kommun.example>")
