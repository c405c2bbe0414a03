"""Leads see and triage the problems participants report."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("problems", __name__, url_prefix="/rollouts/<key>/problems")
