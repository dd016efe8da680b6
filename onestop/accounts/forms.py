"""Sign-in, invitation, account, two-step, forgotten password and email change forms."""
import secrets

from wtforms import EmailField, HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from onestop.accounts import access_tokens
from onestop.accounts.passwords import MIN_PASSWORD_LENGTH
from onestop.forms import BaseForm, OnceForm
from onestop.i18n import lazy_gettext as _l


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _code_field(label, *, required: bool = True):
    return StringField(label, validators=[DataRequired() if required else Optional(),
                                          Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text",
                                  "autocapitalize": "off", "spellcheck": "false"})


class CodeForm(BaseForm):
    code = _code_field(_l("Code"))


class ReauthForm(BaseForm):
    """Fields a sensitive form asks for when the last password check is too old; only
    shown (and only checked) then."""

    reauth_password = PasswordField(_l("Your password"),
                                    validators=[Optional(), Length(max=200)])
    reauth_code = _code_field(_l("Code from your authenticator app"), required=False)


class ConfirmItsYouForm(BaseForm):
    """Always asks: for turning two steps off or making new recovery codes."""

    reauth_password = PasswordField(_l("Your password"), validators=[DataRequired(),
                                                                     Length(max=200)])
    reauth_code = _code_field(_l("Code from your authenticator app or a recovery code"))


class SetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(MIN_PASSWORD_LENGTH, 200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class ChangePasswordForm(SetPasswordForm, OnceForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class LanguageForm(BaseForm):
    locale = RadioField(_l("Language"), choices=[("ko", "한국어"), ("en", "English")],
                        validators=[DataRequired()])


class ForgotPasswordForm(BaseForm):
    # Looked up as typed, like the sign-in: any address an account may have is accepted.
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    # The request's own key in the ledger (the page is signed out, so web.perform cannot
    # claim it): the same form sent twice makes one email.
    once = HiddenField(default=lambda: secrets.token_urlsafe(18),
                       validators=[DataRequired(), Length(16, 64)])


class EmailChangeForm(OnceForm):
    new_email = EmailField(_l("New email address"),
                           validators=[DataRequired(), Email(), Length(max=254)])
    reauth_password = PasswordField(_l("Your password"), validators=[DataRequired(),
                                                                     Length(max=200)])
    reauth_code = _code_field(_l("Code from your authenticator app"), required=False)


class ConfirmForm(BaseForm):
    """A button and its CSRF token: a link from an email changes nothing until it is pressed
    (mail scanners open links)."""


class AccessTokenForm(ReauthForm, OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("What it is for, e.g. the permit system's nightly sync."))
    scope = RadioField(_l("Access"), default="read",
                       choices=[(key, label) for key, label in access_tokens.SCOPES.items()])
    days = RadioField(_l("Valid for"), default="90", choices=[
        (str(days), _l("%(n)d days", n=days)) for days in access_tokens.LIFETIMES])


class RevokeForm(BaseForm):
    pass
