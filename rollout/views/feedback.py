"""The participant's side: the personal link /f/<token> (no account)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/f")
