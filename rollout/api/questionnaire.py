"""The rollout's questionnaire: read the current version (or an older one), save a new one."""
from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _

from ..services import accounts, questionnaires
from .common import api, load, load_query, rollout_for, token_required
from .schemas.questionnaires import QuestionnaireSchema, VersionQuery
from .spec import KEY_PARAMETER, body, operation, query


@api.get("/rollouts/<key>/questionnaire", parameters=[KEY_PARAMETER])
@operation("The current questionnaire, or an older version")
@query(VersionQuery)
@api.response(200, QuestionnaireSchema)
@token_required
def get_questionnaire(key: str) -> dict[str, Any]:
    rollout = rollout_for(key)
    version = load_query(VersionQuery, _("Bad query parameters.")).get("version")
    return questionnaires.as_data(questionnaires.version_of(rollout, version))


@api.put("/rollouts/<key>/questionnaire", parameters=[KEY_PARAMETER])
@operation("Save the questions as a new version (waves that opened feedback keep theirs)")
@body(QuestionnaireSchema)
@api.response(200, QuestionnaireSchema)
@token_required
def save_questionnaire(key: str) -> dict[str, Any]:
    rollout = rollout_for(key)
    accounts.require_lead(g.user, rollout)  # a reviewer hears 403, whatever the body
    questions = load(QuestionnaireSchema).get("questions")
    return questionnaires.as_data(questionnaires.save(rollout, questions, g.user))
