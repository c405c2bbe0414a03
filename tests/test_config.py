"""Configuration from the environment."""
from __future__ import annotations

from rollout import create_app


def test_a_secret_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.chdir(tmp_path)
    from rollout import config
    first = create_app()
    first.instance_path = str(tmp_path / "instance")
    first.config["SECRET_KEY"] = ""
    config.finish(first)
    second = create_app()
    second.instance_path = str(tmp_path / "instance")
    second.config["SECRET_KEY"] = ""
    config.finish(second)
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_settings(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/rollout")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("ROLLOUT_PER_PAGE", "25")
    monkeypatch.setenv("ROLLOUT_SCHEDULER_INTERVAL", "30")
    monkeypatch.setenv("ROLLOUT_PUBLIC_URL", "https://rollout.kommun.example")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/rollout"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["PER_PAGE"] == 25 and app.config["SCHEDULER_INTERVAL"] == 30
    assert app.config["PUBLIC_URL"] == "https://rollout.kommun.example"


def test_sqlite_in_the_instance_folder_by_default(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/rollout.sqlite")
