"""The rollout's questionnaire: the default retrospective questions, and new
versions when a lead edits them. A saved version never changes; a wave keeps
the version it opened feedback with, so results stay comparable."""
from __future__ import annotations

import re
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..languages import LANGUAGES
from ..models import QUESTION_KINDS, Question, Questionnaire, Rollout, User
from . import audit
from .accounts import require_lead
from .errors import FieldErrors, NotFound
from .validation import text_problem

CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
OPTION_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_QUESTIONS = 40

DEFAULT_QUESTIONS = [
    {"code": "satisfaction", "kind": "rating", "required": True,
     "prompt": {"sv": "Hur nöjd är du med bytet som helhet?", "en": "How satisfied are you with the change overall?"}},
    {"code": "worked_day_one", "kind": "yes_no", "required": True,
     "prompt": {"sv": "Kunde du arbeta som vanligt redan första dagen?", "en": "Could you work as usual on day one?"}},
    {"code": "information", "kind": "rating", "required": False,
     "prompt": {"sv": "Fick du tillräckligt med information och utbildning?",
                "en": "Did you get enough information and training?"}},
    {"code": "went_well", "kind": "text", "required": False,
     "prompt": {"sv": "Vad gick bra?", "en": "What went well?"}},
    {"code": "could_be_better", "kind": "text", "required": False,
     "prompt": {"sv": "Vad kunde ha varit bättre?", "en": "What could have been better?"}},
    {"code": "celebrate", "kind": "text", "required": False,
     "prompt": {"sv": "Finns det något vi ska fira?", "en": "Is there anything to celebrate?"}},
    {"code": "hours_lost", "kind": "number", "required": False, "min": 0, "max": 200,
     "prompt": {"sv": "Ungefär hur många arbetstimmar förlorade du på grund av bytet?",
                "en": "About how many working hours did you lose because of the change?"}},
]

DEFAULT_CATEGORIES = [
    {"code": "login", "sv": "Inloggning och behörighet", "en": "Login and access"},
    {"code": "software", "sv": "Program", "en": "Software"},
    {"code": "hardware", "sv": "Dator och tillbehör", "en": "Computer and accessories"},
    {"code": "printing", "sv": "Utskrifter", "en": "Printing"},
    {"code": "network", "sv": "Nätverk", "en": "Network"},
    {"code": "information", "sv": "Information och utbildning", "en": "Information and training"},
    {"code": "other", "sv": "Annat", "en": "Other"},
]


def current(rollout: Rollout) -> Questionnaire:
    """The newest version; the default one is made the first time it is asked for."""
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.rollout_id == rollout.id)
                                      .order_by(Questionnaire.version.desc()).limit(1))
    if questionnaire is None:
        questionnaire = _create(rollout, _clean_all(DEFAULT_QUESTIONS, FieldErrors(), rollout), None)
    return questionnaire


def version_of(rollout: Rollout, version: Optional[int] = None) -> Questionnaire:
    """The rollout's questionnaire as it was in `version` (None: the current one); NotFound for none."""
    newest = current(rollout)
    if version is None or version == newest.version:
        return newest
    older = db.session.scalar(select(Questionnaire).where(Questionnaire.rollout_id == rollout.id,
                                                          Questionnaire.version == version))
    if older is None:
        raise NotFound(_("The questionnaire has no version %(version)s.", version=version))
    return older


def as_data(questionnaire: Questionnaire) -> dict:
    return {"version": questionnaire.version, "questions": [question_data(q) for q in questionnaire.questions]}


def question_data(q: Question) -> dict:
    data = {"code": q.code, "kind": q.kind, "prompt": {"sv": q.prompt_sv, "en": q.prompt_en},
            "options": list(q.options or []), "required": q.required}
    if q.kind == "number":
        data["min"], data["max"] = q.min_value, q.max_value
    return data


def _create(rollout: Rollout, questions: list[dict], actor: Optional[User]) -> Questionnaire:
    version = (db.session.scalar(select(func.max(Questionnaire.version))
                                 .where(Questionnaire.rollout_id == rollout.id)) or 0) + 1
    questionnaire = Questionnaire(rollout_id=rollout.id, version=version, created_by_id=actor.id if actor else None)
    for position, q in enumerate(questions):
        questionnaire.questions.append(Question(
            code=q["code"], kind=q["kind"], prompt_sv=q["prompt"]["sv"], prompt_en=q["prompt"]["en"],
            options=q["options"], required=q["required"], position=position,
            min_value=q.get("min"), max_value=q.get("max")))
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def _number(value: object, field: str, problems: FieldErrors) -> Optional[float]:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        problems.add(field, _("Give a number."))
        return None
    try:
        number = float(value)
    except ValueError:
        problems.add(field, _("Give a number."))
        return None
    if number != number or abs(number) > 1e9:
        problems.add(field, _("Give a number."))
        return None
    return number


def clean_questions(items: object, problems: FieldErrors) -> list[dict]:
    """One version's questions checked and cleaned, for a rollout still to be made (an archive's
    import): codes unique, kinds, prompts, options and limits (paths "questions.<i>....")."""
    return _clean_all(items, problems, None)


