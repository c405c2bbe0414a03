"""The `rollout` command line: accounts, tokens, imports and the demo."""
from __future__ import annotations

from rollout.extensions import db
from rollout.models import Membership, Person, Rollout, User, Wave


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
    rollout = db.session.query(Rollout).one()
    assert 200 <= db.session.query(Person).count() <= 500
    waves = db.session.query(Wave).filter_by(rollout_id=rollout.id).order_by(Wave.number).all()
    assert [w.percentage for w in waves] == [None, 10, 40, 100]
    assert waves[0].state == "feedback" and 8 <= waves[0].members_count <= 15
    assert 0 < waves[0].responses_count < waves[0].members_count  # most, not all, have answered
    assert "/f/" in result.output  # personal links to try the participant's side
    assert db.session.query(Membership).count() == waves[0].members_count
    again = runner.invoke(args=["rollout", "demo", "--if-empty"])
    assert again.exit_code == 0 and db.session.query(Rollout).count() == 1
    assert runner.invoke(args=["rollout", "demo"]).exit_code == 1
