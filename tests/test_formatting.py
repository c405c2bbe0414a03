"""Numbers and dates in the reader's language: a decimal comma on Swedish pages and in Swedish
exports, ISO-like dates (2026-12-08 10:44) in both languages, never US dates."""
from __future__ import annotations

import re

from rollout import formatting
from rollout.services import exports, waves

from .test_feedback import open_wave
from .test_results import answer_all


def test_the_formatting_functions_follow_the_locale(app):
    from datetime import datetime, timezone

    from flask_babel import force_locale
    moment = datetime(2026, 12, 8, 21, 44, tzinfo=timezone.utc)
    with app.test_request_context():
        with force_locale("sv"):
            assert (formatting.decimal(16.666), formatting.decimal(4, 2), formatting.number(2.5)) == ("16,7", "4,00", "2,5")
            assert formatting.decimal(-0.04) == "0,0" and formatting.decimal(-1.25, 1) == "\u22121,2"
            assert formatting.when(moment) == "2026-12-08 22:44"  # Swedish time
            assert formatting.decimal(1200.5) == "1\u00a0200,5" and formatting.percent(0.625) == "63 %"
        with force_locale("en"):
            assert (formatting.decimal(16.666), formatting.number(12.0)) == ("16.7", "12")
            assert formatting.when(moment) == "2026-12-08 22:44" and formatting.when(moment, False) == "2026-12-08"


def test_swedish_results_have_decimal_commas_and_english_ones_iso_dates(client, auth, ctx, lead):
    rollout, wave = open_wave(lead, n=6)
    answer_all(wave, [5, 4, 2, 4, 5], hours=[1.5, 0, 2, 0, 1])
    auth.login()
    swedish = client.get("/rollouts/win11-2027/waves/0/results").get_data(as_text=True)
    mean = re.search(r"medelvärde (\S+) \((\S+)–(\S+)\)", swedish)
    assert mean and mean.group(1) == "4,00" and "," in mean.group(2), mean
    assert not re.search(r"\d\.\d", re.sub(r"<[^>]+>", " ", swedish)), "a decimal point on a Swedish page"
    assert "ja: 5, nej: 0" in swedish and "yes: 5" not in swedish  # yes and no in the page's words
    client.get("/language/en")
    english = client.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", english), "a US date on an English page"
    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d\b", english)


def test_the_markdown_export_has_iso_dates_in_english_too(ctx, lead):
    rollout, wave = open_wave(lead, n=3)
    waves.transition(wave, "review", lead)
    text = exports.retro_markdown(wave, lead, "en")
    assert re.search(r"Started: 20\d\d-\d\d-\d\d \d\d:\d\d", text), text[:400]
