"""An archive read and checked whole before anything of it is written (rollout_import.py writes the
`Plan`): its format and version, the rollout's settings as create_rollout checks them, the
accounts and people it names, the questionnaire versions, every wave (archive_waves.py), the
lessons, and the references between the parts -- a card's theme, a lesson's waves and theme, a
response's questionnaire version and question codes, and each account (by e-mail) and person
(by external id), which must be in the archive or in this instance. Every problem is reported at
once, with its path in the file; `ValidationFailed` when there is any."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterator, Optional

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import LESSON_STATUSES, ROLES, Person, User
from . import gates, lessons, people, questionnaires, rollouts
from .archive_export import FORMAT, VERSION
from .archive_reader import Plan, PlannedQuestionnaire, PlannedWave, Reader, join
from .archive_waves import known, read_wave
from .errors import ValidationFailed
from .validation import MAX_ID

MAX_DETAILS = 100  # problems listed; the rest are counted
CHUNK = 500
SETTINGS = ("key", "name", "description", "anonymous", "language", "reminder_days", "anonymity_k",
            "problem_categories", "vote_budget", "tags", "retention_days", "text_retention_days")
PROBLEMS = "problems:"  # a lesson's metric that counts problem reports (services/compare.py)


def read_archive(data: object, key: Optional[str] = None) -> Plan:
    """The archive `data` (a parsed JSON document) checked whole, to be imported under its own key
    or `key`; ValidationFailed listing every problem (path in the file and message) otherwise."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        _refuse([{"field": "format", "message": _("This is not a Rollout archive: its format is not %(format)s.",
                                                  format=FORMAT)}])
    assert isinstance(data, dict)
    if data.get("version") != VERSION or isinstance(data.get("version"), bool):
        _refuse([{"field": "version", "message": _(
            "This archive is of version %(version)s; this Rollout reads version %(supported)s.",
            version=str(data.get("version"))[:20], supported=VERSION)}])
    reader = Reader()
    plan = _rollout(reader, data, key)
    _accounts(reader, data, plan)
    _people(reader, data, plan)
    _questionnaires(reader, data, plan)
    plan.waves = [read_wave(reader, item, f"waves.{index}", plan.anonymous, plan.questionnaires)
                  for index, item in enumerate(reader.listed(data, "waves", "", required=False))]
    _unique_parts(reader, plan.waves)
    plan.lessons = [_lesson(reader, item, f"lessons.{index}", plan)
                    for index, item in enumerate(reader.listed(data, "lessons", "", required=False))]
    _unique(reader, [(f"lessons.{i}.id", lesson["id"]) for i, lesson in enumerate(plan.lessons)])
    _resolve(reader, plan)
    if reader.problems.items:
        _refuse(reader.problems.items)
    return plan


def _refuse(items: list[dict]) -> None:
    shown = items[:MAX_DETAILS]
    if len(items) > MAX_DETAILS:
        shown.append({"field": "", "message": _("… and %(n)s more problems.", n=len(items) - MAX_DETAILS)})
    raise ValidationFailed(_("Nothing was imported: the archive has problems."), shown)


def _rollout(reader: Reader, data: dict, key: Optional[str]) -> Plan:
    given = {name: data[name] for name in SETTINGS if name in data}
    if key is not None:
        given["key"] = key
    if not isinstance(data.get("anonymous"), bool):
        reader.add("anonymous", _("Must be true or false."))
        given["anonymous"] = True  # read the rest as strictly as an anonymous rollout
    settings = reader.checked("", lambda found: rollouts.check_new_settings(given, found))
    gate = data.get("gate_settings") or {}
    extra: dict[str, Any] = {
        "gate": {name: value for name, value in reader.checked(
            "", lambda found: gates.clean_criteria(gate, found), rename=("gate", "gate_settings")).items()
            if value is not None},
        **{name: reader.when(data, name, "") for name in ("created_at", "texts_purged_at", "purged_at")}}
    return Plan(source_key=str(data.get("key") or ""), settings=settings, extra=extra, created_by=reader.email(data, "created_by", ""), users={}, team=[],
                people=None, added_for=set(), questionnaires={}, waves=[], lessons=[])


def _accounts(reader: Reader, data: dict, plan: Plan) -> None:
    """The accounts the archive names: its `users` and its `team` (with their roles)."""
    for part in ("users", "team"):
        for index, item in enumerate(reader.listed(data, part, "", required=False)):
            path = f"{part}.{index}"
            entry = reader.obj(item, path)
            email = reader.email(entry, "email", path, required=True)
            name = " ".join(reader.text(entry, "name", path, 200, required=True).split())
            if email is None:
                continue
            if part == "team":
                role = reader.choice(entry, "role", path, ROLES)
                if email in dict(plan.team):
                    reader.add(join(path, "email"), _("%(email)s is on the team twice.", email=email))
                elif role is not None:
                    plan.team.append((email, role))
            plan.users.setdefault(email, name)


def _people(reader: Reader, data: dict, plan: Plan) -> None:
    """The people records (none when the archive has no "people": its people must be here)."""
    if "people" not in data:
        return
    plan.people = {}
    for index, item in enumerate(reader.listed(data, "people", "")):
        path = f"people.{index}"
        row = reader.checked(path, partial(people.validate_person, item))
        if row is None:
            continue
        if row["external_id"] in plan.people:
            reader.add(join(path, "external_id"), _("The external id %(id)s appears more than once.",
                                                    id=row["external_id"]))
            continue
        plan.people[row["external_id"]] = row
        if reader.flag(item, "added_for_rollout", path):
            plan.added_for.add(row["external_id"])


