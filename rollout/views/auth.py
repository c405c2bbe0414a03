"""Logging in and out."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..forms import ActionForm, LoginForm
from ..forms.account import PasswordForm
from ..services import accounts, signin
from ..services.errors import ValidationFailed
from .helpers import apply_errors, safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    paused = None
    if form.validate_on_submit():
        outcome = signin.sign_in(form.email.data, form.password.data, request.remote_addr)
        if outcome.user is not None:
            login_user(outcome.user)
            return redirect(safe_next(form.next.data, url_for("main.index")))
        paused = _paused_message(outcome)
        form.password.errors = [paused or _("The e-mail address or the password is wrong.")]
    return _answer(render_template("auth/login.html", form=form), form, outcome if paused else None)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """A staff member changes their own password: every other session ends, tokens are revoked."""
    user = current_user._get_current_object()
    form = PasswordForm()
    paused = None
    if form.validate_on_submit():
        outcome = signin.confirm_password(user, form.current_password.data, request.remote_addr)
        paused = _paused_message(outcome)
        if outcome.user is None:
            form.current_password.errors = [paused or _("This is not your current password.")]
        else:
            try:
                revoked = accounts.set_password(user, form.password.data, user)
            except ValidationFailed as error:
                apply_errors(form, error)
            else:
                login_user(user)  # this session goes on under the new generation; all others have ended
                flash(_("Your password is changed. You are logged out everywhere else.") + (
                    " " + ngettext("Your %(num)d API token was revoked.", "Your %(num)d API tokens were revoked.",
                                   revoked) if revoked else ""), "success")
                return redirect(url_for("main.index"))
    return _answer(render_template("auth/password.html", form=form), form, outcome if paused else None)


def _paused_message(outcome: signin.Outcome) -> str | None:
    if outcome.paused_until is None:
        return None
    return ngettext(
        "Signing in is paused for %(num)d minute after too many failed attempts. Try again at %(time)s.",
        "Signing in is paused for %(num)d minutes after too many failed attempts. Try again at %(time)s.",
        outcome.minutes_left(), time=format_time(outcome.paused_until, "short"))


def _answer(page: str, form: LoginForm | PasswordForm, paused: signin.Outcome | None) -> ResponseReturnValue:
    if paused:
        return page, 429, {"Retry-After": str(60 * paused.minutes_left())}
    return page, 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if ActionForm().validate_on_submit():
        accounts.log_out(current_user._get_current_object())
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
