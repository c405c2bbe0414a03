"""A rollout's archive (`rollout export`, /rollouts/<key>/export/rollout.json) imports into a
second, empty instance (`rollout import`) and shows there what it showed where it came from:
every wave's results, members, decisions, retrospective board and lessons; exporting it again
gives the same archive but for ids and the time of the export. A bad archive imports nothing and
says where; anonymity and the people directory hold in the archive as on the pages."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import Membership, Notification, Person, Response, Rollout, User
from rollout.services import (
    accounts,
    demo,
    exports,
    feedback,
    gates,
    lessons,
    people,
    reconcile,
    retro,
    rollout_import,
    rollouts,
    waves,
)
from rollout.services.cohorts import members
from rollout.services.errors import ValidationFailed
from rollout.services.results import wave_results

from . import builders
from .conftest import fresh_postgres_database, make_app
from .helpers import text_of

ROOT = Path(__file__).resolve().parent.parent
ANON = "anon-2027"
KEYS = ("win11-2027", "etjanst-2026", ANON)
TARGET_SECRET = "the-target-instance-secret"


# --- the source: the demo and an anonymous rollout ---------------------------------------------

def anonymous_rollout() -> Rollout:
    """An anonymous rollout (k = 5): a pilot of which only three answered (below k) decided go
    against the gate, a wave of seven answers with its retrospective (themes, cards, dots) and a
    lesson verified in it, a lesson from its theme for the last wave, still planned."""
    lead = accounts.get_user_by_email("lead@example.se")
    reviewer = accounts.get_user_by_email("reviewer@example.se")
    rollout = rollouts.create_rollout({"key": ANON, "name": "Nya skrivare", "anonymous": True,
                                       "retention_days": 400, "tags": ["skrivare"]}, lead)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    pilot = builders.make_wave(rollout, lead, name="Piloten", units=["Kart och GIS"])
    wave1 = builders.make_wave(rollout, lead, name="Lantmäteri", units=["Lantmäteri"])
    builders.make_wave(rollout, lead, name="Resten", percentage=30)
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    builders.answer_wave(pilot, [4, 2, 5], texts={"could_be_better": ["Hemligt svar A", "Hemligt svar B", ""]})
    feedback.report_problem(next(iter(builders.wave_tokens(pilot).values())), {
        "category": "printing", "severity": "major", "description": "Skrivaren syns inte."})
    waves.transition(pilot, "review", lead)
    verified = lessons.create_lesson(rollout, {"title": "Drivrutiner före bytet", "origin_wave": 0,
                                               "metric": "satisfaction", "owner": reviewer.email,
                                               "tags": ["skrivare", "drivrutiner"]}, lead)
    lessons.update_lesson(verified, {"status": "applied"}, lead)
    waves.decide(pilot, "go", "Få svar, men inga stoppande fel.", lead)
    waves.transition(wave1, "active", lead)
    waves.transition(wave1, "feedback", lead)
    builders.answer_wave(wave1, [5, 4, 4, 3, 5, 4, 2], hours=[0, 1.5, 0, 2, 0.5, 0, 3], texts={
        "went_well": ["Snabbt", "", "Bra stöd", "", "", "Enkelt", ""],
        "could_be_better": ["", "Köer", "", "Köer vid skrivaren", "", "", "Inget papper"]})
    waves.transition(wave1, "review", lead)
    lessons.verify(verified, "effective", lead)
    cards = [retro.add_card(wave1, {"kind": kind, "text": text}, author) for kind, text, author in (
        ("better", "Köer vid skrivarna", lead), ("better", "Papperet tog slut", reviewer),
        ("celebrate", "Alla kunde skriva ut dag ett", lead), ("idea", "Skrivare per våning", reviewer))]
    theme = retro.create_theme(wave1, {"title": "Skrivarna räcker inte", "cards": [cards[0].id, cards[1].id]}, lead)
    for card, voter in ((cards[0], lead), (cards[0], lead), (cards[2], reviewer), (cards[1], reviewer)):
        retro.vote(card, voter)
    lessons.create_lesson(rollout, {"title": "Fler skrivare per våning", "owner": lead.email}, lead, theme=theme)
    waves.decide(wave1, "go", "Nöjda i stort.", lead)
    return rollout


def build_source() -> None:
    demo.load_demo()
    anonymous_rollout()


def archive(key: str, actor=None) -> dict:
    """The rollout's archive as a file holds it (through JSON)."""
    return json.loads(json.dumps(exports.rollout_json(rollouts.get_rollout(key, actor), actor)))


