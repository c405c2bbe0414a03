""""You said, we did": a participant sees the lessons applied before their wave --
on the questionnaire, the thanks page and the closed page, and briefly in the
invitation and reminder e-mails -- in their language, and nothing internal."""
from __future__ import annotations

import re
from html import unescape

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from rollout.extensions import db
from rollout.models import Person
from rollout.services import feedback, lessons, notify, reconcile, rollouts, waves

from . import builders

APPLIED = ("Brief the service desk", "The service desk got a one-page briefing the week before.")
PRINTER = ("Printer driver on the image", "")
DROPPED = "Give everyone a new mouse"
REOPENED = "Shorter questionnaire"
NOT_YET = "Video guide"
ELSEWHERE = "A lesson of another rollout"


def said_heading(language: str) -> str:
    with force_locale(language):
        return _("You said, we did")


def after_heading(language: str, number: int) -> str:
    with force_locale(language):
        return _("After the pilot") if number == 0 else _("After wave %(n)s", n=number)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def said_section(html: str) -> str:
    found = re.search(r'<section class="said-done".*?</section>', html, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def wave1_collecting(ctx, lead):
    """A rollout whose wave 1 collects feedback after the pilot's lessons: two applied (one of
    them owned, with a metric), one dropped, one set back to planned after the start, one
    still open for wave 2; and another rollout with an applied lesson of its own."""
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    builders.make_people(3, unit="Later", prefix="lat")
    builders.make_wave(rollout, lead, name="Wave 2", units=["Later"])
    reviewer = builders.make_user("rita@example.se", "Rita Reviewer")
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)

    applied = lessons.create_lesson(rollout, {"title": APPLIED[0], "action": APPLIED[1], "origin_wave": 0,
                                              "owner": reviewer.email, "metric": "satisfaction"}, lead)
    printer = lessons.create_lesson(rollout, {"title": PRINTER[0], "origin_wave": 0}, lead)
    reopened = lessons.create_lesson(rollout, {"title": REOPENED, "origin_wave": 0}, lead)
    dropped = lessons.create_lesson(rollout, {"title": DROPPED, "origin_wave": 0}, lead)
    lessons.create_lesson(rollout, {"title": NOT_YET, "origin_wave": 0, "target_wave": 2}, lead)
    for lesson in (applied, printer, reopened):
        lessons.update_lesson(lesson, {"status": "applied"}, lead)
    lessons.update_lesson(dropped, {"status": "dropped", "reason": "Nobody asked for it"}, lead)
    waves.decide(pilot, "go", "good enough", lead)
    waves.transition(wave1, "active", lead)
    waves.transition(wave1, "feedback", lead)
    # it turned out not to be done after all: planned again, for the next wave (wave 1 has started)
    lessons.update_lesson(reopened, {"status": "planned", "target_wave": 2}, lead)

    other, other_pilot, other_wave1 = builders.pilot_in_review(lead, key="other-2027")
    elsewhere = lessons.create_lesson(other, {"title": ELSEWHERE, "origin_wave": 0}, lead)
    lessons.update_lesson(elsewhere, {"status": "applied"}, lead)
    return rollout, pilot, wave1


def test_a_wave_1_participant_sees_what_was_done_after_the_pilot_on_the_form_and_thanks_pages(
        wave1_collecting, client):
    rollout, pilot, wave1 = wave1_collecting
    token = sorted(builders.wave_tokens(wave1).items())[0][1]
    form = page(client, f"/f/{token}")
    section = said_section(form)
    assert f"<h2 id=\"said-done-title\">{said_heading('sv')}</h2>" in section
    assert f"<h3>{after_heading('sv', 0)}</h3>" in section
    assert APPLIED[0] in section and APPLIED[1] in section and PRINTER[0] in section
    assert section.index(APPLIED[0]) < section.index(PRINTER[0])
    assert len(re.findall(r"<li>", section)) == 2
    for hidden in (DROPPED, REOPENED, NOT_YET, ELSEWHERE):
        assert hidden not in form
    # nothing internal: not the owner, the metric or the status
    for internal in ("Rita Reviewer", "rita@example.se", "satisfaction", lessons.status_label("applied")):
        assert internal not in section
    assert form.index('<section class="said-done"') < form.index("<form")  # read before answering, not after

    feedback.submit(token, {"satisfaction": 4, "worked_day_one": "yes"})
    thanks = page(client, f"/f/{token}/thanks")
    assert APPLIED[0] in said_section(thanks) and PRINTER[0] in said_section(thanks)
    assert DROPPED not in thanks and ELSEWHERE not in thanks


def test_the_page_speaks_the_participants_language_and_the_closed_page_lists_them_too(
        wave1_collecting, client, lead):
    rollout, pilot, wave1 = wave1_collecting
    external_id, token = sorted(builders.wave_tokens(wave1).items())[1]
    person = db.session.query(Person).filter_by(external_id=external_id).one()
    person.language = "en"
    db.session.commit()
    html = page(client, f"/f/{token}")
    assert 'lang="en"' in html
    assert f">{said_heading('en')}</h2>" in html and f"<h3>{after_heading('en', 0)}</h3>" in html
    waves.transition(wave1, "review", lead)
    closed = page(client, f"/f/{token}")
    assert 'name="q_satisfaction"' not in closed  # read-only now
    assert APPLIED[0] in said_section(closed) and PRINTER[0] in said_section(closed)
    assert DROPPED not in closed and ELSEWHERE not in closed


