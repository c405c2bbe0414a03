"""Leads edit the rollout's questionnaire (each save is a new version).

The editor works without JavaScript: one fieldset per question, plus one empty
fieldset that adds a question. The view turns the fieldsets into the list of
questions the service takes, and puts the service's problems
("questions.<i>.<field>") back next to the field of the fieldset they came from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import Field

from ..extensions import db
from ..forms import QUESTION_KIND_CHOICES, QuestionFields, QuestionnaireForm
from ..models import Questionnaire, Rollout
from ..services import questionnaires, rollouts
from ..services.accounts import can_lead, require_lead
from ..services.errors import ValidationFailed

bp = Blueprint("questionnaire", __name__, url_prefix="/rollouts/<key>/questionnaire")

MAX_POSITION = 999
# the service's names for a question's parts -> the fields of a fieldset
FIELDS = {"code": "code", "kind": "kind", "prompt": "prompt_sv", "prompt.sv": "prompt_sv",
          "prompt.en": "prompt_en", "required": "required", "options": "options", "min": "min", "max": "max"}
PROBLEM = re.compile(r"^questions\.(\d+)(?:\.(.+))?$")
OPTION_PROBLEM = re.compile(r"^options\.(\d+)(?:\.\w+)?$")


def kind_labels() -> dict[str, str]:
    return {choice.value: str(choice.label) for choice in QUESTION_KIND_CHOICES}


def _number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _options_text(options: list[dict]) -> str:
    return "\n".join(f"{o.get('value', '')} | {o.get('sv', '')} | {o.get('en', '')}" for o in options or [])


def _form_rows(questionnaire: Questionnaire) -> list[dict]:
    """The current questions as the editor's fieldsets, numbered 1, 2, 3 ... in their order."""
    rows = []
    for position, question in enumerate(questionnaire.questions, start=1):
        data = questionnaires.question_data(question)
        rows.append({"code": data["code"], "kind": data["kind"], "prompt_sv": data["prompt"]["sv"],
                     "prompt_en": data["prompt"]["en"], "options": _options_text(data["options"]),
                     "required": data["required"], "position": str(position),
                     "min": _number_text(data.get("min")), "max": _number_text(data.get("max")), "remove": False})
    return rows


def _versions(rollout: Rollout) -> dict[int, int]:
    """questionnaire id -> version number, for the rollout's versions (one query)."""
    return dict(db.session.execute(select(Questionnaire.id, Questionnaire.version)
                                   .where(Questionnaire.rollout_id == rollout.id)).all())


def _is_blank(fieldset: QuestionFields) -> bool:
    return not any((getattr(fieldset, name).data or "").strip()
                   for name in ("code", "prompt_sv", "prompt_en", "options", "position", "min", "max"))


def _add_error(fieldset_field: Field, message: str) -> None:
    if not isinstance(fieldset_field.errors, list):
        fieldset_field.errors = list(fieldset_field.errors)
    fieldset_field.errors.append(message)


@dataclass
class Parsed:
    """The questions for the service, and where each came from in the form."""

    items: list[dict] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)        # item -> fieldset index
    option_lines: list[list[int]] = field(default_factory=list)  # item -> option -> line number
    ok: bool = True


