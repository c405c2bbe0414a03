"""Exports in the reader's words: the CSV with the questions' own text as headings and options as
words (Swedish or English), and the retrospective's Markdown with every heading translated."""
from __future__ import annotations

import csv
import io

import pytest

from rollout.services import exports

from .test_feedback import open_wave
from .test_results import answer_all


@pytest.fixture
def answered(ctx, lead):
    rollout, wave = open_wave(lead, n=4)
    answer_all(wave, [5, 4, 2], day_one=["yes", "no", "yes"])
    return rollout, wave


def _rows(client, query: str) -> list[list[str]]:
    text = client.get(f"/rollouts/win11-2027/export/responses.csv?{query}").data.decode("utf-8")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";" if "excel=en" not in query else ","))


def test_the_csv_takes_the_questions_text_as_headings_in_either_language(client, auth, answered):
    auth.login()
    codes = _rows(client, "")
    assert codes[0][:2] == ["wave", "response"] and "worked_day_one" in codes[0]  # the default, for scripts
    assert {row[codes[0].index("worked_day_one")] for row in codes[1:]} == {"yes", "no"}
    swedish = _rows(client, "headings=sv")
    assert swedish[0][:2] == ["Våg", "Svar"]
    assert "Kunde du arbeta som vanligt redan första dagen?" in swedish[0]
    column = swedish[0].index("Kunde du arbeta som vanligt redan första dagen?")
    assert sorted(row[column] for row in swedish[1:]) == ["Ja", "Ja", "Nej"]
    english = _rows(client, "headings=en&excel=en")
    assert english[0][0] == "Wave" and "Could you work as usual on day one?" in english[0]
    column = english[0].index("Could you work as usual on day one?")
    assert sorted(row[column] for row in english[1:]) == ["No", "Yes", "Yes"]
    assert len(english) == len(codes) == 4


def test_the_retrospective_markdown_has_swedish_headings(ctx, answered, lead):
    rollout, wave = answered
    swedish = exports.retro_markdown(wave, lead, "sv")
    english = exports.retro_markdown(wave, lead, "en")
    for heading in ("Themes, by votes", "Satisfied (4 or 5 of 5)", "Cards in no theme", "Decisions"):
        assert heading in english, heading
        assert heading not in swedish, heading
