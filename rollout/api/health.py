"""GET /api/v1/health: is the app up and can it reach its database?"""
from __future__ import annotations

import marshmallow as ma
from flask import Response, jsonify
from sqlalchemy import text

from ..extensions import db
from .common import api
from .schemas.base import Schema
from .spec import operation


class HealthSchema(Schema):
    """ok, or degraded when the database does not answer."""

    status = ma.fields.String()
    database = ma.fields.String()


@api.get("/health")
@operation("Liveness and database check", errors={}, security=[])
@api.response(200, HealthSchema)
def health() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001  (any failure means the database is not usable)
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if database == "ok" else "degraded", "database": database}), status
