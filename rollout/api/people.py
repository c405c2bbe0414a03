"""People: upsert, CSV import, list; a person's data exported and erased."""
from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request, url_for
from flask_babel import gettext as _

from ..services import imports, people, privacy
from ..services.accounts import require_people_manager
from ..services.people import UpsertResult
from .common import BadRequest, Paging, api, listing, load, no_content, paging, token_required
from .schemas.base import page_of
from .schemas.jobs import JobSchema
from .schemas.patterns import EXTERNAL_ID
from .schemas.people import (
    ImportQuery,
    PeopleQuery,
    PersonExportSchema,
    PersonSchema,
    UpsertResultSchema,
    UpsertSchema,
)
from .spec import ERRORS, body, operation, query

CSV_TYPES = ("text/csv", "application/csv", "text/plain")
PERSON_PARAMETER = {"name": "external_id", "in": "path", "schema": {"type": "string", "pattern": EXTERNAL_ID}}
CSV_BODY = {"required": True, "content": {media_type: {"schema": {
    "type": "string", "description": "UTF-8 (or Windows-1252), commas or semicolons; every line is checked"}}
    for media_type in CSV_TYPES}}
TOO_LARGE_FILE = {"413": {"description": "The file is too large (64 MB unless IMPORT_MAX_CONTENT_LENGTH says "
                                         "otherwise).", "content": {"application/json": {
                                             "schema": {"$ref": "#/components/schemas/Error"}}}}}


@api.post("/people")
@operation("Create or update people by external_id (all or nothing)")
@body(UpsertSchema)
@api.response(200, UpsertResultSchema)
@token_required
def upsert_people() -> UpsertResult:
    require_people_manager(g.user)  # the role first: a refused caller learns nothing from the body's errors
    upsert = load(UpsertSchema)
    return imports.upsert_people(upsert.get("people", []), g.user, source="api", for_rollout=upsert.get("rollout"))


@api.post("/people/import")
@operation("Import a CSV file of people (all or nothing)", errors={**ERRORS, **TOO_LARGE_FILE}, requestBody=CSV_BODY,
           description="Header external_id,name,email,unit[,language][,attribute...]. On error, details lists "
                       "{line, field, message}; line 1 is the header. A file of up to 1,000 lines is imported at "
                       "once (200, or 422 with its errors); a larger one is a background job: 202 with the job and "
                       "its Location, /jobs/{id}, to poll until its state is done (the counts in result) or "
                       "failed (every problem in errors, nothing stored).")
@query(ImportQuery)
@api.response(200, UpsertResultSchema)
@api.alt_response(202, schema=JobSchema, description="A large file: imported in the background; poll the job.",
                  headers={"Location": {"description": "the job: /api/v1/jobs/{id}", "schema": {"type": "string"}}})
@token_required
def import_people() -> UpsertResult | Response:
    require_people_manager(g.user)
    if request.mimetype not in CSV_TYPES:
        raise BadRequest(_("Send the file as the body with Content-Type: text/csv."))
    job = imports.start_import(request.stream, g.user, source="api", for_rollout=request.args.get("rollout"))
    if job.finished:
        return imports.outcome(job)
    response = jsonify(JobSchema().dump(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=job.id)
    return response


@api.get("/people")
@operation("List and search people")
@query(PeopleQuery, Paging)
@api.response(200, page_of(PersonSchema))
@token_required
def list_people() -> dict[str, Any]:
    page, per_page = paging()
    items, total = people.search_people(request.args.get("q", ""), request.args.get("unit", ""), page, per_page,
                                        viewer=g.user)
    return listing(items, total, page, per_page)


@api.get("/people/<external_id>/export", parameters=[PERSON_PARAMETER])
@operation("Everything stored about one person (people managers)")
@api.response(200, PersonExportSchema)
@token_required
def export_person(external_id: str) -> dict[str, Any]:
    return privacy.export_person(privacy.person_by_external_id(external_id, g.user), g.user)


@api.delete("/people/<external_id>", parameters=[PERSON_PARAMETER])
@operation("Erase a person (people managers)",
           description="Deletes the person, their memberships, links and e-mails; their responses and problem "
                       "reports stay for the counts, without the person and without free texts.")
@api.response(204, description="Done; no body.")
@token_required
def erase_person(external_id: str) -> tuple[str, int]:
    privacy.erase_person(privacy.person_by_external_id(external_id, g.user), g.user)
    return no_content()
