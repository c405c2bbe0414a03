"""A wave's invitations and reminders written in batches: the same messages, byte for byte, as
one rendering per person gave; a tick that dies midway leaves whole batches and the next goes
on without sending anyone a second one; the outbox is sent a batch per SMTP connection, and a
message the server did not accept stays pending."""
from __future__ import annotations

import socket

import pytest

from rollout.extensions import db
from rollout.models import FeedbackLink, Notification, Person
from rollout.services import feedback, notify, reconcile
from rollout.services.feedback import links

from . import builders
from .test_feedback import GOOD, open_wave

ODD_NAMES = ["Åsa Öberg", "O'Brien & <Söner>", 'Eve "Evil" <script>alert(1)</script>', "100 %(name)s {{ x }} %s",
             "  Spaced  Out  ", "Zoë\u00a0Ångström-Łukasz", "zq0123456789abcdef01234567zq", "Anna"]


def _make_odd(wave, languages=("sv", "en")):
    """Give the wave's members odd names and both languages; their links, by person id."""
    found = db.session.query(FeedbackLink, Person).join(Person, Person.id == FeedbackLink.person_id) \
        .filter(FeedbackLink.wave_id == wave.id).order_by(FeedbackLink.id).all()
    for index, (_link, person) in enumerate(found):
        person.name = ODD_NAMES[index % len(ODD_NAMES)]
        person.language = languages[index % len(languages)]
    db.session.commit()
    return {person.id: (link, person) for link, person in found}


def _assert_as_rendered_one_by_one(wave, kind, **context):
    """Every stored message of `kind` is what `notify.render` gives for its reader alone."""
    members = {person.id: (link, person) for link, person in db.session.query(FeedbackLink, Person)
               .join(Person, Person.id == FeedbackLink.person_id).filter(FeedbackLink.wave_id == wave.id)}
    rows = db.session.query(Notification).filter_by(wave_id=wave.id, kind=kind).all()
    assert rows
    for row in rows:
        link, person = members[row.person_id]
        subject, text, html = notify.render(kind, person.language, wave=wave, rollout=wave.rollout, person=person,
                                            url=feedback.link_url(link), closes_at=wave.feedback_closes_at,
                                            said_and_done=feedback.said_and_done(wave), **context)
        assert (row.subject, row.body_text, row.body_html) == (subject[:300], text, html), person.name
        assert row.language == person.language and row.to_address == person.email
    assert {row.language for row in rows} == {"sv", "en"}
    return rows


def test_batched_invitations_are_byte_for_byte_what_one_rendering_per_person_gave(ctx, lead, monkeypatch):
    rollout, pilot, wave1, lesson = builders.lesson_applied_for_wave1(lead, title='Bättre <info> & "mer"')
    rollout.name = 'Windows 11 & <Office> "2027"'
    db.session.commit()
    monkeypatch.setattr(links, "BATCH", 7)  # several batches, and a language's first message in each
    _make_odd(wave1)
    assert feedback.queue_invitations(wave1) == wave1.members_count == 30
    rows = _assert_as_rendered_one_by_one(wave1, "invitation")
    escaped = [row for row in rows if row.body_text.startswith(("Hej O'Brien & <Söner>,", "Hello O'Brien & <Söner>,"))]
    assert escaped and all("O&#39;Brien &amp; &lt;Söner&gt;" in row.body_html for row in escaped)
    assert all("<script>" not in row.body_html for row in rows)
    assert all("Bättre &lt;info&gt; &amp; &#34;mer&#34;" in row.body_html for row in rows)


@pytest.mark.parametrize("anonymous", [False, True])
def test_batched_reminders_are_byte_for_byte_what_one_rendering_per_person_gave(ctx, lead, anonymous, monkeypatch):
    rollout, wave = open_wave(lead, n=9, anonymous=anonymous)
    _make_odd(wave)
    tokens = sorted(builders.wave_tokens(wave).items())
    for _external_id, token in tokens[:3]:
        feedback.submit(token, GOOD)
    monkeypatch.setattr(links, "BATCH", 4)
    assert feedback.queue_reminders(wave) == (9 if anonymous else 6)  # anonymous: everyone, in other words
    _assert_as_rendered_one_by_one(wave, "reminder", anonymous=anonymous)
    assert feedback.queue_reminders(wave) == 0


def test_a_tick_that_dies_midway_leaves_whole_batches_and_the_next_invites_the_rest_once(
        app, ctx, lead, mailbox, monkeypatch):
    rollout, wave = open_wave(lead, n=7)
    monkeypatch.setattr(links, "BATCH", 3)
    real, calls = notify.add_messages, []

    def dies_on_the_second_batch(rows):
        calls.append(len(rows))
        if len(calls) == 2:
            real(rows)
            raise ConnectionError("the worker died")  # after writing, before its commit
        return real(rows)

    monkeypatch.setattr(notify, "add_messages", dies_on_the_second_batch)
    with pytest.raises(ConnectionError):
        reconcile.tick()
    db.session.rollback()
    assert db.session.query(Notification).filter_by(kind="invitation").count() == 3  # the first batch, whole
    assert mailbox.messages == []
    monkeypatch.setattr(notify, "add_messages", real)
    report = reconcile.tick()
    assert report.invitations == 4 and report.sent == 7
    assert sorted(m["To"] for m in mailbox.messages) == sorted(f"winp{i}@example.se" for i in range(1, 8))
    again = reconcile.tick()
    assert again.invitations == 0 and again.sent == 0 and len(mailbox.messages) == 7


