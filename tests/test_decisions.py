"""A decision keeps the evidence it was made on (its snapshot), and shows it: on the wave page, in
the rollout's JSON export and in the API."""
from __future__ import annotations

import json
import re

import pytest

from rollout.services import feedback, waves

from . import builders
from .test_feedback import open_wave, tokens
from .test_results import answer_all


@pytest.fixture
def decided(ctx, lead):
    """A pilot of 8, five answered, decided go against the gate's "insufficient evidence"; one
    more answer arrives after the decision (the snapshot must not move with it)."""
    rollout, wave = open_wave(lead, n=8)
    answer_all(wave, [5, 4, 2, 4, 5])
    waves.transition(wave, "review", lead)
    waves.decide(wave, "go", "The IT unit is the whole pilot; we trust it.", lead)
    return rollout, wave


def test_the_json_export_has_each_decision_with_its_snapshot(client, auth, decided, lead):
    auth.login()
    data = json.loads(client.get("/rollouts/win11-2027/export/rollout.json").data)
    [decision] = data["waves"][0]["decisions"]
    assert (decision["decision"], decision["verdict"], decision["against_verdict"], decision["decided_by"]) == (
        "go", "insufficient_evidence", True, lead.email)
    assert decision["rationale"] == "The IT unit is the whole pilot; we trust it."
    snapshot = decision["snapshot"]
    assert snapshot["results"]["responded"] == 5 and snapshot["results"]["invited"] == 8
    assert snapshot["gate"]["verdict"] == "insufficient_evidence"
    assert "min_satisfied" in snapshot["criteria"]
    assert decision["decided_at"].startswith("20")


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_wave_page_shows_each_decision_with_the_evidence_it_was_made_on(english, auth, decided, lead):
    auth.login()
    page = _html(english.get("/rollouts/win11-2027/waves/0"))
    section = page[page.index('id="decisions-title"'):page.index("</section>", page.index('id="decisions-title"'))]
    assert "<strong>Go</strong>" in section and "Decided against the verdict." in section
    assert "The gate said: insufficient evidence." in section
    assert "The IT unit is the whole pilot; we trust it." in section
    assert "The evidence when the decision was made" in section
    assert "<dt>Invited</dt><dd>8</dd>" in section and "<dt>Responded</dt><dd>5</dd>" in section


@pytest.fixture
def in_review(ctx, lead):
    rollout, wave = open_wave(lead, n=8)
    answer_all(wave, [5, 4, 2, 4, 5])
    waves.transition(wave, "review", lead)
    return rollout, wave


def test_a_refused_decision_keeps_the_choice_and_the_text_and_says_why_next_to_the_field(
        english, auth, in_review):
    from rollout.extensions import db
    from rollout.models import Decision
    auth.login()
    response = english.post("/rollouts/win11-2027/waves/0/decision", data={"decision": "go", "rationale": ""})
    page = _html(response)
    assert response.status_code == 422
    assert re.search(r'<input[^>]*checked[^>]*value="go"|<input[^>]*value="go"[^>]*checked', page)
    error = re.search(r'<p class="field-error" id="rationale-error">(.*?)</p>', page, re.S)
    assert error and "say why you decide otherwise" in error.group(1)
    assert re.search(r'<textarea[^>]*aria-describedby="rationale-error"[^>]*aria-invalid="true"|'
                     r'<textarea[^>]*aria-invalid="true"[^>]*aria-describedby="rationale-error"', page)
    assert 'class="error-summary"' in page and 'href="#rationale"' in page
    legend = re.search(r"<legend>(.*?)</legend>", page[page.index('class="decision"'):], re.S).group(1)
    assert "(required)" in legend
    long_text = "Vi litar på piloten. " * 300  # beyond the 5,000 characters a rationale may have
    response = english.post("/rollouts/win11-2027/waves/0/decision",
                            data={"decision": "no_go", "rationale": long_text, "confirmed": "1"})
    page = _html(response)
    assert response.status_code == 422 and long_text.strip()[:200] in page  # the typed text is not lost
    assert re.search(r'value="no_go"[^>]*checked|checked[^>]*value="no_go"', page)
    nothing = english.post("/rollouts/win11-2027/waves/0/decision", data={"rationale": "Hm"})
    assert nothing.status_code == 422 and "Choose a decision." in _html(nothing) and "Hm</textarea>" in _html(nothing)
    assert db.session.query(Decision).count() == 0


def test_an_open_blocker_is_a_banner_on_the_wave_page(english, auth, ctx, lead):
    rollout, wave = open_wave(lead, n=3)
    feedback.report_problem(tokens(wave)["winp1"], {"category": "login", "severity": "blocker",
                                                     "description": "Jag kommer inte in"})
    auth.login()
    page = _html(english.get("/rollouts/win11-2027/waves/0"))
    banner = re.search(r'<div class="banner banner-blocker" role="alert">(.*?)</div>', page, re.S)
    assert banner and "1 open blocker" in banner.group(1) and "the gate says no go" in banner.group(1)
    assert 'href="/rollouts/win11-2027/problems/?wave=0"' in banner.group(1)


def test_the_wave_page_says_when_invitations_are_still_waiting(english, auth, ctx, lead, app):
    rollout, wave = open_wave(lead, n=3)
    auth.login()
    page = _html(english.get("/rollouts/win11-2027/waves/0"))
    assert "3 invitations wait in the outbox: no mail server is set up" in page
    app.config.update(MAIL_SERVER="127.0.0.1")  # as if one were set up, before the next tick
    assert "3 invitations are still waiting to be sent." in _html(english.get("/rollouts/win11-2027/waves/0"))
    app.config.update(MAIL_SERVER="")


def test_invitations_delivered_are_not_waiting(english, auth, ctx, lead, mailbox):
    from rollout.services import reconcile
    rollout, wave = open_wave(lead, n=3)
    reconcile.tick()
    auth.login()
    assert 'id="invitations-waiting"' not in _html(english.get("/rollouts/win11-2027/waves/0"))


def test_a_wave_named_after_its_number_is_not_named_twice(english, auth, ctx, lead):
    builders.make_people(2)
    rollout = builders.make_rollout(lead=lead)
    builders.make_wave(rollout, lead, name="Pilot", percentage=50)
    builders.make_wave(rollout, lead, name="Våg 1", percentage=100)
    auth.login()
    page = _html(english.get("/rollouts/win11-2027/waves/1"))
    assert re.search(r"<h1>Wave 1\s*</h1>", page) and "Wave 1: Våg 1" not in page
    assert '<h1>Wave 0: <span lang="sv">Pilot</span>' in _html(english.get("/rollouts/win11-2027/waves/0"))


def test_the_api_lists_a_waves_decisions_with_their_snapshots(api, decided, lead):
    response = api.get("/rollouts/win11-2027/waves/0/decisions")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    [decision] = body["items"]
    assert set(decision) == {"decision", "rationale", "verdict", "against_verdict", "decided_by", "decided_at",
                             "snapshot"}
    assert (decision["decision"], decision["verdict"], decision["against_verdict"], decision["decided_by"]) == (
        "go", "insufficient_evidence", True, lead.email)
    assert decision["snapshot"]["results"]["responded"] == 5
    assert api.get("/rollouts/win11-2027/waves/1/decisions").status_code == 404
    assert api.get("/rollouts/win11-2027/waves/99999999999/decisions").status_code == 404
