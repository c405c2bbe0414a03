"""Logging in and out."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..forms import ActionForm, LoginForm
from ..services import accounts
from .helpers import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(form.next.data, url_for("main.index")))
        form.password.errors = [_("The e-mail address or the password is wrong.")]
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if ActionForm().validate_on_submit():
        accounts.log_out(current_user._get_current_object())
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
