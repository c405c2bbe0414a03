"""Small things the views and templates share."""
from __future__ import annotations

from math import ceil
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..services import accounts, ideas
from ..services.errors import GuardFailed, ValidationFailed
from ..services.waves import action_label, state_label, verdict_label

Result = TypeVar("Result")


def apply_errors(form: FlaskForm, error: ValidationFailed, aliases: dict | None = None) -> None:
    """Put a service's validation problems next to the form's fields (the rest above the form)."""
    aliases = aliases or {}
    form.form_errors = list(getattr(form, "form_errors", []) or [])
    for item in error.details:
        name = item.get("field") or ""
        name = aliases.get(name, name)
        head = name.split(".")[0]
        field = getattr(form, aliases.get(head, head), None) if name else None
        if field is not None and hasattr(field, "errors"):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(item["message"])
        else:
            form.form_errors.append(item["message"])
    if not error.details:
        form.form_errors.append(error.message)


def submit(form: FlaskForm, call: Callable[[], Result], success: str | Callable[[Result], str],
           done: Callable[[Result], ResponseReturnValue],
           refused: Callable[[], ResponseReturnValue]) -> ResponseReturnValue | None:
    """Send a form to its service call. Bad input goes next to the form's fields and None is
    returned (the caller shows the page again); a refusal (GuardFailed) flashes its reason and
    answers `refused()`; success flashes `success` (or `success(result)`) and answers `done(result)`."""
    if not form.validate_on_submit():
        return None
    try:
        result = call()
    except ValidationFailed as error:
        apply_errors(form, error)
        return None
    except GuardFailed as error:
        flash(error.message, "error")
        return refused()
    flash(success(result) if callable(success) else success, "success")
    return done(result)


def session_or_token_user():
    """The logged-in user, or the user of the request's bearer token; 401 otherwise. For the
    URLs an intranet page or a BI tool reads: charts, exports, a retrospective's Markdown."""
    if current_user.is_authenticated:
        return current_user
    user = accounts.user_for_authorization(request.headers.get("Authorization", ""))
    if user is None:
        abort(401)
    return user


def safe_next(target: str | None, default: str) -> str:
    """Only follow a `next` that stays on this site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def confirmed() -> bool:
    """Whether this POST is the second step of an action that cannot be undone: the
    confirmation page sent it, with `confirmed=1`."""
    return request.form.get("confirmed") == "1"


def ask_to_confirm(title: str, what_happens: list[str], yes: str, back: str, *, undo: str | None = None,
                   danger: bool = True) -> tuple[str, int]:
    """The confirmation page (200) of an action that cannot be undone, instead of doing it (WCAG 3.3.4).

    It says what would happen, in words, and that it cannot be undone; its one button re-posts the
    same fields to the same address with `confirmed=1` and a fresh CSRF token, and its link goes
    back to `back`, a page of this site. Plain HTML: it works without JavaScript."""
    fields = [(name, value) for name, values in request.form.lists()
              if name != "confirmed" and name != "csrf_token" and not name.endswith("-csrf_token")
              for value in values]
    action = request.full_path if request.query_string else request.path
    return render_template("confirm.html", title=title, what_happens=[line for line in what_happens if line],
                           undo=undo or _("This cannot be undone."), yes=yes, fields=fields, action=action,
                           back=safe_next(back, url_for("main.index")), danger=danger), 200


MAX_PAGE = 1_000_000  # beyond any real list, and far from an integer overflow in OFFSET


def page_arg() -> int:
    try:
        return min(max(int(request.args.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        return 1


class Pagination:
    def __init__(self, page: int, per_page: int, total: int):
        self.page, self.per_page, self.total = page, per_page, total
        self.pages = max(ceil(total / per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def url(self, page: int) -> str:
        # the list's own query arguments, but none of url_for's options (_method, _scheme, _external,
        # _anchor) and none that name a part of the path: those answered 500, or changed the links
        path_args = request.view_args or {}
        args: dict[str, Any] = {name: value for name, value in request.args.items()
                                if not name.startswith("_") and name not in path_args}
        args["page"] = page
        assert request.endpoint is not None  # a page with a pager is a routed request
        return url_for(request.endpoint, **path_args, **args)


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject():
        return {
            "current_locale": str(get_locale()),
            "state_label": state_label,
            "action_label": action_label,
            "verdict_label": verdict_label,
            "may_read_people": accounts.can_read_people,
            "may_create_rollouts": accounts.can_create_rollouts,
            "may_triage_ideas": ideas.can_triage,
        }

    from .. import formatting  # numbers and dates in the reader's language (filters: when, decimal, number)
    from ..services import audit_text  # the audit log in words
    formatting.init_app(app)
    audit_text.init_app(app)
    from . import lang  # texts people wrote, marked with their language (filter: in_lang)
    lang.init_app(app)