# --- the target: a second instance on a fresh, empty database --------------------------------

@pytest.fixture
def target(database_url, tmp_path):
    """A second app, with its own secret, on a new empty database of the same kind."""
    def started(url: str):
        app = make_app(url, SECRET_KEY=TARGET_SECRET)
        app.instance_path = str(tmp_path / "target-instance")
        with app.app_context():
            db.create_all()
        return app

    if database_url.startswith("postgresql"):
        with fresh_postgres_database(database_url, "rollout_target") as url:
            app = started(url)
            yield app
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        return
    app = started(f"sqlite:///{tmp_path / 'target.sqlite'}")
    yield app
    with app.app_context():
        db.engine.dispose()


def comparable(data: dict) -> dict:
    """An archive with only what must differ between two instances made alike: no time of export,
    each kind of id numbered in the order it first appears, the carried-from lesson as whether there
    is one, and an anonymous rollout's responses in one order (their respondent keys are new)."""
    data = copy.deepcopy(data)
    data.pop("exported_at")
    numbers: dict[str, dict] = defaultdict(dict)

    def renumber(kind: str, value):
        return None if value is None else numbers[kind].setdefault(value, len(numbers[kind]) + 1)

    for wave in data["waves"]:
        if data["anonymous"] and "responses" in wave:
            wave["responses"].sort(key=lambda r: json.dumps(r, sort_keys=True))
        for response in wave.get("responses", []):
            if "id" in response:
                response["id"] = renumber("response", response["id"])
        for problem in wave["problems"]:
            problem["id"] = renumber("problem", problem["id"])
        board = wave["retrospective"]
        for theme in board["themes"]:
            theme["id"] = renumber("theme", theme["id"])
            theme["cards"] = [renumber("card", c) for c in theme["cards"]]
            theme["lessons"] = [renumber("lesson", c) for c in theme["lessons"]]
        for card in board["cards"]:
            card["id"], card["theme"] = renumber("card", card["id"]), renumber("theme", card["theme"])
        for dot in board["dot_votes"]:
            dot["card"] = renumber("card", dot["card"])
    for lesson in data["lessons"]:
        lesson["id"], lesson["theme"] = renumber("lesson", lesson["id"]), renumber("theme", lesson["theme"])
        lesson["source_lesson"] = lesson["source_lesson"] is not None
    return data


def seen(key: str) -> dict:
    """What the team sees of a rollout, through the services its pages show: every wave's results,
    gate, members, decisions and retrospective board, the lessons, the team."""
    rollout = rollouts.get_rollout(key, None)
    shown: dict = {"team": sorted((role.user.email, role.role) for role in rollouts.team(rollout)), "waves": []}
    for wave in rollout.waves:
        board = retro.board(wave, None)
        shown["waves"].append({
            "state": wave.state, "results": wave_results(wave).as_dict(), "gate": gates.evaluate(wave).as_dict(),
            "members": [m.external_id for m in members(wave, per_page=10**6)[0]],
            "decisions": [waves.decision_as_dict(d) for d in waves.decisions(wave)],
            "themes": [(v.theme.title, v.votes, [(c.kind, c.text, c.votes) for c in v.cards],
                        [lesson.title for lesson in v.lessons]) for v in board.themes],
            "loose": {kind: [(c.text, c.votes) for c in cards] for kind, cards in board.loose.items()}})
    shown["lessons"] = [{**{k: v for k, v in lessons.as_dict(lesson).items() if k not in ("id", "theme")},
                         "theme": lessons.provenance(lesson).theme.title if lesson.theme_id else None}
                        for lesson in lessons.for_rollout(rollout, None)[0]]
    return shown


def library(q: str) -> list[str]:
    return sorted(lesson.title for lesson in lessons.library(None, q=q)[0])


# --- the round trip ---------------------------------------------------------------------------

