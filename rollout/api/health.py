"""GET /api/v1/health: is the app up and can it reach its database?"""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import text

from ..extensions import db
from .common import api


@api.get("/health")
def health():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001  (any failure means the database is not usable)
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if database == "ok" else "degraded", "database": database}), status
