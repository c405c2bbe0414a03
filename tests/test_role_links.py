"""Each role sees only what it may do: a reviewer is offered no link to a page that refuses them."""
from __future__ import annotations

from rollout.services import rollouts

from . import builders
from .test_feedback import open_wave
from .test_results import answer_all


def test_a_reviewer_is_not_offered_the_gate_criteria(client, auth, ctx, lead):
    rollout, wave = open_wave(lead, n=6)
    answer_all(wave, [5, 4, 4, 5, 3])
    reviewer = builders.make_user("rita@example.se", "Rita Reviewer", creator=False)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    client.get("/language/en")
    auth.login(reviewer.email)
    pages = [client.get("/rollouts/win11-2027/results").get_data(as_text=True),
             client.get("/rollouts/win11-2027/waves/0/results").get_data(as_text=True)]
    for page in pages:
        assert "/gate" not in page, "a link the reviewer cannot use"
    assert client.get("/rollouts/win11-2027/gate").status_code == 403  # it would refuse them
    auth.logout()
    auth.login()
    assert 'href="/rollouts/win11-2027/gate"' in client.get("/rollouts/win11-2027/results").get_data(as_text=True)
    assert 'href="/rollouts/win11-2027/waves/0/gate"' in client.get(
        "/rollouts/win11-2027/waves/0/results").get_data(as_text=True)
