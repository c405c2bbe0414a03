"""The `rollout` command line: accounts, tokens, imports and the demo."""
from __future__ import annotations

from rollout.extensions import db
from rollout.models import Lesson, Membership, Person, Rollout, User, Wave
from rollout.services import lessons, retro


def test_user_create_with_and_without_a_password_prompt(runner, ctx):
    result = runner.invoke(args=["rollout", "user", "create", "ada@example.se", "--name", "Ada", "--admin",
                                 "--password", "a long password"])
    assert result.exit_code == 0, result.output
    ada = db.session.query(User).filter_by(email="ada@example.se").one()
    assert ada.is_admin
    result = runner.invoke(args=["rollout", "user", "create", "bo@example.se", "--name", "Bo"],
                           input="another long one\nanother long one\n")
    assert result.exit_code == 0, result.output
    assert not db.session.query(User).filter_by(email="bo@example.se").one().is_admin


def test_user_create_grants_the_organisation_roles(runner, ctx):
    result = runner.invoke(args=["rollout", "user", "create", "hr@example.se", "--name", "HR", "--people-manager",
                                 "--password", "a long password"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["rollout", "user", "create", "plan@example.se", "--name", "Plan",
                                 "--rollout-creator", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    roles = {u.email: (u.is_people_manager, u.is_rollout_creator) for u in db.session.query(User)}
    assert roles == {"hr@example.se": (True, False), "plan@example.se": (False, True)}


def test_user_create_refuses_a_short_password_and_a_duplicate(runner, ctx):
    result = runner.invoke(args=["rollout", "user", "create", "ada@example.se", "--name", "Ada", "--password", "short"])
    assert result.exit_code == 1 and "password" in result.output
    runner.invoke(args=["rollout", "user", "create", "ada@example.se", "--name", "Ada", "--password", "long enough!"])
    result = runner.invoke(args=["rollout", "user", "create", "ADA@example.se", "--name", "Ada", "--password", "long enough!"])
    assert result.exit_code == 1
    assert db.session.query(User).count() == 1


def test_token_create_prints_a_token_that_works(runner, client, ctx):
    runner.invoke(args=["rollout", "user", "create", "ada@example.se", "--name", "Ada", "--password", "long enough!"])
    result = runner.invoke(args=["rollout", "token", "create", "ada@example.se"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert client.get("/api/v1/rollouts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/rollouts", headers={"Authorization": "Bearer ro_wrong"}).status_code == 401
    assert runner.invoke(args=["rollout", "token", "create", "nobody@example.se"]).exit_code == 1


def test_people_import_reports_every_bad_line(runner, ctx, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,name,email,unit\ne1,Anna,anna@example.se,A\ne2,,x,A\n", encoding="utf-8")
    result = runner.invoke(args=["rollout", "people", "import", str(bad)])
    assert result.exit_code == 1 and "line 3: name" in result.output and "line 3: email" in result.output
    assert db.session.query(Person).count() == 0
    good = tmp_path / "good.csv"
    good.write_text("external_id,name,email,unit\ne1,Anna,anna@example.se,A\n", encoding="utf-8")
    result = runner.invoke(args=["rollout", "people", "import", str(good)])
    assert result.exit_code == 0 and "1 new" in result.output


def test_the_demo_is_a_realistic_rollout(runner, ctx):
    result = runner.invoke(args=["rollout", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "lead@example.se" in result.output and "rollout-demo" in result.output
    rollout = db.session.query(Rollout).filter_by(key="win11-2027").one()
    assert 200 <= db.session.query(Person).count() <= 500
    waves = db.session.query(Wave).filter_by(rollout_id=rollout.id).order_by(Wave.number).all()
    assert [w.percentage for w in waves] == [None, 10, 40, 100]
    assert waves[0].state == "feedback" and 8 <= waves[0].members_count <= 15
    assert 0 < waves[0].responses_count < waves[0].members_count  # most, not all, have answered
    assert "/f/" in result.output  # personal links to try the participant's side
    from rollout.models import FeedbackLink
    opened = db.session.query(FeedbackLink).filter(FeedbackLink.wave_id == waves[0].id,
                                                   FeedbackLink.last_opened_at.is_not(None)).count()
    assert opened == waves[0].responses_count  # who answered had opened the link ("answered" beside "not opened")
    assert db.session.query(Membership).join(Wave, Wave.id == Membership.wave_id).filter(Wave.rollout_id == rollout.id).count() \
        == waves[0].members_count
    assert retro.board(waves[0], None).cards_total >= 3  # the team has started the pilot's retrospective
    assert db.session.query(Lesson).filter_by(rollout_id=rollout.id).count() == 0  # nothing holds wave 1 back

    # the loop closed once before: an earlier rollout, finished, with its retrospective and lessons
    earlier = db.session.query(Rollout).filter_by(key="etjanst-2026").one()
    assert {"e-tjänst", "utbildning", "information"} <= set(earlier.tags)
    assert [(w.state, w.decision) for w in earlier.waves] == [("done", "go"), ("done", "go")]
    assert all(w.done_at < rollout.created_at for w in earlier.waves)  # it happened before this one
    board = retro.board(earlier.waves[0], None)
    assert len(board.themes) == 2 and all(view.votes > 0 for view in board.themes)
    assert {card.kind for view in board.themes for card in view.cards} | set(
        kind for kind, cards in board.loose.items() if cards) == {"went_well", "better", "celebrate", "idea"}
    by_status = {lesson.status: lesson for lesson in lessons.for_rollout(earlier, None)[0]}
    assert set(by_status) == {"verified_effective", "applied", "deferred"}
    assert by_status["verified_effective"].metric and by_status["verified_effective"].verification
    assert by_status["deferred"].status_reason
    assert lessons.chart_counts(earlier) == {0: {"raised": 3, "applied": 0, "verified": 0},
                                             1: {"raised": 0, "applied": 2, "verified": 1}}
    # the library finds a lesson by a word of what was done, and the PC rollout gets suggestions
    found, total = lessons.library(None, q="informationsbrev")
    assert total == 1 and found[0].rollout_id == earlier.id
    suggested = lessons.suggestions(rollout, None)
    assert {lesson.id for lesson, _shared in suggested} == {lesson.id for lesson in by_status.values()}
    assert suggested[0][0].status == "verified_effective" and "utbildning" in suggested[0][1]

    again = runner.invoke(args=["rollout", "demo", "--if-empty"])
    assert again.exit_code == 0 and db.session.query(Rollout).count() == 2
    assert runner.invoke(args=["rollout", "demo"]).exit_code == 1


def test_make_run_takes_the_port_and_host_and_the_demo_prints_links_for_them(app, runner, ctx):
    """`PORT=8123 make run` serves on 8123, and the links the demo prints point there."""
    import os
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PORT="8123", HOST="127.0.0.2")
    env.pop("ROLLOUT_PUBLIC_URL", None)
    plan = subprocess.run(["make", "-n", "run"], cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    serve = next(line for line in plan.splitlines() if " run --host" in line)
    assert "--host 127.0.0.2 --port 8123" in serve
    demo_line = next(line for line in plan.splitlines() if "rollout demo" in line)
    public = subprocess.run(["bash", "-c", demo_line.split(" .venv/bin/flask")[0] + ' bash -c \'echo "$ROLLOUT_PUBLIC_URL"\''],
                            env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert public == "http://127.0.0.2:8123"
    app.config["PUBLIC_URL"] = public  # what ROLLOUT_PUBLIC_URL does to the app (see test_config)
    output = runner.invoke(args=["rollout", "demo"]).output
    assert "Open http://127.0.0.2:8123/ and log in." in output
    assert "http://127.0.0.2:8123/f/" in output and ":5000" not in output
