"""The ideas API: sending and supporting an idea without a token (the same checks and limits as
the form), the similar ideas and lessons of a text, and the council's list, idea and decisions,
with 409 and the reason for a decision the idea's state does not take."""
from __future__ import annotations

from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import Idea, Notification
from rollout.services import accounts

from . import builders
from .conftest import Api
from .helpers import error_of, ok

IDEA = {"name": "Siv Svensson", "email": "siv@example.se", "unit": "Kundcenter", "language": "en",
        "problem": "The printers on the third floor drop their connection", "idea": "Shared printers with a queue",
        "reach": "up_to_50"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def council_api(client) -> Api:
    member = accounts.create_user("rad@example.se", "Rut Råd", builders.PASSWORD, council=True)
    return Api(client, builders.make_token(member))


def test_anyone_sends_an_idea_and_sees_no_names_back(client, ctx):
    sent = ok(client.post("/api/v1/ideas", json=IDEA), 201)
    assert sent["state"] == "new" and sent["supporters"] == 0 and "email" not in sent and "name" not in sent


def test_bad_input_is_422_with_every_field_and_stores_nothing(client, ctx):
    error = error_of(client.post("/api/v1/ideas", json={**IDEA, "email": "nope", "reach": "all", "idea": " "}), 422)
    assert {d["field"] for d in error["details"]} == {"email", "reach", "idea"}
    error_of(client.post("/api/v1/ideas", data="[]", content_type="application/json"), 400)
    assert count(Idea) == 0


def test_the_rate_limit_answers_429(app, client, ctx):
    app.config["IDEAS_PER_HOUR"] = 1
    ok(client.post("/api/v1/ideas", json=IDEA), 201)
    assert error_of(client.post("/api/v1/ideas", json={**IDEA, "email": "b@example.se"}), 429)["code"] == \
        "too_many_requests"
    assert count(Idea) == 1


def test_similar_ideas_and_support_counted_once(client, ctx):
    sent = ok(client.post("/api/v1/ideas", json=IDEA), 201)
    found = ok(client.get("/api/v1/ideas/similar?q=printers+connection"))
    assert [i["id"] for i in found["ideas"]] == [sent["id"]] and found["lessons"] == []
    supporter = {"name": "Per", "email": "per@example.se", "unit": "Ekonomi"}
    first = ok(client.post(f"/api/v1/ideas/{sent['id']}/support", json=supporter))
    again = ok(client.post(f"/api/v1/ideas/{sent['id']}/support", json=supporter))
    assert (first["added"], first["idea"]["supporters"]) == (True, 1)
    assert (again["added"], again["idea"]["supporters"]) == (False, 1)
    error_of(client.post("/api/v1/ideas/999999/support", json=supporter), 404)
    error_of(client.post(f"/api/v1/ideas/{sent['id']}/support", json={"name": "X", "email": "x"}), 422)


def test_the_council_lists_and_decides_and_a_wrong_move_is_409(client, ctx, lead):
    sent = ok(client.post("/api/v1/ideas", json=IDEA), 201)
    error_of(Api(client, builders.make_token(lead)).get("/ideas"), 403)
    council = council_api(client)
    listed = ok(council.get("/ideas?state=new"))
    assert [(i["id"], i["email"]) for i in listed["items"]] == [(sent["id"], "siv@example.se")]
    error_of(council.get("/ideas?state=nonsense"), 422)
    conflict = error_of(council.post(f"/ideas/{sent['id']}/decision", json={"decision": "decline", "reason": "No"}),
                        409)
    assert conflict["code"] == "guard_failed" and "under review first" in conflict["message"]
    ok(council.post(f"/ideas/{sent['id']}/decision", json={"decision": "review"}))
    error_of(council.post(f"/ideas/{sent['id']}/decision", json={"decision": "decline"}), 422)
    declined = ok(council.post(f"/ideas/{sent['id']}/decision", json={"decision": "decline", "reason": "Ordered"}))
    assert (declined["state"], declined["reason"]) == ("declined", "Ordered")
    assert ok(council.get(f"/ideas/{sent['id']}"))["state"] == "declined"
    rows = list(db.session.scalars(select(Notification).where(Notification.kind == "idea_decision")))
    assert sorted(row.subject for row in rows) == ["Your idea is under review by the council",
                                                   "Your idea was declined"]
    assert {row.language for row in rows} == {"en"}
    error_of(council.get("/ideas/999999"), 404)
