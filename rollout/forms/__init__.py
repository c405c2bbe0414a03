"""The forms of the web UI, one per use case. Validation of meaning lives in
the services; these check shape and carry CSRF."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..languages import LANGUAGES, NATIVE_NAMES
from ..models import DecisionKind, QuestionKind
from ..models.vocabularies import labelled
from ..services import accounts, cohorts, gates, people, rollouts, settings, waves
from ..services.feedback import MAX_TEXT, STATUS_LABELS
from ..services.retro import VOTE_BUDGET
from ..services.validation import Limit, too_long


def within(limit: Limit, *, required: bool = False) -> list:
    """A number field's validators for a service's range: its bounds and its message."""
    presence = InputRequired(limit.message) if required else Optional()
    return [presence, NumberRange(limit.low, limit.high, limit.message)]


def at_most(max_length: int) -> Length:
    return Length(max=max_length, message=too_long(max_length))


def language_choices() -> list[SelectChoice]:
    """The languages, each named in its own language and marked with it."""
    return [SelectChoice(code, NATIVE_NAMES[code], render_kw={"lang": code}) for code in LANGUAGES]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PersonForm(FlaskForm):
    external_id = StringField(_l("External id"), validators=[DataRequired(_l("An external id is required."))],
                              description=_l("The id in your HR or identity system, e.g. an employee number."))
    name = StringField(_l("Name"), validators=[DataRequired(_l("A name is required."))],
                       render_kw={"autocomplete": "off"})
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("An e-mail address is required."))])
    unit = StringField(_l("Unit"), description=_l("A new unit name creates the unit."),
                       render_kw={"list": "unit-names"})
    language = SelectField(_l("Language for e-mail"), choices=language_choices())
    attributes = TextAreaField(_l("Attributes"), render_kw={"rows": 4},
                               description=_l("One per line as name=value, e.g. site=Rådhuset."))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     description=_l("Header: external_id,name,email,unit and any attribute columns. "
                                    "Comma or semicolon separated, UTF-8."))
    # the choices are the rollouts the user may see, set by the view
    rollout = SelectField(_l("Imported for a rollout"), choices=[], default="",
                          description=_l("Optional. The new people of this file are deleted with the rollout's "
                                         "personal data when its retention runs out, unless they are in another "
                                         "rollout by then. People who exist already are not changed by this."))


class RolloutForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(_l("A key is required.")), at_most(rollouts.MAX_KEY)],
                      description=_l("A short name for addresses and the API: lower-case letters, digits and "
                                     "hyphens, e.g. win11-2027. It cannot be changed later."))
    name = StringField(_l("Name"), validators=[DataRequired(_l("A name is required.")), at_most(rollouts.MAX_NAME)])
    description = TextAreaField(_l("Description"), render_kw={"rows": 4})
    # language names in their own language, as a reader looks for them
    language = SelectField(_l("Language of the rollout's texts"), default="sv",
                           choices=language_choices(),
                           description=_l("The language the team writes the rollout's name, waves, retrospective "
                                          "cards and lessons in. Pages in the other language mark these texts "
                                          "so that screen readers pronounce them right."))
    anonymous = BooleanField(_l("Anonymous feedback"),
                             description=_l("Responses are stored without a link to the person."))
    tags = StringField(_l("Tags"), render_kw={"autocomplete": "off", "spellcheck": "false"},
                       description=_l("What the change is about, separated by commas, e.g. windows, e-service. "
                                      "Used to suggest lessons from earlier rollouts."))


class RolloutEditForm(RolloutForm):
    key = None
    reminder_days = IntegerField(
        _l("Reminder (days before the feedback window closes)"), default=2,
        validators=within(rollouts.REMINDER_DAYS, required=True),
        description=_l("0-30. People who have not answered get one reminder this many days before the window "
                       "closes; 0 sends it on the last day."),
        render_kw={"inputmode": "numeric"})
    anonymity_k = IntegerField(
        _l("Smallest group shown in results"), default=5,
        validators=within(rollouts.ANONYMITY_K, required=True),
        description=_l("2-50. In an anonymous rollout, results of groups smaller than this are hidden."),
        render_kw={"inputmode": "numeric"})
    # optional so that a form without it (an older page) keeps the rollout's budget
    vote_budget = IntegerField(
        _l("Votes per person in a retrospective"), default=5,
        validators=within(VOTE_BUDGET),
        description=_l("1-50. The dots each member of the team has to vote with on a wave's retrospective cards."),
        render_kw={"inputmode": "numeric"})
    # the hint's example is in two languages: __init__ writes it with each label marked
    categories_text = TextAreaField(_l("Problem categories"), render_kw={"rows": 8})
    # empty: the organisation's default; the view puts the default into the hints
    retention_days = IntegerField(
        _l("Keep personal data (days after the last wave is done)"),
        validators=within(settings.RETENTION_DAYS),
        render_kw={"inputmode": "numeric"})
    text_retention_days = IntegerField(
        _l("Keep free texts and problem descriptions (days after the last wave is done)"),
        validators=within(settings.RETENTION_DAYS),
        render_kw={"inputmode": "numeric"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        example = Markup('printing | <span lang="sv">Utskrifter</span> | <span lang="en">Printing</span>')
        self.categories_text.description = Markup(escape(_(
            "One per line: code | Swedish label | English label, e.g. %(example)s. "
            "Participants choose one when they report a problem."))) % {"example": example}


class RoleForm(FlaskForm):
    email = EmailField(_l("User's e-mail address"), validators=[DataRequired(_l("Enter an e-mail address."))])
    role = RadioField(_l("Role"), choices=[SelectChoice(role, label) for role, label in rollouts.ROLE_LABELS.items()],
                      default="reviewer")


class WaveForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("A name is required.")), at_most(waves.MAX_NAME)])
    people = TextAreaField(_l("People by external id"), render_kw={"rows": 3},
                           description=_l("Separated by commas, spaces or new lines. They are in the wave "
                                          "whatever their bucket."))
    units = MultiCheckboxField(_l("Units"), choices=[])
    attributes = TextAreaField(_l("Attribute values"), render_kw={"rows": 3},
                               description=_l("One per line as name=value, or name=value1,value2."))
    percentage = IntegerField(_l("Cumulative percentage"), validators=within(cohorts.PERCENTAGE),
                              description=_l("1-100. Of those matching the units and attributes, the people whose "
                                             "bucket is at most this and who are in no earlier wave."))
    planned_start = DateField(_l("Planned start"), validators=[Optional()])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])
    feedback_days = IntegerField(_l("Feedback window (days)"), default=7,
                                 validators=within(waves.FEEDBACK_DAYS))
    auto_advance = BooleanField(_l("Advance by the planned times"),
                                description=_l("The scheduler starts and closes the wave by its planned dates."))


class TransitionForm(FlaskForm):
    to = HiddenField(validators=[DataRequired()])


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[SelectChoice(decision, label) for decision, label in labelled(
        DecisionKind, {"go": _l("Go: the next wave may start"), "no_go": _l("No go: stop here"),
                       "extend": _l("Extend: collect more feedback")}).items()],
                          validators=[DataRequired(_l("Choose a decision."))])
    rationale = TextAreaField(_l("Rationale"), render_kw={"rows": 4})


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter an e-mail address."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("A name is required."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter a password."))],
                             description=_l("At least 10 characters."), render_kw={"autocomplete": "new-password"})
    is_admin = BooleanField(_l("Administrator"))
    is_people_manager = BooleanField(_l("People manager"), description=_l("Keeps the people directory: reads, imports, edits, exports and erases people."))
    is_rollout_creator = BooleanField(_l("Rollout creator"), description=_l("May plan new rollouts and becomes their first lead."))
    is_council = BooleanField(_l("Council"), description=_l("Triages the ideas from the floor and turns accepted ones into rollouts or lessons."))
    language = SelectField(_l("Language"), choices=language_choices())


class OrganisationRolesForm(FlaskForm):
    is_people_manager = BooleanField(_l("People manager"), description=_l("Keeps the people directory: reads, imports, edits, exports and erases people."))
    is_rollout_creator = BooleanField(_l("Rollout creator"), description=_l("May plan new rollouts and becomes their first lead."))
    is_council = BooleanField(_l("Council"), description=_l("Triages the ideas from the floor and turns accepted ones into rollouts or lessons."))


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[at_most(accounts.MAX_TOKEN_NAME)],
                       description=_l("For example: the HR import job."))


class UnitForm(FlaskForm):
    name = StringField(_l("Unit name"), validators=[DataRequired(_l("A name is required.")), at_most(people.MAX_NAME)])


class ActionForm(FlaskForm):
    """A button-only form: CSRF and nothing else."""


class RetentionSettingsForm(FlaskForm):
    retention_days = IntegerField(
        _l("Keep personal data (days after a rollout's last wave is done)"),
        description=_l("1-3650. Then the tick deletes the personal links, e-mails and the people added only "
                       "for the rollout, and unlinks responses from people; results, decisions and lessons stay."),
        validators=[Optional()], render_kw={"inputmode": "numeric"})
    text_retention_days = IntegerField(
        _l("Keep free texts and problem descriptions (days)"),
        description=_l("1-3650, at most the days above. A rollout may set its own numbers."),
        validators=[Optional()], render_kw={"inputmode": "numeric"})


class EraseForm(FlaskForm):
    confirm = StringField(_l("Type the person's external id to confirm"),
                          validators=[DataRequired(_l("Type the external id to confirm."))],
                          render_kw={"autocomplete": "off", "spellcheck": "false"})


# --- feedback: the lead's side ------------------------------------------------

QUESTION_KIND_CHOICES = [SelectChoice(kind, label) for kind, label in labelled(QuestionKind, {
    "rating": _l("Rating (1-5)"), "nps": _l("Recommendation (0-10)"), "choice": _l("One choice"),
    "multi": _l("Several choices"), "yes_no": _l("Yes or no"), "number": _l("Number"), "text": _l("Free text"),
}).items()]


class QuestionFields(PlainForm):
    """One question of the questionnaire editor (a fieldset; CSRF is on the whole form)."""

    code = StringField(_l("Code"), description=_l("Lower-case letters, digits and _."),
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    kind = SelectField(_l("Kind of question"), choices=QUESTION_KIND_CHOICES, default="rating")
    prompt_sv = TextAreaField(_l("Question in Swedish"), render_kw={"rows": 2, "lang": "sv"})
    prompt_en = TextAreaField(_l("Question in English"), render_kw={"rows": 2, "lang": "en"})
    options = TextAreaField(_l("Options"), render_kw={"rows": 3, "spellcheck": "false"},
                            description=_l("Choice questions only: one per line as value | Svenska | English, "
                                           "e.g. often | Ofta | Often."))
    required = BooleanField(_l("An answer is required"))
    position = StringField(_l("Place in the order"), render_kw={"inputmode": "numeric", "size": 4},
                           description=_l("A smaller number comes first."))
    min = StringField(_l("Smallest number allowed"), render_kw={"inputmode": "decimal"},
                      description=_l("Number questions only; empty for no limit."))
    max = StringField(_l("Largest number allowed"), render_kw={"inputmode": "decimal"},
                      description=_l("Number questions only; empty for no limit."))
    remove = BooleanField(_l("Remove this question"))


class QuestionnaireForm(FlaskForm):
    # the editor shows the questions (at most 40) and one empty fieldset; the bound keeps a bad post small
    questions = FieldList(FormField(QuestionFields), min_entries=1, max_entries=100)


class TriageForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[SelectChoice(status, label) for status, label in STATUS_LABELS.items()],
                         validators=[DataRequired(_l("Choose a status."))])
    note = TextAreaField(_l("Note"), validators=[at_most(MAX_TEXT)],
                         render_kw={"rows": 2},
                         description=_l("Optional: what was done, or why."))


class GateForm(FlaskForm):
    """Gate criteria; shares are entered in per cent. On a wave, an empty field uses the rollout's value."""

    min_responses = IntegerField(_l("Minimum responses"), validators=[Optional(), NumberRange(0, gates.MAX_COUNT)])
    min_response_rate = IntegerField(_l("Minimum response rate (%)"), validators=[Optional(), NumberRange(0, 100)],
                                     render_kw={"inputmode": "numeric"})
    min_satisfied = IntegerField(_l("Minimum satisfied share (%)"), validators=[Optional(), NumberRange(0, 100)],
                                 description=_l("The share answering 4 or 5 on overall satisfaction."),
                                 render_kw={"inputmode": "numeric"})
    max_open_blockers = IntegerField(_l("Maximum open blockers"),
                                     validators=[Optional(), NumberRange(0, gates.MAX_COUNT)])
    lessons_ready = SelectField(_l("Lessons for the next wave must be applied or deferred"),
                                choices=[SelectChoice("", _l("As the rollout says")), SelectChoice("yes", _l("Yes")),
                                         SelectChoice("no", _l("No"))], default="", validate_choice=False)
