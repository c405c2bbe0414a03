"""Reading one wave of a rollout archive (archive_check.py reads the rest): its own fields and
selection, members, responses with their answers (checked against the questions of their
questionnaire version), problem reports, decisions and retrospective (themes, cards, dots)."""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from flask_babel import gettext as _

from ..languages import LANGUAGES
from ..models import CARD_KINDS, DECISIONS, PROBLEM_STATUSES, SEVERITIES, WAVE_STATES, Verdict
from . import gates
from . import waves as wave_service
from .archive_reader import PlannedQuestionnaire, PlannedResponse, PlannedWave, Reader, join
from .feedback import MAX_TEXT, SCALES
from .retro import MAX_BUDGET, MAX_CARD
from .tallies import AnswerRow
from .validation import MAX_ID, text_problem

CARD_SOURCES = ("team", "participant")
MAX_RATIONALE = 5000  # as waves.decide takes it
MAX_NAME = 200  # characters of a unit's name, an attribute's value (services/people.py)
TIMES = ("planned_start", "planned_end", "started_at", "feedback_opened_at", "feedback_closes_at", "closed_at",
         "done_at", "created_at")


def read_wave(reader: Reader, item: object, path: str, anonymous: bool,
              versions: dict[int, PlannedQuestionnaire]) -> PlannedWave:
    """One wave of the archive at `path` ("waves.<i>"), read into what is to be written."""
    data = reader.obj(item, path)
    fields: dict[str, Any] = {
        "number": reader.whole(data, "number", path, required=True, default=0),
        "name": reader.text(data, "name", path, wave_service.MAX_NAME, required=True),
        "state": reader.choice(data, "state", path, WAVE_STATES, default="planned"),
        "paused_from": reader.choice(data, "paused_from", path, WAVE_STATES, required=False),
        "feedback_days": reader.whole(data, "feedback_days", path, 1, 90, default=7),
        "auto_advance": reader.flag(data, "auto_advance", path),
        "decision": reader.choice(data, "decision", path, DECISIONS, required=False),
        "decision_rationale": reader.text(data, "decision_rationale", path, MAX_RATIONALE),
        **{name: reader.when(data, name, path) for name in TIMES},
    }
    if fields["state"] == "paused" and fields["paused_from"] is None:
        reader.add(join(path, "paused_from"), _("A paused wave says which state it resumes to."))
    fields["selection"], fields["percentage"] = _selection(reader, data, path, fields["started_at"] is None
                                                           and fields["state"] != "cancelled")
    overrides = data.get("gate_overrides") or {}
    fields["gate_overrides"] = {name: value for name, value in reader.checked(
        path, lambda found: gates.clean_criteria(overrides, found), rename=("gate", "gate_overrides")).items()
        if value is not None}
    version = reader.whole(data, "questionnaire_version", path, 1)
    if version is not None and version not in versions:
        reader.add(join(path, "questionnaire_version"), _("The archive has no questionnaire version %(v)s.", v=version))
        version = None
    wave = PlannedWave(fields, version, _members(reader, data, path, fields["started_at"] is not None))
    fields["members_count"] = reader.whole(data, "members_count", path, default=len(wave.members))
    if "responses" not in data and data.get("responses_withheld"):
        reader.add(join(path, "responses_withheld"), _(
            "The archive leaves out this wave's %(n)s responses (fewer than k answered in an anonymous rollout): "
            "export the rollout with `rollout export` on its instance for a complete archive.",
            n=data.get("responses_withheld")))
    for index, response in enumerate(reader.listed(data, "responses", path, required="responses_withheld" not in data)):
        wave.responses.append(_response(reader, response, join(path, f"responses.{index}"), index, anonymous,
                                        versions))
    if not anonymous:
        _one_each(reader, [(join(path, f"responses.{i}.external_id"), r.external_id)
                           for i, r in enumerate(wave.responses) if r.external_id is not None],
                  lambda name: _("%(id)s has another response in the wave.", id=name))
    wave.pseudonymised = reader.whole(data, "pseudonymised_responses", path, 0, len(wave.responses), default=0) or 0
    if wave.responses and version is None:
        reader.add(join(path, "questionnaire_version"), _("A wave with responses has a questionnaire version."))
    wave.problems = [_problem(reader, p, join(path, f"problems.{i}"), anonymous)
                     for i, p in enumerate(reader.listed(data, "problems", path))]
    wave.decisions = [_decision(reader, d, join(path, f"decisions.{i}"))
                      for i, d in enumerate(reader.listed(data, "decisions", path))]
    _retrospective(reader, reader.part(data, "retrospective", path), join(path, "retrospective"), wave)
    return wave


