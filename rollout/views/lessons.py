"""Lessons of a rollout, one lesson (edit, status, verification), and the library across rollouts."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("lessons", __name__)


@bp.route("/lessons")
@login_required
def library():
    return "TODO"


@bp.route("/rollouts/<key>/lessons")
@login_required
def rollout_lessons(key: str):
    return "TODO"
