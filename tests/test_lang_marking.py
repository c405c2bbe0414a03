"""The language of texts people wrote (WCAG 3.1.2): a rollout's language, kept by the service,
the API and the migration; and pages that mark its texts, and participants' answers, with
their language when it is not the page's -- and only then."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import render_template_string
from sqlalchemy import text as sql

from rollout.extensions import db
from rollout.models import Rollout
from rollout.services import feedback, lessons, retro, rollouts, waves
from rollout.services.errors import ValidationFailed

from . import builders
from .helpers import error_of, fields_of
from .test_migrations import empty_database  # noqa: F401 (a fixture)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class LanguageOfText(HTMLParser):
    """For each piece of text in <body>, the lang of its nearest element that has one. Text only
    screen readers hear (.visually-hidden: the rest of a button's name) and what a form field holds
    (a <textarea>'s text is its value; an <option>'s language is set where the view makes the
    choices, not yet) are left out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.pieces: list[tuple[str, str | None, str]] = []  # (text, lang, the tag that gave it)

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            hidden = tag in ("textarea", "option") or "visually-hidden" in (dict(attrs).get("class") or "").split()
            self.stack.append((tag, "hidden" if hidden else dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if data.strip() and any(tag == "body" for tag, _lang in self.stack) \
                and not any(lang == "hidden" for _tag, lang in self.stack):
            tag, lang = next(((t, lang) for t, lang in reversed(self.stack) if lang), ("", None))
            self.pieces.append((data.strip(), lang, tag))


def parsed(html: str) -> LanguageOfText:
    parser = LanguageOfText()
    parser.feed(html)
    return parser


def language_of(html: str, phrase: str) -> tuple[str | None, str]:
    """The language the page gives `phrase` (which must be on it, each time in the same language),
    and the element that says so where it first is."""
    found = [(lang, tag) for text, lang, tag in parsed(html).pieces if phrase in text]
    assert found, f"{phrase!r} is not on the page"
    assert len({lang for lang, _tag in found}) == 1, f"{phrase!r} is on the page in different languages: {found}"
    return found[0]


def page(client, path: str, language: str) -> str:
    client.get(f"/language/{language}")
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def swedish_world(ctx, lead):
    """A Swedish rollout whose pilot answered in Swedish, with a problem, cards, a theme and a lesson."""
    rollout, pilot, _wave1 = builders.pilot_in_review(lead, texts={
        "went_well": ["Snabb installation", "", "Trevlig support"],
        "could_be_better": ["Skrivaren fungerade inte", "För lite information i förväg", ""]})
    rollouts.update_rollout(rollout, {"name": "Byte till Windows 11", "description": "Alla datorer byts under våren."},
                            lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Skrivarkön försvann"}, lead)
    theme = retro.create_theme(pilot, {"title": "Utskrifter"}, lead)
    retro.group(pilot, [card.id], theme.id, lead)
    lesson = lessons.create_lesson(rollout, {"title": "Lathund för skrivare",
                                             "action": "Skicka lathunden till enheterna i förväg"}, lead)
    return rollout, pilot, lesson


def test_an_english_page_marks_the_swedish_texts_of_the_team_and_of_the_participants(client, auth, swedish_world):
    rollout, pilot, lesson = swedish_world
    auth.login()
    show = page(client, "/rollouts/win11-2027", "en")
    assert language_of(show, "Byte till Windows 11")[0] == "sv"
    assert language_of(show, "Alla datorer byts under våren.")[0] == "sv"
    assert language_of(show, pilot.name)[0] == "sv"
    board = page(client, "/rollouts/win11-2027/waves/0/retro", "en")
    for answer in ("Snabb installation", "Skrivaren fungerade inte", "För lite information i förväg"):
        assert language_of(board, answer)[0] == "sv", answer
    assert language_of(board, "Skrivarkön försvann")[0] == "sv"
    assert language_of(board, "Utskrifter")[0] == "sv"
    assert language_of(board, "Free-text answers")[0] == "en"  # the page's own words stay the page's
    shown = page(client, f"/rollouts/win11-2027/lessons/{lesson.id}", "en")
    assert language_of(shown, "Lathund för skrivare")[0] == "sv"
    assert language_of(shown, "Skicka lathunden till enheterna i förväg")[0] == "sv"
    results = page(client, "/rollouts/win11-2027/results", "en")
    assert language_of(results, "Byte till Windows 11")[0] == "sv"
    # <title> holds text only: the name stays unmarked there, and no tag shows in it
    assert "<title>Results – Byte till Windows 11" in results


def test_a_problem_description_is_marked_with_the_rollouts_language(client, auth, swedish_world):
    _rollout, pilot, _lesson = swedish_world
    token = next(iter(builders.wave_tokens(pilot).values()))
    feedback.report_problem(token, {"category": "printing", "severity": "major",
                                    "description": "Det går inte att skriva ut på plan 3"})
    auth.login()
    problems = page(client, "/rollouts/win11-2027/problems/", "en")
    assert language_of(problems, "Det går inte att skriva ut på plan 3")[0] == "sv"
    assert language_of(page(client, "/rollouts/win11-2027/problems/", "sv"),
                       "Det går inte att skriva ut på plan 3") == ("sv", "html")


def test_a_swedish_page_adds_no_lang_to_swedish_texts(client, auth, swedish_world):
    auth.login()
    for path, phrases in (("/rollouts/win11-2027", ("Byte till Windows 11", "Alla datorer byts under våren.")),
                          ("/rollouts/win11-2027/waves/0/retro", ("Snabb installation", "Skrivarkön försvann",
                                                                  "Utskrifter"))):
        html = page(client, path, "sv")
        for phrase in phrases:
            assert language_of(html, phrase) == ("sv", "html"), (path, phrase)
        marked = [lang for _text, lang, tag in parsed(html).pieces if tag != "html" and lang == "sv"]
        assert marked == ["sv"], f"only the language switch is marked Swedish on {path}: {marked}"


def test_an_english_rollout_is_marked_english_on_a_swedish_page(client, auth, ctx, lead):
    builders.make_people(3, unit="IT")
    rollout = rollouts.create_rollout({"key": "m365-2027", "name": "Moving to Microsoft 365",
                                       "description": "Mail moves first.", "language": "en"}, lead)
    builders.make_wave(rollout, lead, name="The pilot in the IT unit", units=["IT"])
    auth.login()
    html = page(client, "/rollouts/m365-2027", "sv")
    assert language_of(html, "Moving to Microsoft 365")[0] == "en"
    assert language_of(html, "Mail moves first.")[0] == "en"
    assert language_of(html, "The pilot in the IT unit")[0] == "en"
    assert language_of(page(client, "/rollouts/m365-2027", "en"), "Moving to Microsoft 365") == ("en", "html")


def test_an_answer_given_in_english_is_marked_english_in_a_swedish_rollout(client, auth, ctx, lead):
    builders.make_people(3, unit="Pilot", prefix="pil")
    rollout = builders.make_rollout(lead=lead)
    pilot = builders.make_wave(rollout, lead, name="Pilot", units=["Pilot"])
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    token = builders.wave_tokens(pilot)["pil1"]
    feedback.submit(token, {"satisfaction": 4, "worked_day_one": "yes", "went_well": "The install was quick"}, "en")
    auth.login()
    assert language_of(page(client, "/rollouts/win11-2027/waves/0/retro", "sv"),
                       "The install was quick")[0] == "en"


def test_the_filter_escapes_and_marks_only_another_language(ctx):
    template = "{{ text|in_lang(language) }}|<p{{ lang_attr(language) }}>"
    assert render_template_string(template, current_locale="en", text="<b>Öl</b> & mat", language="sv") == (
        '<span lang="sv">&lt;b&gt;Öl&lt;/b&gt; &amp; mat</span>|<p lang="sv">')
    assert render_template_string(template, current_locale="sv", text="<b>Öl</b>", language="sv") == (
        "&lt;b&gt;Öl&lt;/b&gt;|<p>")
    # no language known, or none but the page's: nothing is claimed
    assert render_template_string(template, current_locale="en", text="x", language="") == "x|<p>"
    assert render_template_string(template, current_locale="en", text="", language="sv") == "|<p lang=\"sv\">"


# --- the rollout's language: service, API, form, migration ---------------------------

def test_a_rollout_is_swedish_unless_told_and_takes_only_swedish_or_english(ctx, lead):
    assert builders.make_rollout(lead=lead).language == "sv"
    english = rollouts.create_rollout({"key": "m365-2027", "name": "M365", "language": "en"}, lead)
    assert english.language == "en"
    assert rollouts.update_rollout(english, {"name": "M365", "language": "sv"}, lead).language == "sv"
    assert rollouts.update_rollout(english, {"name": "M365 again"}, lead).language == "sv"  # not given: kept
    for wrong in ("de", "SV", "", 1):
        with pytest.raises(ValidationFailed) as refused:
            rollouts.create_rollout({"key": "wrong-2027", "name": "Wrong", "language": wrong}, lead)
        assert [d["field"] for d in refused.value.details] == ["language"]


def test_the_api_reads_and_writes_the_rollouts_language(api):
    created = api.post("/rollouts", json={"key": "m365-2027", "name": "M365", "language": "en"})
    assert created.status_code == 201 and created.get_json()["language"] == "en"
    assert api.get("/rollouts/m365-2027").get_json()["language"] == "en"
    changed = api.patch("/rollouts/m365-2027", json={"language": "sv"})
    assert changed.status_code == 200 and changed.get_json()["language"] == "sv"
    refused = api.patch("/rollouts/m365-2027", json={"language": "fi"})
    assert "language" in fields_of(error_of(refused, 422))
    schema = api.client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Rollout", "RolloutChange"):
        assert set(schema[name]["properties"]["language"]["enum"]) - {None} == {"sv", "en"}


def test_the_rollout_form_asks_for_the_language(logged_in):
    html = logged_in.get("/rollouts/new").get_data(as_text=True)
    assert '<select class="' in html or '<select' in html
    # each language's name in that language (WCAG 3.1.2), Swedish chosen unless told
    assert 'name="language"' in html and '<option lang="sv" selected value="sv">Svenska</option>' in html
    assert '<option lang="en" value="en">English</option>' in html


def test_rollouts_from_before_the_migration_are_swedish(empty_database):  # noqa: F811
    from flask_migrate import upgrade

    from .conftest import make_app

    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0006_sign_in_throttle")
        with db.engine.begin() as connection:
            connection.execute(sql(
                "INSERT INTO rollouts (id, key, name, description, anonymous, anonymity_k, reminder_days, "
                "problem_categories, gate, vote_budget, created_at) "
                "VALUES (1, 'old-2026', 'Gammal', '', false, 5, 2, '[]', '{}', 5, CURRENT_TIMESTAMP)"))
        upgrade()
        assert db.session.get(Rollout, 1).language == "sv"
        db.session.remove()
        db.engine.dispose()