def _selection(reader: Reader, data: dict, path: str, to_start: bool) -> tuple[dict, Optional[int]]:
    """The selection as stored: people (external ids), units, attributes; and the percentage. The
    people a wave still to start names must be there to be taken (noted to resolve)."""
    where = join(path, "selection")
    selection = reader.part(data, "selection", path)
    clean: dict[str, Any] = {}
    for name in ("people", "units"):
        values = reader.listed(selection, name, where, required=False)
        if not all(isinstance(v, str) and not text_problem(v, MAX_NAME) for v in values):
            reader.add(join(where, name), _("Must be a list of texts."))
            values = []
        clean[name] = list(values)
    if to_start:
        for index, person in enumerate(clean["people"]):
            reader.person(person, join(where, f"people.{index}"))
    attributes = selection.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(
            isinstance(k, str) and not text_problem(k, MAX_NAME) and isinstance(v, list)
            and all(isinstance(x, str) and not text_problem(x, MAX_NAME) for x in v) for k, v in attributes.items()):
        reader.add(join(where, "attributes"), _("Attributes are given as an object of names and lists of values."))
        attributes = {}
    clean["attributes"] = {str(k): list(v) for k, v in attributes.items()}
    percentage = reader.whole(selection, "percentage", where, 1, 100)
    if to_start and selection and not (clean["people"] or clean["units"] or clean["attributes"] or percentage):
        reader.add(where, _("Choose at least one person, unit, attribute value or a percentage."))
    return clean, percentage


def _members(reader: Reader, data: dict, path: str, started: bool) -> list[tuple[str, bool, Optional[Any]]]:
    ids = reader.listed(data, "members", path)
    if ids and not started:
        reader.add(join(path, "members"), _("A wave that has not started has no members."))
        return []
    details = {}
    for index, item in enumerate(reader.listed(data, "memberships", path, required=False)):
        where = join(path, f"memberships.{index}")
        entry = reader.obj(item, where)
        external_id = entry.get("external_id")
        if not isinstance(external_id, str) or external_id not in ids:
            reader.add(join(where, "external_id"), _("Not one of the wave's members."))
            continue
        details[external_id] = (reader.flag(entry, "explicit", where), reader.when(entry, "added_at", where))
    members = []
    for index, external_id in enumerate(ids):
        if reader.person(external_id, join(path, f"members.{index}")) is not None:
            explicit, added = details.get(external_id, (False, None))
            members.append((external_id, explicit, added))
    _one_each(reader, [(join(path, f"members.{i}"), m[0]) for i, m in enumerate(members)],
              lambda name: _("%(id)s is a member twice.", id=name))
    return members


def _one_each(reader: Reader, named: list[tuple[str, Optional[str]]], message: Callable[[str], str]) -> None:
    seen: set[str] = set()
    for where, name in named:
        if name in seen:
            reader.add(where, message(str(name)))
        seen.add(str(name))


