"""Forms of the privacy pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ..families.forms import LoginForm, mobile_field


class HouseholdSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    mobile = mobile_field(_l("Full mobile number of the guardian"))


class DeleteAccountForm(FlaskForm):
    """Deleting the family account asks for the password again (checked by the view)."""

    password = LoginForm.password
