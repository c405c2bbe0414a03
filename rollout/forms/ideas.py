"""Forms of the ideas from the floor: the public idea form, and the council's decisions. The
ideas service checks every field (all problems at once); these only carry them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, StringField, TextAreaField


def reach_labels() -> dict[str, str]:
    from ..models.vocabularies import IdeaReach, labelled
    return labelled(IdeaReach, {"just_me": _l("Only me"), "up_to_10": _l("A few of us (up to 10)"),
                                "up_to_50": _l("My team or unit (up to 50)"),
                                "up_to_200": _l("Several teams (up to 200)"),
                                "more": _l("More than 200 people")})


class IdeaForm(FlaskForm):
    name = StringField(_l("Your name"), render_kw={"autocomplete": "name"})
    email = EmailField(_l("Your e-mail address"), render_kw={"autocomplete": "email"},
                       description=_l("The council e-mails you what it decides."))
    unit = StringField(_l("Your unit"), render_kw={"list": "units", "autocomplete": "off"},
                       description=_l("The unit you work in, e.g. Kundcenter."))
    problem = TextAreaField(_l("The problem"), render_kw={"rows": 4},
                            description=_l("What gets in the way of your work today?"))
    idea = TextAreaField(_l("Your idea"), render_kw={"rows": 4}, description=_l("What would make it better?"))
    reach = RadioField(_l("How many does the problem affect?"), choices=[], validate_choice=False)
    # filled in only by robots (hidden from people and from screen readers): nothing is stored then
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    send_anyway = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reach.choices = list(reach_labels().items())


class DecisionForm(FlaskForm):
    # the decision itself is a plain field "decision" of the page's form, outside the prefix
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3}, description=_l("The proposer reads it."))
    into = StringField(_l("Number of the idea to merge into"))
    key = StringField(_l("Key of the new rollout"), description=_l("Lower-case letters, digits and hyphens, "
                                                                    "e.g. shared-printers-2027."))
    name = StringField(_l("Name of the new rollout"))
    rollout = StringField(_l("Key of the rollout the lesson belongs to"))
    title = StringField(_l("Title of the lesson"), description=_l("Empty: the idea's first words."))
