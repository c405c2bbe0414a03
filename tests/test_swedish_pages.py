"""A page marked `lang="sv"` speaks Swedish (WCAG 3.1.1): every page of the app, read in Swedish
(the default) by an admin, who sees all of it, and by a participant, shows none of the app's own
English texts -- neither as text nor where a screen reader reads it (aria-label, title, alt,
placeholder, a button's value). What the team or a participant wrote in English may be there,
marked `lang="en"`.

The English texts are the catalog's: each message whose Swedish differs from it. So a string
left out of the catalog, or a page rendered without the compiled Swedish catalog (as an
installed copy without its .mo files did), fails here. The pages come from the app's URL map, as
in test_lang_every_page.py."""
from __future__ import annotations

import re
from pathlib import Path
from pprint import pformat

import pytest
from babel.messages.pofile import read_po

from .test_lang_every_page import VOID, Passages, pages, swedish_world  # noqa: F401 (a fixture)
from .test_roles import PASSWORD

SV_PO = Path(__file__).resolve().parent.parent / "rollout" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")
READ_ALOUD = ("aria-label", "title", "alt", "placeholder")
# the product's name, which the Swedish pages use too (the catalog also has "Rollout" as the
# English word for an utrullning)
NAMES = {"Rollout"}


def english_interface_texts() -> dict[str, re.Pattern]:
    """English text of the app -> a pattern finding it as whole words. A message with
    placeholders is looked for by its literal pieces of two words or more."""
    with open(SV_PO, "rb") as handle:
        catalog = read_po(handle, locale="sv")
    found: dict[str, re.Pattern] = {}
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        for english in ids:
            if english in strings or english in NAMES:  # the same in both languages ("API", "CSV" ...)
                continue
            pieces = [piece.strip(" .,:;()") for piece in PLACEHOLDER.split(english)]
            for piece in pieces if len(pieces) > 1 else [english.strip()]:
                if not piece or (len(pieces) > 1 and " " not in piece):
                    continue
                if any(piece in swedish for swedish in strings):  # a name kept in the Swedish too
                    continue
                found[piece] = re.compile(r"(?<![\w@.-])" + re.escape(piece) + r"(?![\w@-]|\.\w)")
    return found


class Heard(Passages):
    """What a person reads or hears on the page, each piece with the language it is marked with:
    the texts of <body> and <title>, and what a screen reader reads from attributes."""

    def _lang(self, own: str | None = None) -> str | None:
        return own or next((lang for _tag, lang in reversed(self.stack) if lang), None)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        lang = self._lang(attributes.get("lang"))
        for name in READ_ALOUD:
            if attributes.get(name):
                self.pieces.append((attributes[name], lang))
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset") and attributes.get("value"):
            self.pieces.append((attributes["value"], lang))
        if tag not in VOID:
            self.stack.append((tag, attributes.get("lang")))

    def handle_data(self, data):
        tags = [tag for tag, _lang in self.stack]
        if data.strip() and "textarea" not in tags and ("body" in tags or "title" in tags):
            self.pieces.append((data.strip(), self._lang()))


def written_by_people(app) -> list[str]:
    """What the world's people wrote or were named (an account "Lena Lead", a wave first planned as
    "Wave 1"): not the app's words, whatever language they are in. Longest first."""
    from sqlalchemy import select

    from rollout.extensions import db
    from rollout.models import AuditEvent, Person, Rollout, Unit, User, Wave
    with app.app_context():
        names = set()
        for column in (User.name, User.email, Person.name, Person.email, Unit.name, Rollout.name, Wave.name):
            names.update(db.session.scalars(select(column)))
        for details in db.session.scalars(select(AuditEvent.details)):  # names since changed
            if isinstance(details, dict) and isinstance(details.get("name"), str):
                names.add(details["name"])
    return sorted((name for name in names if name), key=len, reverse=True)


def english_on(html: str, texts: dict[str, re.Pattern], written: tuple[str, ...] = ()) -> list[str]:
    parser = Heard()
    parser.feed(html)
    assert parser.stack == [] or parser.stack[0][0] == "html", "the page parses"
    wrong = set()
    for piece, lang in parser.pieces:
        if lang not in (None, "sv"):
            continue
        for name in written:
            piece = piece.replace(name, " ")
        wrong.update(f"{english!r} in {piece[:80]!r}" for english, pattern in texts.items() if pattern.search(piece))
    return sorted(wrong)


def swedish_pages(client, paths) -> dict[str, str]:
    read = {}
    for endpoint, path in paths:
        response = client.get(path)
        if response.status_code == 302:  # not a page: it sends on to one
            continue
        assert response.status_code == 200, (endpoint, path, response.status_code)
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert '<html lang="sv">' in html, path
            read[path] = html
    return read


@pytest.fixture(scope="module")
def texts():
    found = english_interface_texts()
    assert len(found) > 300, "the catalog's English texts are read"
    return found


def test_every_page_an_admin_reads_in_swedish_shows_no_english_interface_text(app, swedish_world, texts):  # noqa: F811
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@example.se", "password": PASSWORD}).status_code == 302
    read = swedish_pages(client, pages(app, swedish_world, participant=False))
    assert len(read) >= 30, sorted(read)
    written = tuple(written_by_people(app))
    wrong = {path: found for path, html in read.items() if (found := english_on(html, texts, written))}
    assert wrong == {}, f"English interface texts on Swedish pages: {pformat(wrong)}"


def test_every_page_a_participant_reads_in_swedish_shows_no_english_interface_text(app, swedish_world, texts):  # noqa: F811
    client = app.test_client()
    read = swedish_pages(client, pages(app, swedish_world, participant=True))
    assert any("Byte till Windows 11" in html for html in read.values())
    written = tuple(written_by_people(app))
    wrong = {path: found for path, html in read.items() if (found := english_on(html, texts, written))}
    assert wrong == {}, f"English interface texts on Swedish pages: {pformat(wrong)}"


def test_the_sweep_finds_english_on_a_page_rendered_without_the_swedish_catalog(app, swedish_world, texts):  # noqa: F811
    """What an installed copy without its compiled catalog served: `lang="sv"` over English."""
    from flask_babel import get_domain
    client = app.test_client()
    with app.app_context():
        domain = get_domain()
        saved = dict(domain.cache)
        domain.cache.clear()
        app.extensions["babel"].translation_directories = [str(Path(app.root_path) / "nowhere")]
        try:
            html = client.get("/login").get_data(as_text=True)
        finally:
            domain.cache.clear()
            domain.cache.update(saved)
            app.extensions["babel"].translation_directories = [str(Path(app.root_path) / "translations")]
    assert '<html lang="sv">' in html
    assert any("'Log in'" in found for found in english_on(html, texts)), english_on(html, texts)
