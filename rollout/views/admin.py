"""Administration: accounts, API tokens, units, the global audit log, and the e-mail
outbox (readable in the UI, so that the demo works without an SMTP server)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..extensions import db
from ..forms import ActionForm, OrganisationRolesForm, TokenForm, UnitForm, UserForm
from ..models import ApiToken, Notification, NotificationStatus, User
from ..models.vocabularies import labelled
from ..services import accounts, audit, notify, people
from ..services.errors import NotFound, ValidationFailed
from .helpers import Pagination, apply_errors, ask_to_confirm, confirmed, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def only_admins():
    accounts.require_admin(current_user)


def _status(form: FlaskForm) -> int:
    return 422 if form.errors or getattr(form, "form_errors", None) else 200


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.name.data, form.password.data,
                                        is_admin=form.is_admin.data, language=form.language.data,
                                        people_manager=form.is_people_manager.data,
                                        rollout_creator=form.is_rollout_creator.data,
                                        council=form.is_council.data, actor=current_user)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("The account for %(name)s was created.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users.html", users=accounts.list_users(), form=form,
                           action_form=ActionForm()), _status(form)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> ResponseReturnValue:
    account = _user(user_id)
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _, new_token = accounts.create_token(account, form.name.data, actor=current_user)
        form = TokenForm(formdata=None)
    return render_template("admin/user.html", account=account, tokens=accounts.tokens_for(account), form=form,
                           new_token=new_token, action_form=ActionForm(), roles_form=OrganisationRolesForm(obj=account))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def organisation_roles(user_id: int) -> ResponseReturnValue:
    account = _user(user_id)
    form = OrganisationRolesForm()
    if form.validate_on_submit():
        accounts.set_organisation_roles(account, current_user, people_manager=form.is_people_manager.data,
                                        rollout_creator=form.is_rollout_creator.data,
                                        council=form.is_council.data)
        flash(_("The roles of %(name)s were saved.", name=account.name), "success")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_active(user_id: int) -> ResponseReturnValue:
    account = _user(user_id)
    if ActionForm().validate_on_submit():
        # deactivating revokes the account's tokens, which activating it again does not bring back
        tokens = [t for t in accounts.tokens_for(account) if t.revoked_at is None] if account.active else []
        if tokens and account.id != current_user.id and not confirmed():
            return ask_to_confirm(_("Deactivate %(name)s?", name=account.name), [
                _("%(name)s can no longer sign in, and every session they have open ends at once.",
                  name=account.name),
                ngettext("Their %(num)s API token is revoked: programs using it can no longer call the API.",
                         "Their %(num)s API tokens are revoked: programs using them can no longer call the API.",
                         len(tokens))],
                _("Yes, deactivate %(name)s", name=account.name), url_for("admin.users"),
                undo=_("This cannot be undone: activating the account again lets them sign in, but revoked "
                       "tokens never work again."))
        try:
            accounts.set_user_active(account, not account.active, current_user)
        except ValidationFailed as error:
            flash(error.message, "error")
    return redirect(url_for("admin.users"))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("No such token."))
    if ActionForm().validate_on_submit():
        if not confirmed():
            return ask_to_confirm(_("Revoke the token %(prefix)s…?", prefix=token.prefix), [
                _("Programs using the token %(prefix)s… of %(name)s can no longer call the API.",
                  prefix=token.prefix, name=token.user.name),
                _("It is for: %(purpose)s.", purpose=token.name) if token.name else "",
                _("A revoked token never works again; create a new one if it is still needed.")],
                _("Yes, revoke the token"), url_for("admin.user", user_id=token.user_id))
        accounts.revoke_token(token, current_user)
        flash(_("The token was revoked."), "success")
    return redirect(url_for("admin.user", user_id=token.user_id))


@bp.route("/units", methods=["GET", "POST"])
def units():
    form = UnitForm()
    if form.validate_on_submit():
        try:
            people.create_unit(form.name.data, current_user)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("The unit was created."), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/units.html", units=people.list_units(), form=form), _status(form)


@bp.route("/audit")
def audit_log():
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    events, total = audit.events_for(None, page, per_page)
    return render_template("admin/audit.html", events=events, pager=Pagination(page, per_page, total))


def message_kinds() -> dict[str, str]:
    return notify.kind_labels()


def message_statuses() -> dict[str, str]:
    return labelled(NotificationStatus, {"pending": _("waiting to be sent"), "sending": _("being sent"),
                                         "sent": _("sent"), "outbox": _("in the outbox (no mail server)"),
                                         "failed": _("failed")})


@bp.route("/outbox")
def outbox():
    kind = request.args.get("kind", "")
    kind = kind if kind in message_kinds() else ""
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    messages, total = notify.outbox(page, per_page, kind)
    return render_template("admin/outbox.html", messages=messages, total=total, kind=kind, kinds=message_kinds(),
                           statuses=message_statuses(), pager=Pagination(page, per_page, total),
                           mail_server=bool(current_app.config.get("MAIL_SERVER")))


@bp.route("/outbox/<int:message_id>")
def message(message_id: int) -> ResponseReturnValue:
    row = db.session.get(Notification, message_id)
    if row is None:
        raise NotFound(_("No such message."))
    return render_template("admin/message.html", message=row, body=notify.body_for_admins(row),
                           kinds=message_kinds(), statuses=message_statuses())