def test_a_rollout_imports_into_an_empty_instance_and_shows_the_same_there(ctx, target):
    build_source()
    archives = {key: archive(key) for key in KEYS}
    before = {key: seen(key) for key in KEYS}
    found = {q: library(q) for q in ("skrivare", "information", "utbildning")}
    tokens = builders.wave_tokens(rollouts.get_rollout("win11-2027", None).waves[0])
    answered = feedback.current_answers(feedback.visit(tokens["e1001"]))
    assert answered and len(tokens) == 12

    with target.test_request_context():
        results = {key: rollout_import.import_rollout(archives[key], None) for key in reversed(KEYS)}
        assert results[ANON].counts == {"waves": 3, "members": 70, "responses": 10, "problems": 1, "decisions": 2,
                                        "themes": 1, "cards": 4, "votes": 4, "lessons": 2}
        assert sorted(results[ANON].accounts_created) == ["lead@example.se", "reviewer@example.se"]
        assert results["etjanst-2026"].accounts_created == [] and results["etjanst-2026"].people_created == 114
        assert db.session.scalar(select(User.password_hash).where(User.email == "lead@example.se")) \
            == accounts.NO_PASSWORD
        assert accounts.authenticate("lead@example.se", demo.DEMO_PASSWORD) is None
        assert [(w.number, w.links) for w in results["win11-2027"].collecting] == [(0, 12)]
        for key in KEYS:
            assert seen(key) == before[key], key
            assert comparable(archive(key)) == comparable(archives[key]), key
        assert {q: library(q) for q in found} == found and found["skrivare"]

        # a pilot member's new link opens their own answers, and an edit replaces them
        pilot = rollouts.get_rollout("win11-2027", None).waves[0]
        new_tokens = builders.wave_tokens(pilot)
        assert feedback.current_answers(feedback.visit(new_tokens["e1001"])) == answered
        assert new_tokens["e1001"] != tokens["e1001"]
        feedback.submit(new_tokens["e1001"], {**answered, "satisfaction": 1})
        assert wave_results(pilot).responded == 8
        # the members of the wave collecting feedback get their new links by e-mail with the next tick
        reconcile.tick()
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.wave_id == pilot.id, Notification.kind == "invitation")) == 12