def _clean_all(items: object, problems: FieldErrors, rollout: Optional[Rollout]) -> list[dict]:
    if not isinstance(items, list) or not items:
        problems.add("questions", _("Give at least one question."))
        return []
    if len(items) > MAX_QUESTIONS:
        problems.add("questions", _("At most %(n)s questions.", n=MAX_QUESTIONS))
        return []
    earlier_kinds = dict(db.session.execute(
        select(Question.code, Question.kind).join(Questionnaire)
        .where(Questionnaire.rollout_id == rollout.id)).all()) if rollout is not None and rollout.id else {}
    clean, codes = [], set()
    for index, item in enumerate(items):
        where = f"questions.{index}"
        if not isinstance(item, dict):
            problems.add(where, _("Each question is an object."))
            continue
        code = item.get("code")
        kind = item.get("kind")
        prompt = item.get("prompt") or {}
        if not isinstance(code, str) or not CODE.fullmatch(code):
            problems.add(f"{where}.code", _("A code is lower-case letters, digits and _, starting with a letter."))
        elif code in codes:
            problems.add(f"{where}.code", _("The code %(code)s is used twice.", code=code))
        elif code in earlier_kinds and earlier_kinds[code] != kind:
            problems.add(f"{where}.code", _(
                "The code %(code)s meant another kind of question before; a new meaning needs a new code.", code=code))
        if isinstance(code, str):
            codes.add(code)
        if kind not in QUESTION_KINDS:
            problems.add(f"{where}.kind", _("Choose one of: %(kinds)s.", kinds=", ".join(QUESTION_KINDS)))
        prompts = {}
        if not isinstance(prompt, dict):
            problems.add(f"{where}.prompt", _("Give the question in Swedish and English."))
        else:
            for language in LANGUAGES:
                text = prompt.get(language)
                if not isinstance(text, str) or not text.strip():
                    problems.add(f"{where}.prompt.{language}", _("Write the question in this language."))
                elif reason := text_problem(text.strip(), 500):
                    problems.add(f"{where}.prompt.{language}", reason)
                else:
                    prompts[language] = text.strip()
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems.add(f"{where}.required", _("Must be true or false."))
        options = item.get("options") or []
        clean_options = []
        if kind in ("choice", "multi"):
            if not isinstance(options, list) or len(options) < 2:
                problems.add(f"{where}.options", _("Give at least two options."))
            else:
                values = set()
                for number, option in enumerate(options):
                    if not isinstance(option, dict):
                        problems.add(f"{where}.options.{number}", _("Each option has a value and labels in Swedish and English."))
                        continue
                    value = option.get("value")
                    if not isinstance(value, str) or not OPTION_VALUE.fullmatch(value) or value in values:
                        problems.add(f"{where}.options.{number}.value", _(
                            "An option's value is a unique short code: lower-case letters, digits, - and _."))
                        continue
                    values.add(value)
                    labels = _labels(option, f"{where}.options.{number}", 200, problems,
                                     _("Give the option's label (at most 200 characters)."))
                    clean_options.append({"value": value, **labels})
        low = _number(item.get("min"), f"{where}.min", problems) if kind == "number" else None
        high = _number(item.get("max"), f"{where}.max", problems) if kind == "number" else None
        if low is not None and high is not None and low > high:
            problems.add(f"{where}.max", _("The largest value is smaller than the smallest."))
        clean.append({"code": code, "kind": kind, "prompt": prompts, "options": clean_options,
                      "required": bool(required), "min": low, "max": high})
    return clean


def save(rollout: Rollout, items: object, actor: Optional[User]) -> Questionnaire:
    """Save the questions as a new version (nothing happens when they are the same as now)."""
    require_lead(actor, rollout)
    problems = FieldErrors()
    clean = _clean_all(items, problems, rollout)
    problems.raise_if_any(_("The questionnaire could not be saved."))
    now = current(rollout)
    if [_comparable(q) for q in clean] == [_comparable(question_data(q)) for q in now.questions]:
        return now
    questionnaire = _create(rollout, clean, actor)
    audit.record(actor, "questionnaire.save", rollout=rollout, subject=f"v{questionnaire.version}",
                 details={"codes": [q["code"] for q in clean]})
    db.session.commit()
    return questionnaire


def _comparable(q: dict) -> tuple:
    return (q["code"], q["kind"], q["prompt"].get("sv"), q["prompt"].get("en"), q["required"],
            tuple(tuple(sorted(o.items())) for o in q.get("options") or []), q.get("min"), q.get("max"))


def _labels(item: dict, where: str, max_length: int, problems: FieldErrors, message: str) -> dict[str, str]:
    """The Swedish and English labels of an option or category, each checked."""
    labels = {}
    for language in LANGUAGES:
        label = item.get(language)
        if not isinstance(label, str) or not label.strip() or text_problem(label.strip(), max_length):
            problems.add(f"{where}.{language}", message)
        else:
            labels[language] = label.strip()
    return labels


def clean_categories(items: object, problems: FieldErrors, field: str = "problem_categories") -> list[dict]:
    """A rollout's problem categories: [{"code", "sv", "en"}], 1 to 30, unique codes."""
    if not isinstance(items, list) or not 1 <= len(items) <= 30:
        problems.add(field, _("Give from 1 to 30 categories."))
        return []
    clean, codes = [], set()
    for index, item in enumerate(items):
        where = f"{field}.{index}"
        if not isinstance(item, dict):
            problems.add(where, _("Each category has a code and names in Swedish and English."))
            continue
        code = item.get("code")
        if not isinstance(code, str) or not OPTION_VALUE.fullmatch(code) or code in codes:
            problems.add(f"{where}.code", _("A category's code is a unique short code: lower-case letters, digits, - and _."))
            continue
        codes.add(code)
        labels = _labels(item, where, 100, problems, _("Give the category's name (at most 100 characters)."))
        clean.append({"code": code, **labels})
    return clean


def categories(rollout: Rollout) -> list[dict]:
    return list(rollout.problem_categories or DEFAULT_CATEGORIES)


def category_label(rollout: Rollout, code: str, language: str) -> str:
    for category in categories(rollout):
        if category["code"] == code:
            return category.get(language) or category.get("sv") or code
    return code
