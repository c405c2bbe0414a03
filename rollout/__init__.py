"""Rollout: staged pilot rollouts with feedback that carries forward."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from flask import Flask, g, request, session
from flask_login import current_user

from . import config as settings
from .extensions import babel, csrf, db, login_manager, migrate, use_wal_on_sqlite
from .languages import LANGUAGES

# Alembic's revisions (Flask-Migrate), shipped inside the package like the templates
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(config: Optional[dict] = None) -> Flask:
    # templates/, static/, migrations/ and translations/ are inside the package, so an installed
    # copy finds them wherever it runs from
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(settings.Config)
    settings.load_environment(app)
    if config:
        if config.get("TESTING"):
            app.config.from_object(settings.TestingConfig)
        app.config.update(config)
    settings.finish(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    from . import scheduler, security
    security.init_app(app)
    scheduler.init_app(app)
    return app


def select_locale() -> str:
    languages = LANGUAGES
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    # a participant on their personal link: the person's own language (set by the feedback blueprint)
    if g and g.get("participant_language") in languages:
        return g.participant_language
    if request and request.path.startswith("/api/"):
        return request.accept_languages.best_match(languages, default="en")
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.language in languages:
        return current_user.language
    return "sv"


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the models must be known to Alembic and create_all)
    from .models import include_name
    from .models.types import render_item

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            use_wal_on_sqlite(engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS),
                     render_as_batch=True, compare_type=True, render_item=render_item,
                     include_name=include_name)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    babel.init_app(app, locale_selector=select_locale)

    from . import sessions
    login_manager.user_loader(sessions.load_user)
    sessions.init_app(app)

    from flask_babel import lazy_gettext
    login_manager.login_message = lazy_gettext("Log in to see this page.")


def register_converters(app: Flask) -> None:
    """`<int:...>` in every URL: a number beyond what the database's integers hold (2**31-1) finds
    nothing (a 404) instead of overflowing in the database."""
    from werkzeug.routing import IntegerConverter

    from .services.validation import MAX_ID

    class BoundedInteger(IntegerConverter):
        def to_python(self, value: str) -> int:
            number = super().to_python(value)
            return number if number <= MAX_ID else -1  # no row has a negative id or number

    app.url_map.converters["int"] = BoundedInteger


def register_blueprints(app: Flask) -> None:
    from .api import api
    from .views import (
        admin,
        auth,
        checkins,
        exports,
        feedback,
        feedback_checkins,  # noqa: F401  (the participant's check-in routes join the feedback blueprint)
        ideas,
        jobs,
        lessons,
        main,
        people,
        privacy,
        problems,
        public,
        questionnaire,
        results,
        retro,
        rollouts,
        waves,
        wins,
    )

    for module in (auth, main, public, people, rollouts, waves, checkins, questionnaire, problems, feedback, results,
                   exports, retro, lessons, admin, privacy, jobs, wins, ideas):
        app.register_blueprint(module.bp)
    csrf.exempt(api)
    from .api.spec import init_app as init_api
    init_api(app)  # registers the blueprint, and derives the OpenAPI document from its schemas


def register_errorhandlers(app: Flask) -> None:
    from .views.errors import init_app
    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from .views.helpers import init_app
    init_app(app)


def register_commands(app: Flask) -> None:
    from .cli import cli
    app.cli.add_command(cli)
