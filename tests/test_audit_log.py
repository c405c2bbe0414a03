"""The audit log in words: every entry a sentence in the reader's language, its details labelled,
never an action code, a field key or a Python repr."""
from __future__ import annotations

import re

from rollout.models import AuditEvent
from rollout.services import audit_text, waves

from . import builders
from .helpers import text_of


def test_the_rollouts_log_reads_as_sentences_in_both_languages(client, auth, ctx, lead):
    builders.make_people(3)
    rollout = builders.make_rollout(lead=lead)
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.update_wave(wave, {"name": "Piloten", "selection": {"percentage": None, "units": ["Enhet A"],
                                                            "people": [], "attributes": {}}}, lead)
    waves.transition(wave, "active", lead)
    auth.login()
    client.get("/language/en")
    english = text_of(client.get("/rollouts/win11-2027/audit").get_data(as_text=True))
    assert "Moved wave 0 from “Planned” to “Active”" in english
    assert "Planned wave 0" in english and "Created the rollout win11-2027" in english
    assert "Percentage: none" in english
    for raw in ("wave.transition", "wave.create", "percentage: None", "{'", "None"):
        assert raw not in english, raw
    client.get("/language/sv")
    swedish = text_of(client.get("/rollouts/win11-2027/audit").get_data(as_text=True))
    assert "wave.transition" not in swedish and "Moved wave" not in swedish and "Percentage" not in swedish


def test_every_action_the_code_records_has_words(app):
    """An action recorded anywhere in rollout/ without a sentence would show as a code."""
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent / "rollout"
    recorded = set()
    for path in root.rglob("*.py"):
        recorded |= set(re.findall(r'audit\.record\([^,]+, "([a-z_.]+)"', path.read_text(encoding="utf-8")))
        recorded |= set(re.findall(r'"((?:person|user)\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    recorded = {action for action in recorded if "." in action and not action.startswith("user.get")}
    missing = sorted(action for action in recorded if action not in audit_text.SENTENCES)
    assert missing == [], missing
    from flask_babel import force_locale
    event = AuditEvent(action="wave.transition", subject="2", details={"from": "feedback", "to": "review"})
    with app.test_request_context():
        with force_locale("en"):
            english = audit_text.sentence(event)
        with force_locale("sv"):
            swedish = audit_text.sentence(event)
    assert english == "Moved wave 2 from “Collecting feedback” to “In review”"
    assert swedish != english and "2" in swedish  # translated


def test_the_problem_categories_in_the_log_read_as_labels_each_in_its_language(client, auth, ctx, lead):
    from rollout.services import rollouts

    from .test_lang_marking import language_of
    rollout = builders.make_rollout(lead=lead)
    rollouts.update_rollout(rollout, {"name": rollout.name, "problem_categories": [
        {"code": "login", "sv": "Inloggning och behörighet", "en": "Login and access"},
        {"code": "printing", "sv": "Utskrifter", "en": "Printing"}]}, lead)
    auth.login()
    for page_language in ("en", "sv"):
        client.get(f"/language/{page_language}")
        html = client.get("/rollouts/win11-2027/audit").get_data(as_text=True)
        text = text_of(html).replace(" ,", ",")
        assert "login: Inloggning och behörighet / Login and access, printing: Utskrifter / Printing" in text
        # each label in its own language, whichever the page's is; no field keys
        assert language_of(html, "Inloggning och behörighet")[0] == "sv"
        assert language_of(html, "Login and access")[0] == "en"
        assert "Code:" not in text and "Kod:" not in text and "Sv:" not in text, page_language
