"""The role x route matrix: every route of the UI and the API, from the app's URL map, against
every kind of caller, with the status each must get; where a write is refused, nothing in the
database changes. A route without an entry in ACCESS fails the test, so a new route cannot
slip in unchecked.

Callers: nobody logged in, a participant holding a personal link of rollout A (and nothing
else), a user with no role, a reviewer of rollout B, a reviewer of A, the lead of A (who may
also plan rollouts), a rollout creator, a people manager, a member of the council and an admin.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import ApiToken, Notification, RolloutRole, User
from rollout.models.types import utcnow
from rollout.services import accounts, checkins, feedback, ideas, imports, lessons, notify, retro, rollouts, waves, wins

from . import builders
from .conftest import wipe
from .role_matrix import ACCESS, BODIES, CALLERS, FORMS, RAW, allowed, expected_for, route_cases

PASSWORD = builders.PASSWORD


def _user(email: str, name: str, **roles) -> User:
    # the test app hashes cheaply (conftest's FAST_PASSWORD_HASH): the hundreds of worlds built
    # here do not each spend seconds in scrypt, and the login route still checks the hash for real
    return accounts.create_user(email, name, PASSWORD, **roles)


def build_world() -> dict:
    """Rollout A (key alpha): its pilot done with a go; wave 1 in review with an answer, a problem,
    a card, a theme and the pilot's lesson (applied, to verify); wave 2 planned. Rollout B (beta)
    of someone else. Returns what the URLs need, by name."""
    from rollout.models import Person
    users = {
        "no_role": _user("none@example.se", "Nils Nobody"),
        "reviewer_b": _user("revb@example.se", "Bea Reviewer"),
        "reviewer_a": _user("reva@example.se", "Alf Reviewer"),
        "lead_a": _user("lead@example.se", "Lena Lead", rollout_creator=True),
        "creator": _user("creator@example.se", "Carl Creator", rollout_creator=True),
        "people_manager": _user("hr@example.se", "Petra People", people_manager=True),
        "council": _user("council@example.se", "Rut Råd", council=True),
        "admin": _user("admin@example.se", "Ada Admin", is_admin=True),
    }
    tokens = {name: accounts.create_token(user, "matrix")[1] for name, user in users.items()}
    for unit, prefix in (("Pilot", "a"), ("Rest", "r"), ("Later", "l"), ("Other", "b")):
        builders.make_people(3, unit=unit, prefix=prefix)
    lead = users["lead_a"]
    alpha = builders.make_rollout("alpha", lead)
    rollouts.set_role(alpha, "reva@example.se", "reviewer", lead)
    pilot = builders.make_wave(alpha, lead, name="Pilot", units=["Pilot"])
    wave1 = builders.make_wave(alpha, lead, name="Wave 1", units=["Rest"])
    builders.make_wave(alpha, lead, name="Wave 2", units=["Later"])
    for state in ("active", "feedback", "review"):
        waves.transition(pilot, state, lead)
    pilot_card = retro.add_card(pilot, {"kind": "better", "text": "Mer information"}, lead)
    pilot_theme = retro.create_theme(pilot, {"title": "Information", "cards": [pilot_card.id]}, lead)
    lesson = lessons.create_lesson(alpha, {"title": "Informera tidigare", "action": "Mejl en vecka innan"},
                                   lead, theme=pilot_theme)
    lessons.update_lesson(lesson, {"status": "planned"}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    waves.decide(pilot, "go", "Piloten gick bra", lead)
    checkin = checkins.add_checkin(wave1, {"day": 0}, lead)
    for state in ("active", "feedback"):
        waves.transition(wave1, state, lead)
    feedback.queue_invitations(wave1)
    checkins.send_due(utcnow() + timedelta(minutes=1))  # wave 1's check-in goes out (links exist already)
    links = builders.wave_tokens(wave1)
    feedback.submit(links["r1"], {"satisfaction": 4, "worked_day_one": "yes", "went_well": "Snabb installation"})
    report = feedback.report_problem(links["r2"], {"category": "printing", "severity": "major",
                                                   "description": "Skrivaren"})
    waves.transition(wave1, "review", lead)
    card = retro.add_card(wave1, {"kind": "better", "text": "Skrivarna"}, lead)
    theme = retro.create_theme(wave1, {"title": "Utskrifter", "cards": [card.id]}, lead)
    # a celebration to share as a win, and one shared already (to withdraw)
    party = retro.add_card(wave1, {"kind": "celebrate", "text": "Fika"}, lead)
    win = wins.mark_card(wave1, retro.add_card(wave1, {"kind": "celebrate", "text": "Tårta"}, lead).id, lead)
    beta = builders.make_rollout("beta", users["admin"])
    rollouts.set_role(beta, "revb@example.se", "reviewer", users["admin"])
    idea = ideas.submit({"name": "Olle", "email": "olle@example.se", "unit": "Rest", "problem": "Lunchrummet",
                         "idea": "Större lunchrum", "reach": "up_to_50"}, "10.0.0.1")
    notify.deliver_pending()
    refs = [text.id for text in retro.wave_evidence(wave1, lead).texts]
    nobody = users["no_role"]
    # a file the people manager imported for rollout A (who is not in its team: the system's import, theirs),
    # still queued: those who may see it may cancel it
    job = imports.start_import(b"external_id,name,email\nbad id,X,x@example.se\n", None, source="ui",
                               for_rollout="alpha", at_once=False)
    job.actor_id = users["people_manager"].id
    db.session.commit()
    return {
        "users": {name: user.id for name, user in users.items()}, "tokens": tokens, "participant": links["r3"],
        "args": {
            "key": "alpha", "number": 1, "card_id": card.id, "theme_id": theme.id, "lesson_id": lesson.id,
            "person_id": db.session.scalar(select(Person.id).where(Person.external_id == "r1")),
            "external_id": "r1", "report_id": report.id, "problem_id": report.id,
            "answer_ref": refs[0], "user_id": nobody.id,
            "token_id": db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == nobody.id)),
            "role_id": db.session.scalar(select(RolloutRole.id).where(RolloutRole.rollout_id == alpha.id,
                                                                      RolloutRole.role == "reviewer")),
            "message_id": db.session.scalar(select(Notification.id).order_by(Notification.id).limit(1)),
            "job_id": job.id, "checkin_id": checkin.id, "win_id": win.id, "celebrate_card": party.id, "idea_id": idea.id,
            "name": "satisfaction", "fmt": "svg", "code": "en", "filename": "style.css",
        },
    }


# the world is built once per database and process through the services, then restored row by
# row for each test and each allowed write: the same ids, tokens and sessions every time
_WORLDS: dict[str, tuple[dict, dict]] = {}


def world_for(app) -> dict:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in _WORLDS:
        world = build_world()
        db.session.expire_all()
        _WORLDS[url] = (world, {table.name: [dict(row) for row in db.session.execute(table.select()).mappings()]
                                for table in db.metadata.sorted_tables})
        db.session.rollback()
        return world
    world, rows = _WORLDS[url]
    restore(app, rows)
    return world


def restore(app, rows: dict) -> None:
    db.session.rollback()
    wipe(app)
    with db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                connection.execute(table.insert(), rows[table.name])
        if db.engine.dialect.name == "postgresql":
            for table in db.metadata.sorted_tables:
                if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto") \
                        and table.columns["id"].primary_key and rows[table.name]:
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f"(SELECT MAX(id) FROM \"{table.name}\"))")
    db.session.expire_all()


def snapshot() -> dict:
    """Every row of every table (but the tokens' last use, which every API call moves on)."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if not (table.name == "api_tokens" and c.name == "last_used_at")]
        rows[table.name] = sorted(
            (tuple(str(v) for v in row) for row in db.session.execute(select(*columns))), key=repr)
    db.session.rollback()
    return rows


class Caller:
    """One kind of caller with its own browser session (logged in where it has an account)."""

    def __init__(self, app, name: str, world: dict):
        self.name, self.client = name, app.test_client()
        self.token = world["tokens"].get(name)
        if name == "participant":
            self.token = world["participant"]  # a personal link is no API token
        if name in world["users"]:
            response = self.client.post("/login", data={"email": _email(name), "password": PASSWORD})
            assert response.status_code == 302, f"{name} could not log in"

    def call(self, method: str, path: str, *, api: bool, raw=None, body=None, form=None):
        headers = {"Authorization": f"Bearer {self.token}"} if api and self.token else {}
        if raw is not None:
            content_type, data = raw
            return self.client.open(path, method=method, data=data, headers={**headers, "Content-Type": content_type})
        if api:
            return self.client.open(path, method=method, json=body if method != "GET" else None, headers=headers)
        if method == "GET":
            return self.client.open(path, method=method)
        data = {k: (io.BytesIO(v), "people.csv") if isinstance(v, bytes) else v for k, v in (form or {}).items()}
        return self.client.open(path, method=method, data=data)


def _email(name: str) -> str:
    return {"no_role": "none@example.se", "reviewer_b": "revb@example.se", "reviewer_a": "reva@example.se",
            "lead_a": "lead@example.se", "creator": "creator@example.se", "people_manager": "hr@example.se",
            "council": "council@example.se", "admin": "admin@example.se"}[name]


def category(response, *, api: bool) -> str:
    """What a caller got: ok, login (sent to sign in / 401), forbidden (403), hidden (404), or an error."""
    status = response.status_code
    if status >= 500:
        return f"error {status}"
    if status == 401 or (not api and status == 302 and "/login" in response.headers.get("Location", "")
                         and "next=" in response.headers.get("Location", "")):
        return "login"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "hidden"
    return "ok"


def test_every_route_has_an_entry(app):
    """A new route without an entry in ACCESS fails here, before anyone can forget it."""
    missing = [f"{method} {rule} ({endpoint})" for endpoint, method, rule in route_cases(app)
               if endpoint not in ACCESS]
    assert missing == [], "routes without an entry in tests/role_matrix.py ACCESS:\n" + "\n".join(missing)
    stale = sorted(set(ACCESS) - {endpoint for endpoint, _method, _rule in route_cases(app)})
    assert stale == [], f"entries for routes that no longer exist: {stale}"


def _cases():
    from .conftest import make_app
    app = make_app("sqlite://")
    return [pytest.param(endpoint, method, rule, id=f"{method} {rule}") for endpoint, method, rule in route_cases(app)
            if endpoint in ACCESS]


@pytest.mark.parametrize(("endpoint", "method", "rule"), _cases())
def test_role_matrix(app, ctx, endpoint, method, rule):
    api = rule.startswith("/api/")
    write = method != "GET"
    expected = expected_for(endpoint, method)
    world = world_for(app)
    callers = {name: Caller(app, name, world) for name in CALLERS}
    problems = []

    def run(name: str):
        # a body or form may name what the world holds (a callable of the world)
        body, form = BODIES.get((endpoint, method)), FORMS.get((endpoint, method), {})
        response = callers[name].call(method, _path(rule, world, name), api=api, raw=RAW.get((endpoint, method)),
                                      body=body(world) if callable(body) else body,
                                      form=form(world) if callable(form) else form)
        return category(response, api=api), response

    refused = [name for name in CALLERS if not allowed(expected[name])]
    permitted = [name for name in CALLERS if allowed(expected[name])]
    for name in refused:
        before = snapshot() if write else None
        got, response = run(name)
        if got != expected[name]:
            problems.append(f"{name}: expected {expected[name]}, got {got} ({response.status_code})")
        elif write and snapshot() != before:
            problems.append(f"{name}: refused, but the database changed")
    for index, name in enumerate(permitted):
        if write and index > 0:  # an allowed write may change what the next caller finds
            world = world_for(app)
        got, response = run(name)
        if got != expected[name]:
            problems.append(f"{name}: expected {expected[name]}, got {got} ({response.status_code}) "
                            f"{response.get_data(as_text=True)[:160]!r}")
    assert problems == [], f"{method} {rule}:\n" + "\n".join(problems)


def _path(rule: str, world: dict, caller: str) -> str:
    """The rule with its arguments filled in; a personal link is the participant's own, and for
    everyone else a link that does not exist (holding a real one is what makes a participant)."""
    args = dict(world["args"])
    args["token"] = world["participant"] if caller == "participant" else "x" * 43
    path = rule
    for name, value in args.items():
        for converter in ("", "int:", "path:"):
            path = path.replace(f"<{converter}{name}>", str(value))
    return path