def _response(reader: Reader, item: object, path: str, index: int, anonymous: bool,
              versions: dict[int, PlannedQuestionnaire]) -> PlannedResponse:
    data = reader.obj(item, path)
    version = reader.whole(data, "questionnaire_version", path, 1, required=True)
    questionnaire = versions.get(version) if version is not None else None
    if version is not None and questionnaire is None:
        reader.add(join(path, "questionnaire_version"), _("The archive has no questionnaire version %(v)s.", v=version))
    answers = _answers(reader, reader.listed(data, "answers", path), join(path, "answers"), questionnaire)
    if anonymous:
        for name in ("id", "external_id", "language", "submitted_at", "updated_at"):
            if data.get(name) not in (None, ""):
                reader.add(join(path, name), _("A response of an anonymous rollout keeps no %(field)s.", field=name))
        submitted = reader.day(data, "submitted_on", path, required=True)
        updated = reader.day(data, "updated_on", path) or submitted
        return PlannedResponse(index, None, version or 0, "", submitted or _never(), updated or _never(), 0,
                               False, answers)
    submitted = reader.when(data, "submitted_at", path, required=True)
    return PlannedResponse(
        reader.whole(data, "id", path, 1, default=index) or index, reader.person(data.get("external_id"),
                                                                                 join(path, "external_id")),
        version or 0, reader.choice(data, "language", path, ("", *LANGUAGES), required=False, default="sv") or "",
        submitted or _never(), reader.when(data, "updated_at", path) or submitted or _never(),
        reader.whole(data, "edits", path, default=0) or 0, reader.flag(data, "pseudonymised", path), answers)


