"""Check-ins in the API: a resource of the wave (list, create, read with its figures, change,
delete) and the participant's open check-in under the personal link. Every response is held
against the OpenAPI document (tests/contract.py)."""
from __future__ import annotations

from rollout.extensions import db
from rollout.models import CheckIn
from rollout.services import reconcile, waves

from .helpers import error_of, fields_of, ok
from .test_checkins import active_wave, later, tokens

BASE = "/rollouts/win11-2027/waves/0/checkins"


def delete(api, path):
    return api.client.delete("/api/v1" + path, headers=api._headers())


def test_the_lead_plans_reads_changes_and_deletes_check_ins(api, lead):
    active_wave(lead)
    created = ok(api.post(BASE, json={"day": 1}), 201)
    assert created["day"] == 1 and created["state"] == "planned" and created["sent_at"] is None
    assert [q["code"] for q in created["questions"]] == ["going", "in_the_way"]
    assert created["send_at"] is not None
    custom = ok(api.post(BASE, json={"day": 3, "questions": [
        {"code": "support", "kind": "yes_no", "prompt": {"sv": "Fick du hjälp?", "en": "Did you get help?"}}]}), 201)
    listed = ok(api.get(BASE))
    assert [item["day"] for item in listed["items"]] == [1, 3] and listed["total"] == 2
    assert listed["flag"] == {"open_blockers": 0, "falling": False, "previous_day": None, "latest_day": None}
    changed = ok(api.patch(f"{BASE}/{custom['id']}", json={"day": 4}))
    assert changed["day"] == 4 and changed["questions"][0]["code"] == "support"
    assert ok(api.get(f"{BASE}/{custom['id']}"))["day"] == 4
    assert delete(api, f"{BASE}/{custom['id']}").status_code == 204
    assert [item["day"] for item in ok(api.get(BASE))["items"]] == [1]


def test_bad_input_is_422_with_details_and_a_guard_is_409(api, lead, client):
    _rollout, wave = active_wave(lead)
    error = error_of(api.post(BASE, json={"day": -2, "questions": [{"code": "X"}] * 4}), 422)
    assert {"day", "questions"} <= fields_of(error)
    error = error_of(api.post(BASE, json={"day": "one"}), 422)
    assert "day" in fields_of(error)
    assert db.session.query(CheckIn).count() == 0
    created = ok(api.post(BASE, json={"day": 0}), 201)
    reconcile.tick(later(0))
    error = error_of(api.patch(f"{BASE}/{created['id']}", json={"day": 2}), 409)
    assert error["code"] == "guard_failed"
    waves.transition(wave, "feedback", lead)
    assert error_of(api.post(BASE, json={"day": 5}), 409)["code"] == "guard_failed"
    assert error_of(api.get(f"{BASE}/999999"), 404)["code"] == "not_found"


def test_the_participant_reads_and_answers_the_open_check_in(client, api, lead):
    _rollout, wave = active_wave(lead)
    created = ok(api.post(BASE, json={"day": 0}), 201)
    reconcile.tick(later(0))
    token = tokens(wave)["winp1"]
    shown = ok(client.get(f"/api/v1/feedback/{token}/checkin"))
    assert shown["open"] and shown["checkin"] == created["id"] and shown["answers"] == {}
    error = error_of(client.post(f"/api/v1/feedback/{token}/checkin", json={"answers": {"going": 7}}), 422)
    assert fields_of(error) == {"going"}
    receipt = ok(client.post(f"/api/v1/feedback/{token}/checkin",
                             json={"checkin": created["id"], "answers": {"going": 4, "in_the_way": "Inget"}}))
    assert receipt["answers"] == {"going": 4, "in_the_way": "Inget"} and receipt["day"] == 0
    assert ok(client.get(f"/api/v1/feedback/{token}/checkin"))["answers"] == {"going": 4, "in_the_way": "Inget"}
    trend = ok(api.get(f"{BASE}/{created['id']}"))["trend"]
    assert trend["responses"] == 1 and trend["questions"][0]["mean"]["value"] == 4
    assert trend["questions"][1]["texts"] == ["Inget"]
    waves.transition(wave, "feedback", lead)
    waves.transition(wave, "review", lead)
    assert ok(client.get(f"/api/v1/feedback/{token}/checkin")) == {
        "open": False, "checkin": None, "day": None, "questions": [], "answers": {}, "answered_at": None}
    assert error_of(client.post(f"/api/v1/feedback/{token}/checkin", json={"answers": {"going": 3}}),
                    409)["code"] == "feedback_closed"
    assert error_of(client.get("/api/v1/feedback/" + "x" * 43 + "/checkin"), 404)["code"] == "link_not_valid"


def test_the_check_ins_are_in_the_openapi_document(client):
    document = ok(client.get("/api/v1/openapi.json"))
    paths = document["paths"]
    assert set(paths["/rollouts/{key}/waves/{n}/checkins"]) >= {"get", "post"}
    assert set(paths["/rollouts/{key}/waves/{n}/checkins/{id}"]) >= {"get", "patch", "delete"}
    assert set(paths["/feedback/{token}/checkin"]) >= {"get", "post"}
    assert "CheckIn" in document["components"]["schemas"]