def test_the_results_pages_read_the_same_in_both_instances(ctx, target):
    build_source()
    data = archive(ANON)
    client = ctx.test_client()
    client.get("/language/en")
    client.post("/login", data={"email": "admin@example.se", "password": demo.DEMO_PASSWORD})
    pages = [f"/rollouts/{ANON}/results", f"/rollouts/{ANON}/waves/0/results", f"/rollouts/{ANON}/waves/1/results",
             f"/rollouts/{ANON}/lessons"]
    source = {page: text_of(client.get(page).get_data(as_text=True)) for page in pages}
    with target.test_request_context():
        rollout_import.import_rollout(data, None)
        builders.make_user("admin@example.se", "Åsa Administratör", admin=True)
    other = target.test_client()
    other.get("/language/en")
    other.post("/login", data={"email": "admin@example.se", "password": builders.PASSWORD})
    for page in pages:
        assert text_of(other.get(page).get_data(as_text=True)) == source[page], page
    assert "Hemligt svar A" not in source[pages[1]] and "Fler skrivare per våning" in source[pages[3]]


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "rollout", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def test_the_command_line_exports_and_imports_a_rollout(ctx, target, database_url, tmp_path):
    build_source()
    db.session.commit()
    before = seen(ANON)
    file = tmp_path / "anon.json"
    source = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="test-secret")
    run = flask("export", ANON, str(file), env=source)
    assert run.returncode == 0, run.stderr
    assert json.loads(file.read_text(encoding="utf-8"))["format"] == "rollout-archive"
    env = dict(source, DATABASE_URL=target.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY=TARGET_SECRET)
    run = flask("import", str(file), env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == [
        f"Imported rollout {ANON}: 3 wave(s), 70 member(s), 10 response(s), 1 problem report(s), 2 decision(s), "
        "1 theme(s), 4 card(s), 4 vote(s), 2 lesson(s).", "People: 70 created, 0 already here."]
    assert "Account created without a password: lead@example.se (set one with `rollout user set-password " \
           "lead@example.se`)." in run.stdout
    with target.test_request_context():
        assert seen(ANON) == before
    runner = target.test_cli_runner()
    with target.app_context():  # (else the command runs in the app of the test's context: the source)
        clash = runner.invoke(args=["rollout", "import", str(file)])
        renamed = runner.invoke(args=["rollout", "import", str(file), "--key", "anon-copy"])
    assert clash.exit_code == 1 and "Error: Nothing was imported" in clash.output
    assert "key: Another rollout already has this key." in clash.output and "--key NEW" in clash.output
    assert renamed.exit_code == 0, renamed.output
    assert "People: 0 created, 70 already here." in renamed.output, renamed.output
    with target.test_request_context():
        assert seen("anon-copy")["waves"] == before["waves"]
        assert db.session.scalar(select(func.count()).select_from(User)) == 2  # the same two accounts
    run = flask("export", "anon-copy", "-", env=env)
    assert run.returncode == 0 and json.loads(run.stdout)["key"] == "anon-copy"
    run = flask("export", "no-such-rollout", "-", env=env)
    assert run.returncode == 1 and run.stderr.startswith("Error: ")


# --- what an archive may hold, and a bad one ---------------------------------------------------

def test_an_archive_with_one_bad_part_imports_nothing_and_says_where(ctx, target, tmp_path):
    build_source()
    good = archive(ANON)
    bad = copy.deepcopy(good)
    wave = bad["waves"][1]
    wave["responses"][2]["answers"][0]["code"] = "no_such_question"
    missing = wave["members"][3]
    bad["people"] = [p for p in bad["people"] if p["external_id"] != missing]
    wave["retrospective"]["cards"][0]["theme"] = 999_999
    bad["lessons"][1]["owner"] = "nobody@example.se"
    with target.test_request_context():
        with pytest.raises(ValidationFailed) as refused:
            rollout_import.import_rollout(bad, None)
        where = {item["field"]: item["message"] for item in refused.value.details}
        assert set(where) == {"waves.1.responses.2.answers.0.code", "waves.1.members.3",
                              "waves.1.retrospective.cards.0.theme", "lessons.1.owner"}
        assert "no_such_question" in where["waves.1.responses.2.answers.0.code"]
        assert missing in where["waves.1.members.3"] and "nobody@example.se" in where["lessons.1.owner"]
        for model in (Rollout, Person, User, Response, Membership):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
        for broken, field in (({**good, "format": "something-else"}, "format"), ({**good, "version": 2}, "version"),
                              ([good], "format")):
            with pytest.raises(ValidationFailed) as refused:
                rollout_import.import_rollout(broken, None)
            assert [item["field"] for item in refused.value.details] == [field]
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(bad), encoding="utf-8")
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["rollout", "import", str(file)])
        assert result.exit_code == 1
        assert "Error: Nothing was imported: the archive has problems." in result.output
        assert "  waves.1.responses.2.answers.0.code: There is no question no_such_question in questionnaire " \
               "version 1." in result.output
        assert f"  waves.1.members.3: {missing} is neither among the archive's people nor in this instance's " \
               "people." in result.output
        file.write_text("{not json", encoding="utf-8")
        result = target.test_cli_runner().invoke(args=["rollout", "import", str(file)])
        assert result.exit_code == 1 and "is not a JSON document" in result.output
        assert db.session.scalar(select(func.count()).select_from(Rollout)) == 0
    with target.test_request_context():
        assert rollout_import.import_rollout(good, None).counts["responses"] == 10


def test_a_lead_who_does_not_keep_the_directory_gets_no_people_records(ctx, target):
    build_source()
    lead = accounts.get_user_by_email("lead@example.se")  # plans rollouts; does not read the directory
    admin = accounts.get_user_by_email("admin@example.se")
    assert not accounts.can_manage_people(lead)
    by_admin, by_lead = archive("win11-2027", admin), archive("win11-2027", lead)
    assert "people" not in by_lead and len(by_lead["waves"][0]["members"]) == 12
    assert [p["external_id"] for p in by_admin["people"]] == sorted(by_lead["waves"][0]["members"])
    assert {p["email"] for p in by_admin["people"]} & set(json.dumps(by_lead).split('"')) == set()
    client = ctx.test_client()
    client.post("/login", data={"email": lead.email, "password": demo.DEMO_PASSWORD})
    page = json.loads(client.get("/rollouts/win11-2027/export/rollout.json").data)
    assert "people" not in page and page["format"] == "rollout-archive" and page["version"] == 1
    before = seen("win11-2027")
    with target.test_request_context():
        with pytest.raises(ValidationFailed) as refused:
            rollout_import.import_rollout(by_lead, None)
        assert sorted(item["field"] for item in refused.value.details) == sorted(
            [f"waves.0.members.{i}" for i in range(12)] + ["waves.0.problems.0.reporter", "waves.0.problems.1.reporter"]
            + [f"waves.0.responses.{i}.external_id" for i in range(8)])
        planner = builders.make_user("planner@example.se", "Paula Planner", creator=True)
        with pytest.raises(accounts.NotAllowed):  # it would add people to the directory
            rollout_import.import_rollout(by_admin, planner)
        people.upsert_people(by_admin["people"], None)  # the directory is here already
        result = rollout_import.import_rollout(by_lead, None)
        assert (result.people_created, result.people_matched) == (0, 12)
        assert seen("win11-2027") == before