def known(value: object, ids: set) -> bool:
    """Whether `value` is one of these ids (an id is a whole number; anything else is none of them)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in ids


def _never() -> datetime:
    return datetime(2000, 1, 1, tzinfo=timezone.utc)  # a placeholder once a problem is noted: never written


def _answers(reader: Reader, items: list, path: str, questionnaire: Optional[PlannedQuestionnaire]) -> list[AnswerRow]:
    """Each stored answer row checked against its question: a rating or nps a whole number on its
    scale, a number a finite number, yes/no "yes" or "no" (1 or 0), a choice one of its options and
    a multi some of them, a text a text (emptied by a purge or not); one row per question, one per
    option of a multi."""
    if questionnaire is None or not questionnaire.checked:
        return []  # (the questionnaire's own problems are noted)
    questions = {q["code"]: q for q in questionnaire.questions}
    rows: list[AnswerRow] = []
    given: set[tuple[str, Optional[str]]] = set()
    for index, item in enumerate(items):
        where = join(path, str(index))
        data = reader.obj(item, where)
        code = data.get("code")
        question = questions.get(code) if isinstance(code, str) else None
        if question is None:
            reader.add(join(where, "code"), _("There is no question %(code)s in questionnaire version %(v)s.",
                                              code=str(code)[:60], v=questionnaire.version))
            continue
        code = str(question["code"])
        kind, number, option, text = question["kind"], data.get("number"), data.get("option"), data.get("text")
        row: Optional[AnswerRow] = None
        if kind in SCALES:
            low, high = SCALES[kind]
            if isinstance(number, int) and not isinstance(number, bool) and low <= number <= high \
                    or isinstance(number, float) and number.is_integer() and low <= number <= high:
                row = AnswerRow(code, float(number))
        elif kind == "number":
            if isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number):
                row = AnswerRow(code, float(number))
        elif kind == "yes_no":
            if option in ("yes", "no") and number in (None, 1 if option == "yes" else 0):
                row = AnswerRow(code, 1.0 if option == "yes" else 0.0, option)
        elif kind in ("choice", "multi"):
            if isinstance(option, str) and option in {o["value"] for o in question["options"]}:
                row = AnswerRow(code, None, option)
        elif isinstance(text, str) and not text_problem(text, MAX_TEXT):
            row = AnswerRow(code, None, None, text)
        if row is None:
            reader.add(where, _("Not an answer to the question %(code)s (%(kind)s).", code=code, kind=kind))
            continue
        once = (code, option if kind == "multi" else None)
        if once in given:
            reader.add(where, _("The question %(code)s is answered twice.", code=code))
            continue
        given.add(once)
        rows.append(row)
    return rows


def _problem(reader: Reader, item: object, path: str, anonymous: bool) -> dict:
    data = reader.obj(item, path)
    created = reader.when(data, "created_at", path, required=True)
    if anonymous and data.get("reporter") is not None:
        reader.add(join(path, "reporter"), _("A problem report of an anonymous rollout names nobody."))
    return {"source_id": reader.whole(data, "id", path, 1, default=0), "created_at": created,
            "category": reader.text(data, "category", path, 50, required=True),
            "severity": reader.choice(data, "severity", path, SEVERITIES),
            "status": reader.choice(data, "status", path, PROBLEM_STATUSES, required=False, default="new"),
            "description": reader.text(data, "description", path, MAX_TEXT),
            "note": reader.text(data, "note", path, MAX_TEXT),
            "updated_at": reader.when(data, "updated_at", path) or created,
            "reporter": None if anonymous else reader.person(data.get("reporter"), join(path, "reporter"))}


def _decision(reader: Reader, item: object, path: str) -> dict:
    data = reader.obj(item, path)
    return {"decision": reader.choice(data, "decision", path, DECISIONS),
            "rationale": reader.text(data, "rationale", path, MAX_RATIONALE),
            "verdict": reader.choice(data, "verdict", path, list(Verdict)),
            "against_verdict": reader.flag(data, "against_verdict", path),
            "decided_by": reader.email(data, "decided_by", path),
            "decided_at": reader.when(data, "decided_at", path, required=True),
            "snapshot": reader.part(data, "snapshot", path, required=False)}


def _retrospective(reader: Reader, data: dict, path: str, wave: PlannedWave) -> None:
    """Themes, cards and dots; a card's theme and a dot's card are ids of this wave's themes and
    cards (unique in the archive: lessons refer to themes by them)."""
    for index, item in enumerate(reader.listed(data, "themes", path)):
        where = join(path, f"themes.{index}")
        theme = reader.obj(item, where)
        wave.themes.append({"id": reader.whole(theme, "id", where, 1, MAX_ID, required=True),
                            "title": reader.text(theme, "title", where, 200, required=True),
                            "created_at": reader.when(theme, "created_at", where),
                            "created_by": reader.email(theme, "created_by", where)})
    themes = {t["id"] for t in wave.themes}
    for index, item in enumerate(reader.listed(data, "cards", path)):
        where = join(path, f"cards.{index}")
        card = reader.obj(item, where)
        theme_id = card.get("theme")
        if theme_id is not None and not known(theme_id, themes):
            reader.add(join(where, "theme"), _("No such theme in this retrospective."))
            theme_id = None
        wave.cards.append({"id": reader.whole(card, "id", where, 1, MAX_ID, required=True),
                           "kind": reader.choice(card, "kind", where, CARD_KINDS),
                           "text": reader.text(card, "text", where, MAX_CARD, required=True),
                           "votes": reader.whole(card, "votes", where, default=0), "theme": theme_id,
                           "source": reader.choice(card, "source", where, CARD_SOURCES, required=False,
                                                   default="team"),
                           "created_at": reader.when(card, "created_at", where),
                           "author": reader.email(card, "author", where)})
    cards = {c["id"] for c in wave.cards}
    slots: set[tuple[Optional[str], Optional[int]]] = set()
    for index, item in enumerate(reader.listed(data, "dot_votes", path)):
        where = join(path, f"dot_votes.{index}")
        dot = reader.obj(item, where)
        if not known(dot.get("card"), cards):
            reader.add(join(where, "card"), _("No such card in this retrospective."))
        user, slot = reader.email(dot, "user", where, required=True), reader.whole(dot, "slot", where, 1, MAX_BUDGET,
                                                                                 required=True)
        if (user, slot) in slots:
            reader.add(join(where, "slot"), _("This voter's dot %(slot)s is there twice.", slot=slot))
        slots.add((user, slot))
        wave.dots.append({"card": dot.get("card"), "user": user, "slot": slot,
                          "created_at": reader.when(dot, "created_at", where)})
