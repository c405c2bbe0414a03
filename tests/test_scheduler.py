"""The scheduler: ticks racing each other, the advisory lock, the CLI."""
from __future__ import annotations

import threading

import pytest

from rollout.extensions import db
from rollout.models import FeedbackLink, Notification, Response
from rollout.scheduler import SingleScheduler, run_tick
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
