"""Each limit once, in its service: the forms' validators take the services' ranges, lengths and
messages, so a form can neither let through what the service refuses nor refuse it in other words."""
from __future__ import annotations

import pytest
from wtforms.validators import Length, NumberRange

from rollout.services import accounts, cohorts, feedback, people, retro, rollouts, settings, waves
from rollout.services.errors import ValidationFailed


def _validator(field, kind):
    return next(v for v in field.validators if isinstance(v, kind))


def test_every_form_limit_is_its_services(app):
    from rollout.forms import RolloutEditForm, TokenForm, TriageForm, UnitForm, WaveForm
    with app.test_request_context():
        rollout_form, wave_form = RolloutEditForm(meta={"csrf": False}), WaveForm(meta={"csrf": False})
        for field, limit in ((rollout_form.reminder_days, rollouts.REMINDER_DAYS),
                             (rollout_form.anonymity_k, rollouts.ANONYMITY_K),
                             (rollout_form.vote_budget, retro.VOTE_BUDGET),
                             (rollout_form.retention_days, settings.RETENTION_DAYS),
                             (rollout_form.text_retention_days, settings.RETENTION_DAYS),
                             (wave_form.feedback_days, waves.FEEDBACK_DAYS),
                             (wave_form.percentage, cohorts.PERCENTAGE)):
            bounds = _validator(field, NumberRange)
            assert (bounds.min, bounds.max, str(bounds.message)) == (limit.low, limit.high, str(limit.message))
        for field, length in ((rollout_form.name, rollouts.MAX_NAME), (wave_form.name, waves.MAX_NAME),
                              (TokenForm(meta={"csrf": False}).name, accounts.MAX_TOKEN_NAME),
                              (UnitForm(meta={"csrf": False}).name, people.MAX_NAME),
                              (TriageForm(meta={"csrf": False}).note, feedback.MAX_TEXT)):
            assert _validator(field, Length).max == length


def test_the_form_and_the_service_refuse_a_reminder_in_the_same_words(logged_in, lead):
    from . import builders
    rollout = builders.make_rollout("win11-2027", lead)
    from flask_babel import force_locale
    with force_locale("en"), pytest.raises(ValidationFailed) as refused:
        rollouts.update_rollout(rollout, {"reminder_days": 31}, lead)
    [detail] = [d for d in refused.value.details if d["field"] == "reminder_days"]
    assert detail["message"] == "Give a number of days from 0 to 30."
    page = logged_in.post("/rollouts/win11-2027/edit", data={"name": "Win 11", "language": "sv",
                                                              "reminder_days": "31", "anonymity_k": "5"})
    assert page.status_code in (200, 422) and "Give a number of days from 0 to 30." in page.get_data(as_text=True)
    assert rollouts.REMINDER_DAYS.take("31") is None and rollouts.REMINDER_DAYS.take("30") == 30
