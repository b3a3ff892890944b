"""Forms of the privacy pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..families.forms import LoginForm, mobile_field
from ..formutil import Form


class HouseholdSearchForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    mobile = mobile_field(_l("Full mobile number of the guardian"))


class DeleteAccountForm(Form):
    """Deleting the family account asks for the password again (checked by the view)."""

    password = LoginForm.password
