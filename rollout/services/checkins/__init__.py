"""Check-ins: short pulses (1-3 questions) sent to a wave's members on set days while the wave
runs (issue 14).

Its parts: `plan` (add, change, delete; the defaults; states), `sending` (what the tick sends,
exactly once per check-in and person), `answers` (the open check-in on a personal link and the
answers to it) and `trend` (the figures per check-in and the lead's flag). Callers use the names
from here (`checkins.add_checkin(...)`)."""
from __future__ import annotations

from .answers import CheckInReceipt, OpenCheckIn, answer, checkin_key, export_for, open_checkin
from .plan import (
    EDITABLE_STATES,
    MAX_DAY,
    MAX_QUESTIONS,
    OPEN_STATES,
    STATE_LABELS,
    add_checkin,
    default_questions,
    delete_checkin,
    get_checkin,
    latest_sent,
    list_checkins,
    questions_of,
    state_of,
    update_checkin,
)
from .sending import due, send, send_at, send_due
from .trend import CheckInTrend, Flag, QuestionTrend, Trend, checkin_trend, wave_trend

__all__ = [
    "CheckInReceipt", "OpenCheckIn", "answer", "checkin_key", "export_for", "open_checkin",
    "EDITABLE_STATES", "MAX_DAY", "MAX_QUESTIONS", "OPEN_STATES", "STATE_LABELS", "add_checkin", "default_questions",
    "delete_checkin", "get_checkin", "latest_sent", "list_checkins", "questions_of", "state_of", "update_checkin",
    "due", "send", "send_at", "send_due",
    "CheckInTrend", "Flag", "QuestionTrend", "Trend", "checkin_trend", "wave_trend",
]
