"""The rollout's questionnaire: read the current version (or an older one), save a new one."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Questionnaire
from ..services import accounts, questionnaires
from ..services.errors import NotFound, ValidationFailed
from ..services.validation import whole_number
from .common import api, check_types, json_body, raise_type_problems, rollout_for, token_required

# versions are 32-bit integers in the database
MAX_VERSION = 2**31 - 1
QUESTION_FIELDS = {"code": "text", "kind": "text", "prompt": {"sv": "text", "en": "text"}}
OPTION_FIELDS = {"value": "text", "sv": "text", "en": "text"}


def _version_asked() -> int | None:
    raw = request.args.get("version")
    if raw is None:
        return None
    version = whole_number(raw, 1, MAX_VERSION)
    if version is None:
        limit = f"1-{MAX_VERSION}"
        raise ValidationFailed(_("Bad query parameters."),
                               [{"field": "version", "message": _("A whole number (%(limit)s).", limit=limit)}])
    return version


@api.get("/rollouts/<key>/questionnaire")
@token_required
def get_questionnaire(key: str):
    rollout = rollout_for(key)
    version = _version_asked()
    current = questionnaires.current(rollout)
    if version is None or version == current.version:
        return questionnaires.as_data(current)
    older = db.session.scalar(select(Questionnaire).where(Questionnaire.rollout_id == rollout.id,
                                                          Questionnaire.version == version))
    if older is None:
        raise NotFound(_("The questionnaire has no version %(version)s.", version=version))
    return questionnaires.as_data(older)


def _check_question_types(items) -> None:
    """Wrong JSON types inside the questions are a 422, named like the service names its fields."""
    problems: list[dict] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue  # the service names it
        where = f"questions.{index}."
        check_types(item, QUESTION_FIELDS, problems, where)
        options = item.get("options")
        for number, option in enumerate(options if isinstance(options, list) else []):
            if isinstance(option, dict):
                check_types(option, OPTION_FIELDS, problems, f"{where}options.{number}.")
    raise_type_problems(problems)


@api.put("/rollouts/<key>/questionnaire")
@token_required
def save_questionnaire(key: str):
    rollout = rollout_for(key)
    accounts.require_lead(g.user, rollout)  # a reviewer hears 403, whatever the body
    body = json_body()
    items = body.get("questions")
    _check_question_types(items)
    return questionnaires.as_data(questionnaires.save(rollout, items, g.user))