def test_a_pilot_participant_sees_no_such_section(ctx, lead, client):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": APPLIED[0], "origin_wave": 0}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)  # for wave 1, not for the pilot
    token = next(iter(builders.wave_tokens(pilot).values()))
    html = page(client, f"/f/{token}")
    assert said_section(html) == "" and APPLIED[0] not in html
    assert feedback.said_and_done(pilot) == []


def test_later_waves_see_the_most_recent_lessons_first(ctx, lead, client):
    rollout, pilot, wave1 = builders.pilot_in_review(lead, rest=6)
    builders.make_people(4, unit="Later", prefix="lat")
    wave2 = builders.make_wave(rollout, lead, name="Wave 2", units=["Later"])
    from_pilot = lessons.create_lesson(rollout, {"title": APPLIED[0], "action": APPLIED[1], "origin_wave": 0}, lead)
    lessons.update_lesson(from_pilot, {"status": "applied"}, lead)
    waves.decide(pilot, "go", "ok", lead)
    for state in ("active", "feedback", "review"):
        waves.transition(wave1, state, lead)
    from_wave1 = lessons.create_lesson(rollout, {"title": PRINTER[0], "origin_wave": 1}, lead)
    assert from_wave1.target_wave == wave2
    lessons.update_lesson(from_wave1, {"status": "applied"}, lead)
    waves.decide(wave1, "go", "ok", lead)
    waves.transition(wave2, "active", lead)
    waves.transition(wave2, "feedback", lead)

    groups = feedback.said_and_done(wave2)
    assert [(g.after_wave, [lesson.title for lesson in g.lessons]) for g in groups] == [
        (1, [PRINTER[0]]), (0, [APPLIED[0]])]
    section = said_section(page(client, f"/f/{next(iter(builders.wave_tokens(wave2).values()))}"))
    assert section.index(after_heading("sv", 1)) < section.index(PRINTER[0]) \
        < section.index(after_heading("sv", 0)) < section.index(APPLIED[0])


def test_the_invitation_lists_the_lessons_in_swedish_and_in_english(wave1_collecting, mailbox):
    rollout, pilot, wave1 = wave1_collecting
    swedish_id, english_id = sorted(builders.wave_tokens(wave1))[:2]
    english = db.session.query(Person).filter_by(external_id=english_id).one()
    english.language = "en"
    db.session.commit()
    swedish = db.session.query(Person).filter_by(external_id=swedish_id).one()

    report = reconcile.tick()
    assert report.sent == wave1.members_count
    for person, language in ((swedish, "sv"), (english, "en")):
        [message] = mailbox.to(person.email)
        text = mailbox.text(message)
        html = message.get_body(preferencelist=("html",)).get_content()
        with force_locale(language):
            assert text.startswith(_("Hello %(name)s,", name=person.name))
        for body in (text, unescape(html)):
            assert said_heading(language) in body
            assert APPLIED[0] in body and PRINTER[0] in body
            for hidden in (DROPPED, REOPENED, NOT_YET, ELSEWHERE, "Rita Reviewer"):
                assert hidden not in body
        assert APPLIED[1] not in text  # briefly: the titles only


def test_the_reminder_lists_them_too_and_the_pilots_invitation_does_not(ctx, lead, mailbox):
    rollout, pilot, wave1 = builders.pilot_in_review(lead, rest=3)
    lesson = lessons.create_lesson(rollout, {"title": APPLIED[0], "origin_wave": 0}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    waves.decide(pilot, "go", "ok", lead)
    waves.transition(wave1, "active", lead)
    waves.transition(wave1, "feedback", lead)
    assert feedback.queue_reminders(wave1) == 3
    assert feedback.queue_invitations(pilot) == pilot.members_count
    db.session.commit()
    notify.deliver_pending()
    reminders = [m for m in mailbox.messages if m["Subject"].startswith(reminder_subject(rollout))]
    assert len(reminders) == 3 and all(APPLIED[0] in mailbox.text(m) for m in reminders)
    invitations = [m for m in mailbox.messages if m not in reminders]
    assert len(invitations) == pilot.members_count
    assert not any(said_heading("sv") in mailbox.text(m) or APPLIED[0] in mailbox.text(m) for m in invitations)


def reminder_subject(rollout) -> str:
    with force_locale("sv"):
        return _("Reminder: your feedback on %(rollout)s", rollout=rollout.name)


def test_invitations_query_the_lessons_once_per_wave(wave1_collecting, monkeypatch):
    rollout, pilot, wave1 = wave1_collecting
    calls = []
    real = lessons.applied_before
    monkeypatch.setattr(lessons, "applied_before", lambda wave: calls.append(wave.id) or real(wave))
    assert feedback.queue_invitations(wave1) == wave1.members_count > 1
    assert calls == [wave1.id]
