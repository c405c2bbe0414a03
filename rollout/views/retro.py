"""A wave's retrospective: the evidence, the cards, themes and dot votes; its Markdown export."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("retro", __name__, url_prefix="/rollouts/<key>/waves/<int:number>")
