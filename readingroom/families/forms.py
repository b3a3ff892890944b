"""Forms of family accounts and members. Messages sit next to the field they are about."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from ..auth.passwords import MAX_LENGTH, password_problem
from ..formutil import Form, IdSelectField, WholeNumberField
from ..timeutil import age_on, beijing_today
from .models import AdultRole
from .operations import household_by_mobile
from .phones import is_mobile, normalise_mobile

OLDEST = 120  # years
CONSENT_LABEL = _l(
    "I agree that my children's given names and birth year and month are kept "
    "as the privacy notice describes."
)


class MobileField(StringField):
    """An 11-digit Chinese mobile number; spaces, hyphens and +86 are accepted and dropped."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.raw = self.data
        self.data = normalise_mobile(self.data)

    def pre_validate(self, form):
        if self.data and not is_mobile(self.data):
            raise ValidationError(
                str(_l("Enter an 11-digit mobile number starting with 1, e.g. 13812345678."))
            )

    def _value(self):
        return getattr(self, "raw", None) or self.data or ""


def mobile_field(label=None) -> MobileField:
    return MobileField(
        label or _l("Mobile number"),
        validators=[DataRequired(_l("Enter your mobile number."))],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "type": "tel"},
    )


class NewPasswordMixin:
    """A new password: at least 8 characters, no composition rules, common ones refused."""

    password = PasswordField(
        _l("Password"),
        description=_l("At least 8 characters. A short sentence is easy to remember."),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(max=MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(_l("Type the password again."))],
        render_kw={"autocomplete": "new-password"},
    )

    def check_new_password(self, *, mobile: str = "", name: str = "") -> bool:
        """Both problems at once: a password too short and a second one that differs."""
        ok = True
        problem = password_problem(self.password.data or "", mobile=mobile, name=name)
        if problem:
            self.password.errors.append(problem)
            ok = False
        if self.password_again.data and self.password.data != self.password_again.data:
            self.password_again.errors.append(_l("The two passwords are not the same."))
            ok = False
        return ok


class RegisterForm(NewPasswordMixin, Form):
    guardian_name = StringField(
        _l("Your name"),
        description=_l("How the staff address you, e.g. 王女士."),
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=40, message=_l("Keep the name under %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    mobile = mobile_field()
    community = IdSelectField(_l("Your community"))
    consent = BooleanField(CONSENT_LABEL)

    def validate_mobile(self, field):
        if field.data and household_by_mobile(field.data) is not None:
            raise ValidationError(
                str(_l("This number already has a family account. Log in, or ask the staff."))
            )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.password.data and not self.password.errors:
            ok = (
                self.check_new_password(
                    mobile=self.mobile.data or "", name=self.guardian_name.data or ""
                )
                and ok
            )
        return ok


class LoginForm(Form):
    mobile = mobile_field()
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ResetPasswordForm(NewPasswordMixin, Form):
    """Checked with :meth:`check_new_password` once the account's number is known."""


class ConsentForm(Form):
    consent = BooleanField(
        CONSENT_LABEL, validators=[InputRequired(_l("Tick the box to agree, or go back."))]
    )


class MarkedRequired:
    """Marks a field required (the * by its label) whose presence the form checks itself,
    with a message of its own (the child's birth year and month)."""

    def __init__(self):
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        return None


class _MemberFields(Form):
    given_name = StringField(
        _l("Given name"),
        description=_l("A given name or nickname is enough, e.g. 小明."),
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=40, message=_l("The given name can have at most %(max)d characters.")),
        ],
    )
    birth_year = WholeNumberField(
        _l("Birth year"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    birth_month = WholeNumberField(
        _l("Birth month"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )


class ChildForm(_MemberFields):
    """A child: given name, birth year and month (no ID number, no full birthday)."""

    MAX_AGE = 17

    birth_year = WholeNumberField(
        _l("Birth year"),
        validators=[MarkedRequired(), Optional()],
        render_kw={"inputmode": "numeric"},
    )
    birth_month = WholeNumberField(
        _l("Birth month"),
        validators=[MarkedRequired(), Optional()],
        render_kw={"inputmode": "numeric"},
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        today = beijing_today()
        year, month = self.birth_year.data, self.birth_month.data
        if year is None and not self.birth_year.errors:
            self.birth_year.errors.append(_l("Enter the birth year, e.g. 2019."))
            ok = False
        month_missing = month is None and not self.birth_month.errors
        if month_missing or (month is not None and not 1 <= month <= 12):
            self.birth_month.errors.append(_l("Enter the birth month (1–12)."))
            ok = False
        if year is not None:
            if (year, month or 1) > (today.year, today.month):
                self.birth_year.errors.append(_l("The birth date cannot be in the future."))
                ok = False
            elif age_on(year, month or 1, today) > self.MAX_AGE:
                self.birth_year.errors.append(
                    _l(
                        "Children are up to %(max)d years old; add an adult instead.",
                        max=self.MAX_AGE,
                    )
                )
                ok = False
        return ok


class AdultForm(_MemberFields):
    """An adult: name and role; the birth year only matters for strands with ages (长者悦读)."""

    role = SelectField(
        _l("Role in the family"),
        choices=[
            SelectChoice(AdultRole.SELF.value, _l("Myself")),
            SelectChoice(AdultRole.SPOUSE.value, _l("Spouse")),
            SelectChoice(AdultRole.GRANDPARENT.value, _l("Grandparent")),
            SelectChoice(AdultRole.RELATIVE.value, _l("Other relative")),
            SelectChoice(AdultRole.OTHER.value, _l("Other")),
        ],
    )

    MIN_AGE = 16

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        year = self.birth_year.data
        if year is not None:
            age = beijing_today().year - year
            if not self.MIN_AGE <= age <= OLDEST:
                self.birth_year.errors.append(
                    _l(
                        "Enter a birth year between %(first)d and %(last)d.",
                        first=beijing_today().year - OLDEST,
                        last=beijing_today().year - self.MIN_AGE,
                    )
                )
                ok = False
        month = self.birth_month.data
        if month is not None and not 1 <= month <= 12:
            self.birth_month.errors.append(_l("Enter the birth month (1–12)."))
            ok = False
        return ok


class ForgotPasswordForm(Form):
    """The number to send a 6-digit code to (reset_codes.py)."""

    mobile = mobile_field()


class ResetCodeForm(NewPasswordMixin, Form):
    """The code from the SMS and the new password; checked with :meth:`check_new_password`."""

    code = StringField(
        _l("Code from the SMS"),
        description=_l("6 digits, valid for 10 minutes."),
        validators=[
            DataRequired(_l("Enter the 6-digit code from the SMS.")),
            Regexp(r"^\s*\d{6}\s*$", message=_l("The code has 6 digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
