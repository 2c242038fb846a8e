"""Forms of the staff pages: sign-in, accounts, consultation settings, audit filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from ..core.vocab import ROLES
from ..forms import choices_of
from .services import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[
        InputRequired(message=_l("Enter your e-mail address.")),
        Length(max=254, message=_l("The e-mail address is too long."))],
        render_kw={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none",
                   "spellcheck": "false", "type": "email"})
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=_l("Enter your password.")),
        Length(max=1000, message=_l("The password is too long."))],
        render_kw={"autocomplete": "current-password"})


def _role_choices():
    return choices_of(ROLES)


class UserForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[
        InputRequired(message=_l("Enter an e-mail address.")),
        Length(max=254, message=_l("The e-mail address is too long.")),
        Email(message=_l("Enter a valid e-mail address."), check_deliverability=False)],
        render_kw={"type": "email", "autocomplete": "off"})
    name = StringField(_l("Name"), validators=[
        Length(max=200, message=_l("The name may have at most %(max)d characters."))])
    role = SelectField(_l("Role"), choices=_role_choices, validate_choice=False)
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=_l("Enter a password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=1000,
               message=_l("The password must have at least %(min)d characters."))],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH})

    # WTForms' own message for a value outside the choices has no Kyrgyz translation.
    def validate_role(self, field):
        _known_role(field)


def _known_role(field):
    if field.data not in ROLES:
        raise ValidationError(_l("Choose one of the listed roles."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices, validate_choice=False)

    def validate_role(self, field):
        _known_role(field)


class ActiveForm(FlaskForm):
    """Only the CSRF token: the URL says which account and which way."""


class AuditFilterForm(FlaskForm):
    """Read from the query string, so a filtered page can be bookmarked."""
    class Meta:
        csrf = False

    action = StringField(_l("Action starts with"), validators=[
        Length(max=60, message=_l("At most %(max)d characters."))])
    object_type = SelectField(_l("Object"), choices=[], validate_choice=False)
