"""Ideas from the floor: sending one and supporting one (public, as the form: no token, the same
limits), the similar ideas and lessons of a text (public), and the council's list, one idea and
its decisions (a token of a council member or an admin)."""
from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import gettext as _

from ..services import ideas
from ..services.errors import ValidationFailed
from ..services.validation import MAX_ID, too_long
from .common import api, load, load_query, token_required
from .schemas.base import all_of
from .schemas.ideas import (
    MAX_QUERY,
    STATES,
    IdeaDecisionSchema,
    IdeaQuery,
    IdeaSchema,
    NewIdeaSchema,
    PublicIdeaSchema,
    SimilarQuery,
    SimilarSchema,
    SupportReceiptSchema,
    SupportSchema,
)
from .spec import ERRORS, ID_PARAMETER, PUBLIC_ERRORS, body, operation, query

IDEA_PARAMETERS = [{**ID_PARAMETER, "name": "idea_id"}]


def _client() -> str:
    return request.remote_addr or ""


@api.post("/ideas")
@operation("Send an idea (no token: anyone in the organisation; rate-limited)", errors=PUBLIC_ERRORS, security=[])
@body(NewIdeaSchema)
@api.response(201, PublicIdeaSchema)
def send_idea() -> dict[str, Any]:
    idea = ideas.submit(load(NewIdeaSchema), _client())
    assert idea is not None  # no honeypot in the API
    return ideas.public_dict(idea)


@api.get("/ideas/similar")
@operation("Ideas others may still support and lessons of the library that share words with a text",
           errors={"400": ERRORS["400"], "422": ERRORS["422"]}, security=[])
@query(SimilarQuery)
@api.response(200, SimilarSchema)
def similar_ideas() -> dict[str, Any]:
    q = load_query(SimilarQuery, _("Bad query parameters.")).get("q") or ""
    if len(q) > MAX_QUERY:
        raise ValidationFailed(_("Bad query parameters."), [{"field": "q", "message": str(too_long(MAX_QUERY))}])
    found = ideas.similar(q)
    return {"ideas": [ideas.public_dict(idea) for idea in found.ideas],
            "lessons": [{"title": lesson.title, "action": lesson.action or ""} for lesson in found.lessons]}


@api.post("/ideas/<int:idea_id>/support", parameters=IDEA_PARAMETERS)
@operation("Support an idea instead of sending one (no token; counted once per e-mail address)",
           errors={**PUBLIC_ERRORS, "404": ERRORS["404"], "409": {"$ref": "#/components/responses/Conflict"}},
           security=[])
@body(SupportSchema)
@api.response(200, SupportReceiptSchema)
def support_idea(idea_id: int) -> dict[str, Any]:
    idea = ideas.get_public_idea(idea_id if idea_id <= MAX_ID else None)
    supported, added = ideas.support(idea, load(SupportSchema), _client())
    return {"idea": ideas.public_dict(supported), "added": added}


@api.get("/ideas")
@operation("The ideas, for the council and admins")
@query(IdeaQuery)
@api.response(200, all_of(IdeaSchema))
@token_required
def list_ideas() -> dict[str, Any]:
    state = load_query(IdeaQuery, _("Bad query parameters.")).get("state") or ""
    if state and state not in STATES:
        raise ValidationFailed(_("Bad query parameters."), [{"field": "state", "message": _(
            "Choose one of: %(decisions)s.", decisions=", ".join(STATES))}])
    items = [ideas.as_dict(idea) for idea in ideas.list_ideas(g.user, state)]
    return {"items": items, "total": len(items)}


@api.get("/ideas/<int:idea_id>", parameters=IDEA_PARAMETERS)
@operation("One idea, for the council and admins")
@api.response(200, IdeaSchema)
@token_required
def get_idea(idea_id: int) -> dict[str, Any]:
    return ideas.as_dict(ideas.get_idea(idea_id, g.user))


@api.post("/ideas/<int:idea_id>/decision", parameters=IDEA_PARAMETERS)
@operation("A decision of the council; the proposer and supporters are e-mailed", conflict=True,
           description="409 with guard idea_<state> when the idea is not in a state the decision takes "
                       "(new -> under_review -> accepted | declined | merged)")
@body(IdeaDecisionSchema)
@api.response(200, IdeaSchema)
@token_required
def decide_idea(idea_id: int) -> dict[str, Any]:
    idea = ideas.get_idea(idea_id, g.user)
    data = load(IdeaDecisionSchema)
    decision = data.pop("decision", None)
    if not isinstance(decision, str):
        raise ValidationFailed(_("The decision could not be recorded."), [{"field": "decision", "message": _(
            "Choose one of: %(decisions)s.", decisions=", ".join(ideas.DECISIONS))}])
    return ideas.as_dict(ideas.decide(idea, decision, data, g.user))
