"""The audit log in words: every entry a sentence in the reader's language, its details labelled,
never an action code, a field key or a Python repr."""
from __future__ import annotations

import re

from rollout.models import AuditEvent
from rollout.services import audit_text, waves

from . import builders


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_rollouts_log_reads_as_sentences_in_both_languages(client, auth, ctx, lead):
    builders.make_people(3)
    rollout = builders.make_rollout(lead=lead)
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.update_wave(wave, {"name": "Piloten", "selection": {"percentage": None, "units": ["Enhet A"],
                                                            "people": [], "attributes": {}}}, lead)
    waves.transition(wave, "active", lead)
    auth.login()
    client.get("/language/en")
    english = _text(client.get("/rollouts/win11-2027/audit").get_data(as_text=True))
    assert "Moved wave 0 from “Planned” to “Active”" in english
    assert "Planned wave 0" in english and "Created the rollout win11-2027" in english
    assert "Percentage: none" in english
    for raw in ("wave.transition", "wave.create", "percentage: None", "{'", "None"):
        assert raw not in english, raw
    client.get("/language/sv")
    swedish = _text(client.get("/rollouts/win11-2027/audit").get_data(as_text=True))
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