def test_every_member_gets_one_working_link_however_many_batches(ctx, lead, monkeypatch):
    monkeypatch.setattr(links, "BATCH", 2)
    rollout, wave = open_wave(lead, n=5)
    found = db.session.query(FeedbackLink).filter_by(wave_id=wave.id).all()
    assert len(found) == 5 and len({link.person_id for link in found}) == 5
    assert len({link.token_hash for link in found}) == 5
    for external_id, token in builders.wave_tokens(wave).items():
        assert feedback.visit(token).person.external_id == external_id


class _Server:
    """A real SMTP server on loopback that refuses some recipients and notes each connection."""

    def __init__(self, refuse: set[str]):
        from aiosmtpd.controller import Controller
        self.messages, self.connections, self.refuse = [], set(), refuse
        server = self

        class Handler:
            async def handle_RCPT(self, _server, session, envelope, address, _options):
                if address in server.refuse:
                    return "550 5.1.1 no such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, _server, session, envelope):
                server.connections.add(session.peer)
                server.messages.extend(envelope.rcpt_tos)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()


@pytest.fixture
def refusing(app):
    server = _Server({"winp2@example.se"})
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_DEFAULT_SENDER="rollout@kommun.example")
    yield server
    server.stop()


def test_a_message_the_server_refuses_stays_pending_and_the_others_are_sent(ctx, lead, refusing):
    rollout, wave = open_wave(lead, n=4)
    report = reconcile.tick()
    assert report.sent == 3 and report.failed == 1
    status = {row.to_address: row for row in db.session.query(Notification)}
    assert status["winp2@example.se"].status == "pending" and "550" in status["winp2@example.se"].last_error
    assert {status[f"winp{i}@example.se"].status for i in (1, 3, 4)} == {"sent"}
    assert status["winp1@example.se"].body_text == ""  # delivered: the link is not kept at rest
    assert status["winp2@example.se"].body_text != ""  # still to be sent, so still there
    refusing.refuse.clear()
    assert reconcile.tick().sent == 1
    assert sorted(refusing.messages) == [f"winp{i}@example.se" for i in range(1, 5)]


def test_the_outbox_is_sent_a_batch_per_smtp_connection(ctx, lead, refusing):
    refusing.refuse.clear()
    rollout, wave = open_wave(lead, n=5)
    assert feedback.queue_invitations(wave) == 5
    delivery = notify.deliver_pending(limit=2)
    assert delivery.sent == 5 and len(refusing.messages) == 5
    assert len(refusing.connections) == 3  # 2 + 2 + 1
    assert {row.status for row in db.session.query(Notification)} == {"sent"}
    assert all(row.sent_at is not None for row in db.session.query(Notification))


def test_without_a_mail_server_a_wave_waits_in_the_outbox_a_batch_at_a_time(ctx, lead):
    rollout, wave = open_wave(lead, n=5)
    assert feedback.queue_invitations(wave) == 5
    assert notify.deliver_pending(limit=2).outbox == 5
    rows = db.session.query(Notification).all()
    assert {row.status for row in rows} == {"outbox"} and all(row.sent_at is None for row in rows)
    assert all(row.body_text and row.attempts == 1 for row in rows)  # never sent: kept to be read
    assert notify.deliver_pending().outbox == 0


@pytest.mark.parametrize("uses", ["{{ person.name|upper }}", "{{ person.email }}", "{{ url|length }}"])
def test_a_template_that_does_more_with_the_personal_values_is_rendered_in_full(app, ctx, uses):
    """Should a template use the reader's name or link otherwise than by inserting them (or
    another attribute of the person), a message for many still says exactly what one rendering
    per person says: the first message tells, and the rest are rendered in full."""
    from jinja2 import ChoiceLoader, DictLoader
    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({
        "email/odd.subject.txt": "{{ _('Hello %(name)s,', name=person.name) }}",
        "email/odd.txt": f"{{{{ _('Hello %(name)s,', name=person.name) }}}} {uses} {{{{ url }}}}",
        "email/odd.html": f"<p>{{{{ subject }}}}</p><p>{uses}</p><a href=\"{{{{ url }}}}\">x</a>"}), original])
    try:
        message = notify.WaveMessage("odd")
        for name in ("Ann", "O'Brien & <Co>", "Bo"):
            person = Person(name=name, email=f"{len(name)}@example.se", language="en")
            url = f"https://example.se/f/{name}"
            assert message.render("en", person, url) == notify.render("odd", "en", person=person, url=url)
    finally:
        app.jinja_env.loader = original
