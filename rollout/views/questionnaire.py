"""Leads edit the rollout's questionnaire (each save is a new version)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("questionnaire", __name__, url_prefix="/rollouts/<key>/questionnaire")
