"""Forms of the lesson pages: a lesson's fields, its status, the verification
and the library's search. Choices (team, waves, metrics, next statuses) come
from the view; what they mean is checked by the lessons service."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired


class LessonForm(FlaskForm):
    # no validators here: the service reports every problem of the lesson at once
    title = StringField(_l("Title"),
                        description=_l("A short name for the lesson, e.g. Install the printer driver before the wave."))
    action = TextAreaField(_l("What to do"), render_kw={"rows": 4},
                           description=_l("What will be done differently, and by when."))
    # the service checks that the owner is on the team; a stale choice gets its message there
    owner = SelectField(_l("Owner"), choices=[], validate_choice=False,
                        description=_l("Someone on the rollout's team. The owner gets an e-mail."))
    origin_wave = SelectField(_l("Learnt in wave"), choices=[], validate_choice=False)
    target_wave = SelectField(_l("Target wave"), choices=[], validate_choice=False,
                              description=_l("The wave the lesson must change. It cannot start while the lesson "
                                             "is open or planned."))
    metric = SelectField(_l("Linked metric"), choices=[], validate_choice=False,
                         description=_l("The result that should show whether the lesson helped, compared "
                                        "between the two waves."))
    tags = StringField(_l("Tags"), render_kw={"autocomplete": "off"},
                       description=_l("Separated by commas, e.g. printing, information. They help others "
                                      "find the lesson in the library."))


class LessonStatusForm(FlaskForm):
    status = RadioField(_l("New status"), choices=[], validate_choice=False,
                        validators=[DataRequired(_l("Choose a status."))])
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3},
                           description=_l("Required when the lesson is deferred or dropped."))


class VerifyForm(FlaskForm):
    """The team's conclusion on an applied lesson, from the lesson's page or the retrospective: the
    button pressed sends `outcome`, effective or ineffective (services.lessons.verify judges it)."""

    outcome = HiddenField()