def test_the_archive_of_an_anonymous_rollout_links_no_answer_to_anyone(ctx, target):
    build_source()
    lead = accounts.get_user_by_email("lead@example.se")
    by_lead, by_system = archive(ANON, lead), archive(ANON)
    assert "responses" not in by_lead["waves"][0] and by_lead["waves"][0]["responses_withheld"] == 3
    assert "Hemligt svar A" not in json.dumps(by_lead) and "Hemligt svar A" in json.dumps(by_system)
    wave1 = rollouts.get_rollout(ANON, None).waves[1]
    stored = db.session.scalars(select(Response).where(Response.wave_id == wave1.id)
                                .order_by(Response.respondent_key)).all()
    for data, wave_at in ((by_lead, 1), (by_system, 0), (by_system, 1)):
        responses = data["waves"][wave_at]["responses"]
        assert responses and all(set(r) == {"questionnaire_version", "submitted_on", "updated_on", "answers"}
                                 for r in responses)
        assert all(len(r["submitted_on"]) == 10 for r in responses)  # the day, nothing finer
        assert all("reporter" not in p for p in data["waves"][wave_at]["problems"])
    # in the order of their respondent keys, which says nothing of who answered when
    assert [r["answers"] for r in by_lead["waves"][1]["responses"]] == [
        [{"code": a.code, **{k: getattr(a, k) for k in ("number", "option", "text") if getattr(a, k) is not None}}
         for a in sorted(r.answers, key=lambda a: a.id)] for r in stored]
    with target.test_request_context():
        with pytest.raises(ValidationFailed) as refused:
            rollout_import.import_rollout({**by_lead, "people": by_system["people"]}, None)
        assert [item["field"] for item in refused.value.details] == ["waves.0.responses_withheld"]
        linked = copy.deepcopy(by_system)
        linked["waves"][1]["responses"][0]["external_id"] = linked["waves"][1]["members"][0]
        with pytest.raises(ValidationFailed) as refused:
            rollout_import.import_rollout(linked, None)
        assert [item["field"] for item in refused.value.details] == ["waves.1.responses.0.external_id"]
        rollout_import.import_rollout(by_system, None)
        imported = db.session.scalars(select(Response)).all()
        assert len(imported) == 10
        assert {(r.person_id, r.language, r.submitted_at.time().isoformat()) for r in imported} == {
            (None, "", "00:00:00")}
        assert wave_results(rollouts.get_rollout(ANON, None).waves[0]).hidden


ODD_VALUES = [None, "", "x", -1, 0, 2.5, 10**12, True, [], {}, [1], {"a": 1}, "2026-01-01", "\x00", "a" * 300, ["x"]]


def test_an_archive_changed_anywhere_imports_whole_or_not_at_all(ctx, target):
    """An odd value put anywhere in an archive (a few at a time): the import takes it or refuses it
    with ValidationFailed, never a traceback, and a refused import leaves nothing behind."""
    import random

    build_source()
    base = [archive(ANON), archive("win11-2027")]
    rng = random.Random(2027)

    def places(node, path=()):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for name, value in items:
            yield (*path, name)
            yield from places(value, (*path, name))

    outcomes = defaultdict(int)
    with target.test_request_context():
        for attempt in range(150):
            data = copy.deepcopy(base[attempt % 2])
            spots = list(places(data))
            for path in rng.sample(spots, rng.choice((1, 2, 3))):
                node = data
                try:
                    for name in path[:-1]:
                        node = node[name]
                    node[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
                except (KeyError, IndexError, TypeError):
                    pass  # (a place an earlier change took away)
            count = db.session.scalar(select(func.count()).select_from(Rollout))
            try:
                rollout_import.import_rollout(data, None, f"odd-{attempt}")
                outcomes["imported"] += 1
            except ValidationFailed as refused:
                assert refused.details, refused.message
                assert db.session.scalar(select(func.count()).select_from(Rollout)) == count
                outcomes["refused"] += 1
    assert outcomes["imported"] and outcomes["refused"]
