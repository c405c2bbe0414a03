"""People: upsert, CSV import, list; a person's data exported and erased."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from ..services import imports, people, privacy
from ..services.accounts import require_people_manager
from . import serialize
from .common import (
    BadRequest,
    api,
    check_types,
    json_body,
    listing,
    no_content,
    paging,
    raise_type_problems,
    token_required,
)

PERSON_FIELDS = {"external_id": "text", "name": "text", "email": "text", "unit": "text", "language": "text",
                 "attributes": "object"}


@api.post("/people")
@token_required
def upsert_people():
    require_people_manager(g.user)  # the role first: a refused caller learns nothing from the body's errors
    body = json_body()
    items = body.get("people")
    problems: list[dict] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            check_types(item, PERSON_FIELDS, problems, index=index)
    check_types(body, {"rollout": "text"}, problems)
    raise_type_problems(problems)
    result = imports.upsert_people(items, g.user, source="api", for_rollout=body.get("rollout"))
    return {"created": result.created, "updated": result.updated}


@api.post("/people/import")
@token_required
def import_people():
    require_people_manager(g.user)
    if request.mimetype not in ("text/csv", "application/csv", "text/plain"):
        raise BadRequest(_("Send the file as the body with Content-Type: text/csv."))
    result = imports.import_people_csv(request.get_data(), g.user, source="api",
                                       for_rollout=request.args.get("rollout"))
    return {"created": result.created, "updated": result.updated}


@api.get("/people")
@token_required
def list_people():
    page, per_page = paging()
    items, total = people.search_people(request.args.get("q", ""), request.args.get("unit", ""), page, per_page,
                                        viewer=g.user)
    return listing([serialize.person(p) for p in items], total, page, per_page)


@api.get("/people/<external_id>/export")
@token_required
def export_person(external_id: str):
    return privacy.export_person(privacy.person_by_external_id(external_id, g.user), g.user)


@api.delete("/people/<external_id>")
@token_required
def erase_person(external_id: str):
    privacy.erase_person(privacy.person_by_external_id(external_id, g.user), g.user)
    return no_content()
