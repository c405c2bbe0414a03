"""A rollout's exports: its responses as CSV (ready for Excel in Swedish or
English, the whole rollout or one wave) and the rollout as JSON. Both accept a
logged-in session or a bearer token, so a BI tool can read them."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..languages import LANGUAGES
from ..services import exports, rollouts, waves
from ..services.errors import NotFound
from ..services.validation import MAX_ID, whole_number
from .helpers import session_or_token_user

bp = Blueprint("exports", __name__, url_prefix="/rollouts/<key>")


@bp.route("/export/responses.csv")
def responses_csv(key: str) -> ResponseReturnValue:
    actor = session_or_token_user()
    rollout = rollouts.get_rollout(key, actor)
    wave = None
    if request.args.get("wave", "") != "":
        number = whole_number(request.args["wave"], 0, MAX_ID)  # beyond a database integer: no such wave
        if number is None:
            raise NotFound(_("No such wave."))
        wave = waves.get_wave(rollout, number)
    excel = "en" if request.args.get("excel") == "en" else "sv"
    name = f"{rollout.key}-responses{'' if wave is None else f'-wave-{wave.number}'}.csv"
    headings = request.args.get("headings") if request.args.get("headings") in LANGUAGES else None
    stream = exports.responses_csv(rollout, actor, wave, excel, headings)
    first = next(stream)  # permissions are checked before the response starts
    response = Response(stream_with_context(part for chunk in ([first], stream) for part in chunk),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/export/rollout.json")
def rollout_json(key: str) -> ResponseReturnValue:
    actor = session_or_token_user()
    rollout = rollouts.get_rollout(key, actor)
    response = jsonify(exports.rollout_json(rollout, actor))
    response.headers["Content-Disposition"] = f'attachment; filename="{rollout.key}.json"'
    return response
