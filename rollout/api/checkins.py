"""A wave's check-ins: list (with the trend's flag), plan, read with its figures, change and
delete (bearer token); and a participant's open check-in and their answers (personal token)."""
from __future__ import annotations

from typing import Any

from flask import g

from ..models import Wave
from ..services import checkins, feedback
from .common import api, load, no_content, token_required, wave_for
from .schemas.checkins import (
    CheckInAnswersSchema,
    CheckInChangeSchema,
    CheckInListSchema,
    CheckInReceiptSchema,
    CheckInRow,
    CheckInSchema,
    NewCheckInSchema,
    OpenCheckInSchema,
    OpenState,
)
from .spec import ID_PARAMETER, PERSONAL_ERRORS, TOKEN_PARAMETER, WAVE_PARAMETERS, body, operation

CHECKIN_PARAMETERS = [*WAVE_PARAMETERS, {**ID_PARAMETER, "name": "checkin_id"}]


def _row(wave: Wave, checkin: checkins.CheckInTrend | None = None, checkin_id: int | None = None) -> CheckInRow:
    if checkin is None:
        assert checkin_id is not None
        checkin = checkins.checkin_trend(checkins.get_checkin(wave, checkin_id), wave, g.user)
    return CheckInRow(checkin, wave)


@api.get("/rollouts/<key>/waves/<int:number>/checkins", parameters=WAVE_PARAMETERS)
@operation("The wave's check-ins in day order, each with its figures, and the lead's flag")
@api.response(200, CheckInListSchema)
@token_required
def list_checkins(key: str, number: int) -> dict[str, Any]:
    wave = wave_for(key, number)
    trend = checkins.wave_trend(wave, g.user)
    return {"items": [CheckInRow(item, wave) for item in trend.items], "total": len(trend.items),
            "trended": trend.code, "flag": trend.flag.as_dict()}


@api.post("/rollouts/<key>/waves/<int:number>/checkins", parameters=WAVE_PARAMETERS)
@operation("Plan a check-in (while the wave is planned, active or paused)", conflict=True,
           description="409 wave_state once the wave is past that.")
@body(NewCheckInSchema)
@api.response(201, CheckInSchema)
@token_required
def create_checkin(key: str, number: int) -> CheckInRow:
    wave = wave_for(key, number)
    checkins.add_checkin(wave, load(NewCheckInSchema), g.user)  # a reviewer hears 403 before the body counts
    created = max(checkins.list_checkins(wave), key=lambda c: c.id)
    return _row(wave, checkin_id=created.id)


@api.get("/rollouts/<key>/waves/<int:number>/checkins/<int:checkin_id>", parameters=CHECKIN_PARAMETERS)
@operation("One check-in with its figures")
@api.response(200, CheckInSchema)
@token_required
def get_checkin(key: str, number: int, checkin_id: int) -> CheckInRow:
    return _row(wave_for(key, number), checkin_id=checkin_id)


@api.patch("/rollouts/<key>/waves/<int:number>/checkins/<int:checkin_id>", parameters=CHECKIN_PARAMETERS)
@operation("Change a check-in not yet sent", conflict=True,
           description="409 checkin_sent once it has been sent, wave_state once the wave is past planning.")
@body(CheckInChangeSchema)
@api.response(200, CheckInSchema)
@token_required
def update_checkin(key: str, number: int, checkin_id: int) -> CheckInRow:
    wave = wave_for(key, number)
    checkin = checkins.get_checkin(wave, checkin_id)
    change = {name: value for name, value in load(CheckInChangeSchema).items() if value is not None}
    checkins.update_checkin(checkin, wave, change, g.user)
    return _row(wave, checkin_id=checkin_id)


@api.delete("/rollouts/<key>/waves/<int:number>/checkins/<int:checkin_id>", parameters=CHECKIN_PARAMETERS)
@operation("Delete a check-in not yet sent", conflict=True)
@api.response(204)
@token_required
def delete_checkin(key: str, number: int, checkin_id: int) -> tuple[str, int]:
    wave = wave_for(key, number)
    checkins.delete_checkin(checkins.get_checkin(wave, checkin_id), wave, g.user)
    return no_content()


# --- the participant's side (personal token) ----------------------------------

@api.get("/feedback/<token>/checkin", parameters=[TOKEN_PARAMETER])
@operation("The check-in the personal link takes answers to now, with the person's own answers", personal=True,
           errors={"404": PERSONAL_ERRORS["404"]})
@api.response(200, OpenCheckInSchema)
def open_checkin(token: str) -> OpenState:
    return OpenState(checkins.open_checkin(feedback.visit(token, with_answers=False)))


@api.post("/feedback/<token>/checkin", parameters=[TOKEN_PARAMETER])
@operation("Answer the open check-in, or change the answers (one response per person and check-in)",
           personal=True)
@body(CheckInAnswersSchema)
@api.response(200, CheckInReceiptSchema)
def answer_checkin(token: str) -> checkins.CheckInReceipt:
    visit = feedback.visit(token, with_answers=False)
    given = load(CheckInAnswersSchema)
    return checkins.answer(visit, given.get("checkin"), given.get("answers"))
