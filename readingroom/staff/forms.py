from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..formutil import Form, IdCheckboxesField


class LoginForm(Form):
    login = StringField(
        _l("Login name"), validators=[DataRequired(_l("Enter your login name.")), Length(max=64)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)]
    )
    next = HiddenField()


class StaffUserForm(Form):
    """The administrator's form for a staff account."""

    login = StringField(
        _l("Login name"),
        validators=[
            DataRequired(_l("Enter a login name.")),
            Length(max=64, message=_l("Keep the login name under %(max)d characters.")),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots, hyphens.")),
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the name.")), Length(max=80)],
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("staff", _l("Community staff")),
            SelectChoice("admin", _l("Subdistrict administrator")),
        ],
    )
    communities = IdCheckboxesField(_l("Communities"))
    active = BooleanField(_l("Account active"), default=True)
    password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. Leave empty to keep the current password."),
        validators=[
            Optional(),
            Length(min=8, max=200, message=_l("The password needs at least %(min)d characters.")),
        ],
    )

    def __init__(self, *args, user_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user_id = user_id

    def validate_login(self, field: StringField) -> None:
        from .operations import staff_by_login

        other = staff_by_login(field.data or "")
        if other is not None and other.id != self._user_id:
            raise ValidationError(_l("This login name is taken."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self._user_id is None and not self.password.data:
            self.password.errors.append(_l("Set a password for the new account."))
            ok = False
        if self.role.data == "staff" and not self.communities.data:
            self.communities.errors.append(_l("Choose at least one community."))
            ok = False
        return ok
