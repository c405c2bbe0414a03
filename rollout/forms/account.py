"""The forms of a staff member's own account."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Your current password"),
                                     validators=[DataRequired(_l("Enter your current password."))],
                                     render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))],
                             description=_l("At least 10 characters. A few unrelated words make a good one."),
                             render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("The new password again"),
                           validators=[DataRequired(_l("Enter the new password again.")),
                                       EqualTo("password", _l("The two new passwords are not the same."))],
                           render_kw={"autocomplete": "new-password"})
