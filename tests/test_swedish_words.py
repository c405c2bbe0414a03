"""Words the first pilot stumbled on, in Swedish: one word for the people in a wave (deltagare,
not also medlemmar), a random number instead of a "bucket" (hink), and "another problem"
that does not read as "a problem to"."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parent.parent / "rollout/translations/sv/LC_MESSAGES/messages.po"


def _swedish() -> dict:
    with CATALOG.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def _all_strings(catalog: dict) -> list[str]:
    out = []
    for value in catalog.values():
        out.extend(value if isinstance(value, tuple) else [value])
    return out


def test_one_word_for_the_people_in_a_wave_and_no_bucket():
    texts = _all_strings(_swedish())
    assert not [t for t in texts if "medlem" in t.lower() and "medlemskap" not in t.lower()]
    assert not [t for t in texts if "hink" in t.lower()]


def test_another_problem_and_the_random_number():
    catalog = _swedish()
    assert catalog["Report another problem"] == "Rapportera ett annat problem"
    assert catalog["Random number (1–100)"] == "Slumptal (1–100)"


def test_the_swedish_wave_page_uses_the_words(client, auth, ctx, lead):
    from .test_feedback import open_wave
    open_wave(lead, n=2)
    auth.login()
    page = client.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert "Slumptal (1–100)" in page and "Hink" not in page and "Deltagare (2)" in page
