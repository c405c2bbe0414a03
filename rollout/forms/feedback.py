"""The participant's forms: the questionnaire, built at run time from the
wave's stored questions, and the problem report. What an answer may be is
decided by the feedback service; these forms only carry the values (and CSRF)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField

from ..models import Question, Severity
from ..models.vocabularies import labelled
from ..services.feedback import MAX_TEXT, SCALES
from . import MultiCheckboxField

# Question codes are free to be words such as "data" or "meta", which a form
# already uses; the fields are named with a prefix so that nothing clashes.
PREFIX = "q_"


def field_name(code: str) -> str:
    return PREFIX + code


class QuestionnaireForm(FlaskForm):
    """The base of the per-request questionnaire form; `questions` keeps the
    stored questions in their order, next to the fields made from them."""

    questions: list[Question] = []

    def question_fields(self):
        """(question, field) in the questionnaire's order."""
        return [(q, self[field_name(q.code)]) for q in self.questions]

    def answers(self, formdata: Optional[Mapping[str, Any]] = None) -> dict:
        """The answers as the feedback service takes them: {code: value}. A posted
        value for a question the form does not have is passed on too, so that the
        service can say it is not a question rather than it being lost."""
        answers: dict = {}
        for q, f in self.question_fields():
            value = f.data
            if isinstance(value, str):
                # browsers send a textarea's line breaks as CRLF; maxlength counts them as one
                value = value.replace("\r\n", "\n")
            answers[q.code] = value
        known = {field_name(q.code) for q in self.questions}
        posted = formdata or {}
        for key in posted:
            if key.startswith(PREFIX) and key not in known:
                answers[key[len(PREFIX):]] = posted.get(key)
        return answers


def _scale(low: int, high: int) -> list[SelectChoice]:
    return [SelectChoice(str(n), str(n)) for n in range(low, high + 1)]


def _field(q: Question, language: str) -> UnboundField:
    label = q.prompt(language)
    options = [SelectChoice(o["value"], q.option_label(o["value"], language)) for o in q.options or []]
    if q.kind == "rating":
        return RadioField(label, choices=_scale(*SCALES["rating"]), validate_choice=False,
                          description=_l("1 means not at all, 5 means completely."))
    if q.kind == "nps":
        return RadioField(label, choices=_scale(*SCALES["nps"]), validate_choice=False,
                          description=_l("0 means not at all likely, 10 means extremely likely."))
    if q.kind == "yes_no":
        return RadioField(label, choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                          validate_choice=False)
    if q.kind == "choice":
        return RadioField(label, choices=options, validate_choice=False)
    if q.kind == "multi":
        return MultiCheckboxField(label, choices=options, validate_choice=False,
                                  description=_l("Choose all that apply."))
    if q.kind == "number":
        return StringField(label, description=_number_hint(q),
                           render_kw={"inputmode": "decimal", "autocomplete": "off", "class": "short"})
    return TextAreaField(label, description=_l("At most %(n)s characters.", n=f"{MAX_TEXT:,}".replace(",", "\u00a0")),
                         render_kw={"rows": 4, "maxlength": MAX_TEXT})


def _number_hint(q: Question) -> LazyString:
    if q.min_value is not None and q.max_value is not None:
        return _l("A number from %(low)s to %(high)s.", low=f"{q.min_value:g}", high=f"{q.max_value:g}")
    if q.min_value is not None:
        return _l("A number, at least %(low)s.", low=f"{q.min_value:g}")
    if q.max_value is not None:
        return _l("A number, at most %(high)s.", high=f"{q.max_value:g}")
    return _l("A number.")


def as_form_value(kind: str, value: Any, language: str = "sv") -> str | list[str] | None:
    """A stored answer (as feedback.current_answers gives it) as the form shows it."""
    if value is None:
        return None
    if kind == "multi":
        return [str(v) for v in value]
    if kind == "number":
        return number_text(value, language)
    return str(value)


def number_text(value: object, language: str) -> str:
    """A number as a person in this language writes it (2,5 in Swedish); the service reads both."""
    text = str(value)
    return text.replace(".", ",") if language == "sv" else text


def questionnaire_form(questions: Iterable[Question], language: str, answers: Optional[dict] = None,
                       **kwargs: Any) -> QuestionnaireForm:
    """A form class made for these questions, in this language, and an instance of it,
    prefilled with `answers` ({code: value}) when nothing was posted."""
    questions = list(questions)
    form_class = type("AnswersForm", (QuestionnaireForm,), {"questions": questions})
    for q in questions:
        setattr(form_class, field_name(q.code), _field(q, language))
    data = {field_name(q.code): as_form_value(q.kind, (answers or {}).get(q.code), language) for q in questions}
    return form_class(data=data, **kwargs)


SEVERITY_CHOICES = tuple(labelled(Severity, {
    "blocker": _l("Blocker: I cannot do my work at all."),
    "major": _l("Major: I can work, but something important does not work."),
    "minor": _l("Minor: an annoyance; I can get around it."),
}).items())


class ProblemForm(FlaskForm):
    category = SelectField(_l("What is the problem about?"), choices=[], validate_choice=False)
    severity = RadioField(_l("How much does it stop you?"), validate_choice=False,
                          choices=[SelectChoice(value, label) for value, label in SEVERITY_CHOICES])
    description = TextAreaField(_l("Describe the problem"),
                                description=_l("What were you doing, what happened, and what did you expect? "
                                               "At most %(n)s characters.", n=f"{MAX_TEXT:,}".replace(",", "\u00a0")),
                                render_kw={"rows": 6, "maxlength": MAX_TEXT})


def problem_form(categories: list[dict], language: str, **kwargs: Any) -> ProblemForm:
    form = ProblemForm(**kwargs)
    form.category.choices = [SelectChoice("", _l("Choose a category"))] + [
        SelectChoice(c["code"], c.get(language) or c.get("sv") or c["code"]) for c in categories]
    return form
