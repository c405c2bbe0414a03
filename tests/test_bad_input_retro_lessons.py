"""Odd numbers in URLs, query strings and forms of the retrospective and lesson pages get a
404 or a message, never a server error: superscript digits ("²" counts as a digit to
Python's isdigit but not to int), and ids beyond what the database's integers hold."""
from __future__ import annotations

import pytest

from rollout.services import lessons, retro

from . import builders

HUGE = "9" * 20


@pytest.fixture
def board(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "idea", "text": "An FAQ"}, lead)
    lesson = lessons.create_lesson(rollout, {"title": "FAQ", "origin_wave": 0}, lead)
    return logged_in, card, lesson


@pytest.mark.parametrize("path", [
    f"/rollouts/win11-2027/lessons/{HUGE}", f"/rollouts/win11-2027/waves/{HUGE}/retro",
    "/rollouts/win11-2027/lessons/new?theme=²", f"/rollouts/win11-2027/lessons/new?theme={HUGE}",
])
def test_pages_answer_404_for_ids_that_cannot_exist(board, path):
    client, _card, _lesson = board
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", ["target=²", f"target={HUGE}", f"page={HUGE}", "page=²", "status=nope"])
def test_list_filters_and_pages_ignore_what_they_cannot_read(board, query):
    client, _card, lesson = board
    for path in ("/rollouts/win11-2027/lessons", "/lessons", "/rollouts/win11-2027/waves/0/retro",
                 "/rollouts/win11-2027/problems/"):
        assert client.get(f"{path}?{query}").status_code == 200, path


@pytest.mark.parametrize("value", ["²", HUGE, "-1"])
def test_forms_report_odd_numbers_next_to_the_field(board, value):
    client, card, lesson = board
    response = client.post("/rollouts/win11-2027/waves/0/retro/group", data={"cards": [value], "target": "new",
                                                                              "title": "x"})
    assert response.status_code == 422 and "Give the cards as a list of card ids." in response.get_data(as_text=True)
    response = client.post("/rollouts/win11-2027/waves/0/retro/group", data={"cards": [str(card.id)],
                                                                              "target": value})
    assert response.status_code == 422 and "No such theme in this retrospective." in response.get_data(as_text=True)
    response = client.post("/rollouts/win11-2027/lessons/new", data={"title": "T", "origin_wave": value})
    assert response.status_code == 422 and "Give a wave number." in response.get_data(as_text=True)
