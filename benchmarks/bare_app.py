"""The yardstick of the submit figure: a bare Flask + Flask-SQLAlchemy app whose one endpoint
stores a JSON body as a row and answers with its id -- the least any submit endpoint must do.
Served by the same gunicorn (same workers, same database server and engine options) and
driven by the same clients as the app.

    DATABASE_URL=postgresql+psycopg://... gunicorn -w 4 benchmarks.bare_app:app
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Submission(db.Model):  # type: ignore[name-defined]
    __tablename__ = "bench_bare_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(100))
    answers: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    url = database_url or os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # the app's own engine options on PostgreSQL (rollout/config.py), so only the endpoint differs
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql+psycopg"):
        options["connect_args"] = {"prepare_threshold": None}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)

    @app.post("/submit/<token>")
    def submit(token: str):
        body = request.get_json(silent=True) or {}
        row = Submission(token=token, answers=body.get("answers") or {}, submitted_at=datetime.now(timezone.utc))
        db.session.add(row)
        db.session.commit()
        return jsonify({"id": row.id})

    @app.get("/health")
    def health():
        return jsonify({"status": "ok"})

    return app


def create_tables(database_url: str) -> None:
    """The endpoint's table, made once before gunicorn starts (four workers would race)."""
    app = create_app(database_url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()


app = create_app() if os.environ.get("DATABASE_URL") else None
