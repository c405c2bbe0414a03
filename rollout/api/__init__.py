"""The JSON API, /api/v1: bearer tokens, one module per resource (each registers its routes on
the blueprint in .common when imported here)."""
from __future__ import annotations

from . import (  # noqa: F401  (routes register themselves)
    checkins,
    feedback,
    health,
    ideas,
    jobs,
    lessons,
    people,
    questionnaire,
    results,
    retro,
    rollouts,
    spec,
    waves,
    wins,
)
from .common import api

__all__ = ["api"]
