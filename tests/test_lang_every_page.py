"""The language of texts people wrote (WCAG 3.1.2), on every page: each page of the app, read in
English by an admin (who sees all of it) and by a participant, of a Swedish rollout whose every
text is Swedish. Wherever one of those texts is on a page -- shown, or only heard by a screen
reader (a button's hidden name), or offered as a choice in a list -- it is marked Swedish.

The pages come from the app's URL map, so a new page is swept without anyone adding it here."""
from __future__ import annotations

from html.parser import HTMLParser
from pprint import pformat

import pytest
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import Rollout, Wave
from rollout.services import rollouts

from .role_matrix import ACCESS, expected_for
from .test_lang_marking import language_of
from .test_roles import PASSWORD, build_world

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

# the Swedish texts of the world: each is written by the team or a participant, none is the app's
SWEDISH = ("Byte till Windows 11", "Alla datorer byts under våren", "Pilotgruppen på IT", "Första vågen",
           "Sista vågen", "Informera tidigare", "Mejl en vecka innan", "Piloten gick bra",
           "Snabb installation", "Skrivaren", "Skrivarna", "Utskrifter")
# routes that are not pages, or not of this world (the language switch sends on; a sign-in page
# shows nothing written by anyone)
NOT_PAGES = {"static", "main.language", "auth.logout"}


class Passages(HTMLParser):
    """Each piece of text in <body> with the lang of its nearest element that has one; what a text
    field holds is its value, not a passage, and is left out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.pieces: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, "value" if tag == "textarea" else dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        tags = [tag for tag, _lang in self.stack]
        if data.strip() and "body" in tags and "textarea" not in tags:
            self.pieces.append((data.strip(), next((lang for _tag, lang in reversed(self.stack) if lang), None)))


def unmarked(html: str) -> list[str]:
    parser = Passages()
    parser.feed(html)
    return sorted({text for text, lang in parser.pieces if lang != "sv" and any(s in text for s in SWEDISH)})


@pytest.fixture
def swedish_world(app, ctx):
    world = build_world()
    alpha = db.session.scalar(select(Rollout).where(Rollout.key == "alpha"))
    rollouts.update_rollout(alpha, {"name": "Byte till Windows 11",
                                    "description": "Alla datorer byts under våren."}, None)
    for wave, name in zip(db.session.scalars(select(Wave).where(Wave.rollout_id == alpha.id).order_by(Wave.number)),
                          ("Pilotgruppen på IT", "Första vågen", "Sista vågen"), strict=True):
        wave.name = name
    db.session.commit()
    return world


def pages(app, world, *, participant: bool) -> list[tuple[str, str]]:
    """(endpoint, path) of each page a caller of this kind may open."""
    found = []
    with app.test_request_context():
        from flask import url_for
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint.startswith("api.") or rule.endpoint in NOT_PAGES:
                continue
            if (expected_for(rule.endpoint)["participant" if participant else "admin"] != "ok"
                    or (participant and ACCESS[rule.endpoint] != "participant")):
                continue
            args = {name: world["participant"] if name == "token" else world["args"][name] for name in rule.arguments}
            found.append((rule.endpoint, url_for(rule.endpoint, **args)))
    return sorted(found)


def english_pages(client, paths) -> dict[str, str]:
    client.get("/language/en")
    read = {}
    for endpoint, path in paths:
        response = client.get(path)
        if response.status_code == 302:  # not a page: it sends on to one (the start page)
            continue
        assert response.status_code == 200, (endpoint, path, response.status_code)
        if response.mimetype == "text/html":
            read[path] = response.get_data(as_text=True)
    return read


def test_every_page_an_admin_reads_in_english_marks_the_swedish_texts(app, swedish_world):
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@example.se", "password": PASSWORD}).status_code == 302
    read = english_pages(client, pages(app, swedish_world, participant=False))
    assert len(read) >= 30, sorted(read)  # the sweep reaches the pages, not a handful
    shown = {phrase for html in read.values() for phrase in SWEDISH if phrase in html}
    assert shown == set(SWEDISH), f"the world's texts are on the pages: {set(SWEDISH) - shown}"
    wrong = {path: found for path, html in read.items() if (found := unmarked(html))}
    assert wrong == {}, f"Swedish texts not marked lang=\"sv\" on English pages: {pformat(wrong)}"


def test_every_page_a_participant_reads_in_english_marks_the_swedish_texts(app, swedish_world):
    client = app.test_client()
    read = english_pages(client, pages(app, swedish_world, participant=True))
    assert any("Byte till Windows 11" in html for html in read.values())
    wrong = {path: found for path, html in read.items() if (found := unmarked(html))}
    assert wrong == {}, f"Swedish texts not marked lang=\"sv\" on English pages: {pformat(wrong)}"


def test_every_email_in_english_marks_the_swedish_texts(app, ctx, lead, admin, client):
    """Invitation, reminder, blocker alert and lesson owner's message, to readers of English, of a
    Swedish rollout: its name, its wave's and its lesson's texts are marked Swedish in the HTML."""
    from rollout.models import Notification, User
    from rollout.services import accounts, feedback, lessons, notify, people, waves

    from . import builders
    rows = builders.person_rows(3, unit="IT", prefix="en")
    people.upsert_people([{**row, "language": "sv" if i == 0 else "en"} for i, row in enumerate(rows)], None)
    owner = accounts.create_user("owner@example.se", "Olle Owner", "x" * 12)
    lead.language = owner.language = "en"
    rollout = rollouts.create_rollout({"key": "win11-2027", "name": "Byte till Windows 11"}, lead)
    rollouts.set_role(rollout, owner.email, "reviewer", lead)
    pilot = builders.make_wave(rollout, lead, name="Pilotgruppen på IT", units=["IT"])
    lesson = lessons.create_lesson(rollout, {"title": "Informera tidigare", "action": "Mejl en vecka innan",
                                             "target_wave": 0, "owner": owner.email}, lead)
    lessons.update_lesson(lesson, {"status": "planned"}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    feedback.queue_invitations(pilot)
    feedback.queue_reminders(pilot)
    token = next(iter(builders.wave_tokens(pilot).values()))
    feedback.report_problem(token, {"category": "printing", "severity": "blocker", "description": "Skrivaren"})
    notify.deliver_pending()
    sent = db.session.scalars(select(Notification).where(Notification.language == "en")).all()
    assert {m.kind for m in sent} >= {"invitation", "reminder", "blocker", "lesson_owner"}
    assert db.session.get(User, owner.id).language == "en"
    for message in sent:
        html = message.body_html
        assert "Byte till Windows 11" in html, message.kind
        assert unmarked(html) == [], (message.kind, unmarked(html))
    # the outbox in English: a message to a reader of Swedish is marked Swedish, subject and text (a
    # subject is stored as one text, so a Swedish name inside an English subject stays unmarked)
    swedish = db.session.scalars(select(Notification).where(Notification.language == "sv")).first()
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302
    client.get("/language/en")
    for path in ("/admin/outbox", f"/admin/outbox/{swedish.id}"):
        html = client.get(path).get_data(as_text=True)
        assert language_of(html, swedish.subject)[0] == "sv", path
