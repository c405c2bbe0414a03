"""The forms of a wave's retrospective: cards, themes, grouping and the vote budget
(a lesson's verification takes forms.lessons.VerifyForm). The services judge the
content (an empty card, an unknown theme); these forms carry CSRF and the shape."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..services.retro import CARD_KINDS, KIND_LABELS


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind, KIND_LABELS[kind]) for kind in CARD_KINDS]


class CardForm(FlaskForm):
    """A new card on the board."""

    kind = RadioField(_l("Kind of card"), choices=kind_choices(), default="went_well",
                      validators=[InputRequired(_l("Choose went well, could be better, celebrate or idea."))])
    text = TextAreaField(_l("Text on the card"), render_kw={"rows": 3},
                         description=_l("One thing per card, in a few words."))


class CardEditForm(FlaskForm):
    """Changing a card's kind or text (one form per card, with the card's own prefix)."""

    kind = SelectField(_l("Kind of card"), choices=kind_choices(), validate_choice=False)
    text = TextAreaField(_l("Text on the card"), render_kw={"rows": 3})


class ThemeForm(FlaskForm):
    """Renaming a theme (one form per theme, with the theme's own prefix)."""

    title = StringField(_l("Title of the theme"))


class GroupForm(FlaskForm):
    """The cards chosen with the boxes on the board, moved into a new theme, an existing
    theme, or out of every theme. `target` is "new", "none" or a theme's id."""

    cards = SelectMultipleField(_l("Chosen cards"), choices=[], validate_choice=False)
    target = SelectField(_l("Move the chosen cards to"), choices=[], validate_choice=False, default="new")
    title = StringField(_l("Title of the new theme"),
                        description=_l("Only for a new theme. A theme may start without cards."))


class BudgetForm(FlaskForm):
    vote_budget = StringField(_l("Votes per person in each retrospective"),
                              description=_l("A whole number from 1 to 50; the same for every wave of the rollout."),
                              render_kw={"inputmode": "numeric", "size": 4, "autocomplete": "off"})


class AnswerCardForm(FlaskForm):
    """A participant's free-text answer made into a card; the kind the answer suggests."""

    kind = StringField()