def _parse_options(text: str) -> tuple[list[dict], list[int], list[str]]:
    options, lines, problems = [], [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3:
            problems.append(_("Line %(n)s: write value | Svenska | English.", n=number))
            continue
        value, sv, en = (parts + ["", ""])[:3]
        options.append({"value": value, "sv": sv, "en": en})
        lines.append(number)
    return options, lines, problems


def _number(text: str) -> str:
    # a Swedish decimal comma is a decimal point; the service checks that it is a number
    return (text or "").strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")


def _parse(form: QuestionnaireForm) -> Parsed:
    """The fieldsets as the service's list of questions, in the order their positions give."""
    candidates = []
    ok = True
    for index, entry in enumerate(form.questions.entries):
        fieldset = entry.form
        if fieldset.remove.data or _is_blank(fieldset):
            continue
        position_text = (fieldset.position.data or "").strip()
        position = None
        if position_text:
            if re.fullmatch(r"[0-9]{1,3}", position_text) and 1 <= int(position_text) <= MAX_POSITION:
                position = int(position_text)
            else:
                _add_error(fieldset.position, _("Give the place as a whole number from 1 to %(n)s.", n=MAX_POSITION))
                ok = False
        kind = fieldset.kind.data
        options: list[dict] = []
        lines: list[int] = []
        if kind in ("choice", "multi"):
            options, lines, problems = _parse_options(fieldset.options.data)
            for problem in problems:
                _add_error(fieldset.options, problem)
                ok = False
        item = {"code": (fieldset.code.data or "").strip(), "kind": kind,
                "prompt": {"sv": fieldset.prompt_sv.data or "", "en": fieldset.prompt_en.data or ""},
                "options": options, "required": bool(fieldset.required.data)}
        if kind == "number":
            item["min"], item["max"] = _number(fieldset.min.data), _number(fieldset.max.data)
        # a question given a new place goes before the one that had that place
        moved = position is not None and position != index + 1
        order = (position if position is not None else MAX_POSITION + 1, 0 if moved else 1, index)
        candidates.append((order, index, item, lines))
    candidates.sort(key=lambda c: c[0])
    parsed = Parsed(ok=ok)
    for _order, index, item, lines in candidates:
        parsed.items.append(item)
        parsed.origin.append(index)
        parsed.option_lines.append(lines)
    return parsed


def _apply(form: QuestionnaireForm, error: ValidationFailed, parsed: Parsed) -> None:
    """Each of the service's problems next to the field of the fieldset it is about."""
    form.form_errors = list(getattr(form, "form_errors", []) or [])
    for item in error.details:
        name, message = item.get("field") or "", item["message"]
        match = PROBLEM.match(name)
        if not match or int(match.group(1)) >= len(parsed.origin):
            form.form_errors.append(message)
            continue
        number, part = int(match.group(1)), match.group(2) or ""
        fieldset = form.questions.entries[parsed.origin[number]].form
        if option := OPTION_PROBLEM.match(part):
            lines = parsed.option_lines[number]
            option_number = int(option.group(1))
            line = lines[option_number] if option_number < len(lines) else option_number + 1
            _add_error(fieldset.options, _("Line %(n)s: %(message)s", n=line, message=message))
        elif part in FIELDS:
            _add_error(getattr(fieldset, FIELDS[part]), message)
        else:
            _add_error(fieldset.code, message)
    if not error.details:
        form.form_errors.append(error.message)


def _summary(form: QuestionnaireForm) -> list[tuple[str, str]]:
    """The error summary: (id of the field, message), in the order of the page."""
    items = [("", message) for message in getattr(form, "form_errors", None) or []]
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        items.append(("", _("The form has expired. Send it again.")))
    last = len(form.questions.entries) - 1
    for index, entry in enumerate(form.questions.entries):
        where = _("New question") if index == last else _("Question %(n)s", n=index + 1)
        for fieldset_field in entry.form:
            if fieldset_field.errors:
                items.append((fieldset_field.id, _("%(question)s, %(field)s: %(messages)s", question=where,
                                                   field=fieldset_field.label.text,
                                                   messages=" ".join(fieldset_field.errors))))
    return items


def _render(rollout: Rollout, form: QuestionnaireForm | None, status: int = 200) -> ResponseReturnValue:
    questionnaire = questionnaires.current(rollout)
    lead = can_lead(current_user, rollout)
    summary = []
    if lead and form is not None:
        if not _is_blank(form.questions.entries[-1].form):
            form.questions.append_entry()  # there is always an empty fieldset to add a question with
        summary = _summary(form)
    return render_template("questionnaire/show.html", rollout=rollout, questionnaire=questionnaire,
                           waves=rollout.waves, versions=_versions(rollout), kinds=kind_labels(),
                           can_lead=lead, form=form if lead else None, summary=summary,
                           has_errors=bool(summary)), status


@bp.route("/", methods=["GET"])
@login_required
def show(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    form = None
    if can_lead(current_user, rollout):
        form = QuestionnaireForm(formdata=None, data={"questions": _form_rows(questionnaires.current(rollout)) + [{}]})
    return _render(rollout, form)


@bp.route("/", methods=["POST"])
@login_required
def save(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    form = QuestionnaireForm()
    if not form.validate_on_submit():
        return _render(rollout, form, 422)
    parsed = _parse(form)
    if not parsed.ok:
        return _render(rollout, form, 422)
    before = questionnaires.current(rollout).version
    try:
        saved = questionnaires.save(rollout, parsed.items, current_user)
    except ValidationFailed as error:
        _apply(form, error, parsed)
        return _render(rollout, form, 422)
    if saved.version == before:
        flash(_("Nothing changed: the questionnaire is still version %(n)s.", n=saved.version), "info")
    else:
        flash(_("Version %(n)s saved. Waves that have opened feedback keep the version they opened with.",
                n=saved.version), "success")
    return redirect(url_for("questionnaire.show", key=rollout.key))