def _questionnaires(reader: Reader, data: dict, plan: Plan) -> None:
    kinds: dict[str, str] = {}
    items = reader.listed(data, "questionnaires", "")
    if not items and isinstance(data.get("questionnaires"), list):
        reader.add("questionnaires", _("Give at least one questionnaire version."))
    for index, item in enumerate(items):
        path = f"questionnaires.{index}"
        entry = reader.obj(item, path)
        version = reader.whole(entry, "version", path, 1, MAX_ID, required=True)
        before = len(reader.problems.items)
        questions = reader.checked(path, partial(questionnaires.clean_questions, entry.get("questions")))
        checked = len(reader.problems.items) == before
        for number, question in enumerate(questions if checked else []):
            code, kind = question["code"], question["kind"]
            if kinds.setdefault(code, kind) != kind:
                reader.add(f"{path}.questions.{number}.code", _(
                    "The code %(code)s meant another kind of question before; a new meaning needs a new code.",
                    code=code))
        if version is None:
            continue
        if version in plan.questionnaires:
            reader.add(join(path, "version"), _("Version %(v)s is there twice.", v=version))
            continue
        plan.questionnaires[version] = PlannedQuestionnaire(
            version, questions if checked else [], reader.when(entry, "created_at", path), reader.email(entry, "created_by", path),
            checked=checked)


def _unique(reader: Reader, named: list[tuple[str, object]]) -> None:
    seen: set[object] = set()
    for where, value in named:
        if value is not None and value in seen:
            reader.add(where, _("The id %(id)s is there twice.", id=value))
        seen.add(value)


def _unique_parts(reader: Reader, waves: list[PlannedWave]) -> None:
    """Wave numbers, and theme and card ids across the archive, are each unique."""
    _unique(reader, [(f"waves.{i}.number", wave.fields["number"]) for i, wave in enumerate(waves)])
    _unique(reader, [(f"waves.{i}.retrospective.themes.{j}.id", theme["id"])
                     for i, wave in enumerate(waves) for j, theme in enumerate(wave.themes)])
    _unique(reader, [(f"waves.{i}.retrospective.cards.{j}.id", card["id"])
                     for i, wave in enumerate(waves) for j, card in enumerate(wave.cards)])


def _lesson(reader: Reader, item: object, path: str, plan: Plan) -> dict:
    entry = reader.obj(item, path)
    numbers = {wave.fields["number"] for wave in plan.waves}
    waves: dict[str, Optional[int]] = {}
    for name in ("origin_wave", "target_wave"):
        waves[name] = reader.whole(entry, name, path)
        if waves[name] is not None and waves[name] not in numbers:
            reader.add(join(path, name), _("This rollout has no wave %(n)s.", n=waves[name]))
            waves[name] = None
    origin, target = waves["origin_wave"], waves["target_wave"]
    if origin is not None and target is not None and target <= origin:
        reader.add(join(path, "target_wave"), _("The target wave comes after the wave the lesson was learnt in."))
    theme = entry.get("theme")
    if theme is not None and not known(theme, {t["id"] for wave in plan.waves for t in wave.themes}):
        reader.add(join(path, "theme"), _("No such theme in this rollout's retrospectives."))
        theme = None
    metric = entry.get("metric")
    codes = {q["code"] for version in plan.questionnaires.values() for q in version.questions}
    if metric is not None and not (isinstance(metric, str) and len(metric) <= 80
                                   and (metric.startswith(PROBLEMS) or metric in codes)):
        reader.add(join(path, "metric"), _("Choose a question of the questionnaire or a problem category."))
        metric = None
    source = entry.get("source")
    if source is not None and not (isinstance(source, dict) and isinstance(source.get("rollout"), str)
                                   and isinstance(source.get("title"), str)):
        reader.add(join(path, "source"), _("The lesson it was carried from: an object of rollout and title."))
        source = None
    verification = entry.get("verification")
    if verification is not None and not isinstance(verification, dict):
        reader.add(join(path, "verification"), _("Must be an object."))
        verification = None
    return {"id": reader.whole(entry, "id", path, 1, MAX_ID, required=True), **waves, "theme": theme,
            "title": " ".join(reader.text(entry, "title", path, 200, required=True).split()),
            "action": reader.text(entry, "action", path, 5000), "owner": reader.email(entry, "owner", path),
            "metric": metric, "status": reader.choice(entry, "status", path, LESSON_STATUSES, default="open"),
            "status_reason": reader.text(entry, "reason", path, 2000),
            "tags": reader.checked(path, lambda found: lessons.clean_tags(entry.get("tags"), found)),
            "verification": verification, "source": source, "created_by": reader.email(entry, "created_by", path),
            **{name: reader.when(entry, name, path) for name in ("created_at", "updated_at", "applied_at",
                                                                 "verified_at")}}


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _resolve(reader: Reader, plan: Plan) -> None:
    """Every account and person the archive refers to is in it or in this instance; those here
    are kept in the plan (the import uses them as they are)."""
    emails = sorted({email for _path, email in reader.emails} | set(plan.users))
    for chunk in _chunks(emails):
        plan.known_users.update({u.email: u for u in db.session.scalars(select(User).where(User.email.in_(chunk)))})
    for path, email in reader.emails:
        if email not in plan.users and email not in plan.known_users:
            reader.add(path, _("%(email)s is neither among the archive's users nor an account here.", email=email))
    external_ids = sorted({external_id for _path, external_id in reader.people})
    for chunk in _chunks(external_ids):
        plan.known_people.update({p.external_id: p for p in db.session.scalars(
            select(Person).where(Person.external_id.in_(chunk)))})
    archived = plan.people or {}
    for path, external_id in reader.people:
        if external_id not in archived and external_id not in plan.known_people:
            reader.add(path, _("%(id)s is neither among the archive's people nor in this instance's people.",
                               id=external_id))
