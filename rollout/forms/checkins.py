"""The lead's form of a check-in: its day and up to three questions, each a kind, a code, the
question in Swedish and English, options (choice, multi: one a line, "Swedish | English") and
whether it must be answered. An empty slot is left out. The service checks the meaning."""
from __future__ import annotations

import re
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from ..services.checkins import MAX_QUESTIONS
from . import QUESTION_KIND_CHOICES

SLOTS = range(1, MAX_QUESTIONS + 1)


class CheckInForm(FlaskForm):
    day = StringField(_l("Day"), description=_l("Days from the wave's start: 0 is the day it starts, 1 the day after."),
                      render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 4})

    def slot(self, number: int) -> dict[str, Any]:
        return {name: self[f"q{number}_{name}"] for name in ("kind", "code", "sv", "en", "options", "required")}

    def slots(self) -> list[tuple[int, dict[str, Any]]]:
        return [(number, self.slot(number)) for number in SLOTS]

    def data_for_service(self) -> dict[str, Any]:
        questions = []
        for number in SLOTS:
            fields = self.slot(number)
            sv, en = (fields["sv"].data or "").strip(), (fields["en"].data or "").strip()
            code = (fields["code"].data or "").strip()
            if not sv and not en and not code:
                continue
            options = []
            for index, line in enumerate((fields["options"].data or "").splitlines()):
                if line.strip():
                    left, _bar, right = line.partition("|")
                    options.append({"value": f"o{index + 1}", "sv": left.strip(), "en": (right or left).strip()})
            questions.append({"code": code, "kind": fields["kind"].data, "prompt": {"sv": sv, "en": en},
                              "options": options, "required": bool(fields["required"].data)})
        return {"day": (self.day.data or "").strip(), "questions": questions}

    def fill(self, day: Optional[int], questions: list[dict[str, Any]]) -> None:
        self.day.data = "" if day is None else str(day)
        for number in SLOTS:
            fields = self.slot(number)
            q = questions[number - 1] if number - 1 < len(questions) else None
            fields["kind"].data = q["kind"] if q else "rating"
            fields["code"].data = q["code"] if q else ""
            fields["sv"].data = q["prompt"]["sv"] if q else ""
            fields["en"].data = q["prompt"]["en"] if q else ""
            fields["options"].data = "\n".join(f"{o.get('sv', '')} | {o.get('en', '')}" for o in (q or {}).get("options") or [])
            fields["required"].data = bool(q and q.get("required"))

    def field_for(self, problem_field: str) -> str:
        """The form field a service problem belongs to ("questions.1.prompt.sv" -> q2_sv)."""
        found = re.match(r"questions\.(\d+)(?:\.(\w+))?(?:\.(\w+))?", problem_field or "")
        if not found:
            return problem_field
        number, part, sub = int(found.group(1)) + 1, found.group(2), found.group(3)
        name = {"kind": "kind", "code": "code", "options": "options", "required": "required"}.get(part or "", "")
        if part == "prompt":
            name = sub if sub in ("sv", "en") else "sv"
        return f"q{number}_{name or 'sv'}"


for _number in SLOTS:
    setattr(CheckInForm, f"q{_number}_kind", SelectField(_l("Kind of question %(n)s", n=_number),
                                                         choices=QUESTION_KIND_CHOICES, default="rating"))
    setattr(CheckInForm, f"q{_number}_code", StringField(
        _l("Code of question %(n)s", n=_number),
        description=_l("Lower-case letters, digits and _. The same code in every check-in makes the trend."),
        render_kw={"autocomplete": "off", "size": 20}))
    setattr(CheckInForm, f"q{_number}_sv", StringField(_l("Question %(n)s in Swedish", n=_number),
                                                       render_kw={"lang": "sv", "size": 40}))
    setattr(CheckInForm, f"q{_number}_en", StringField(_l("Question %(n)s in English", n=_number),
                                                       render_kw={"lang": "en", "size": 40}))
    setattr(CheckInForm, f"q{_number}_options", TextAreaField(
        _l("Options of question %(n)s", n=_number),
        description=_l("Only for a choice: one option a line, Swedish | English."), render_kw={"rows": 2}))
    setattr(CheckInForm, f"q{_number}_required", BooleanField(_l("Question %(n)s must be answered", n=_number)))
