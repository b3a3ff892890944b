"""Form fixes of the walk-through (issue 12): required marks, a length message that names
its field, "Back" keeping ``?next``, both password problems reported at once."""

from __future__ import annotations

from .fixtures_families import household_login


def test_the_child_form_marks_required_fields_and_names_the_field_when_too_long(client, family):
    household_login(client, family.household())
    html = client.get("/family/members/new/child?next=/sessions/7/signup").get_data(as_text=True)
    for name in ("given_name", "birth_year", "birth_month"):
        label = html[html.index(f'for="{name}"') :]
        assert label.index('class="req"') < label.index("</label>"), name
    assert 'href="/family/?next=/sessions/7/signup"' in html  # "Back" keeps where they go
    html = client.post(
        "/family/members/new/child",
        data={"given_name": "长" * 41, "birth_year": "2019", "birth_month": "5"},
    ).get_data(as_text=True)
    assert "名字最多 40 个字。" in html and 'value="' + "长" * 41 + '"' in html


def test_register_reports_a_mismatch_even_when_the_password_is_too_short(client, make):
    community = make.community()
    html = client.post(
        "/family/register",
        data={
            "guardian_name": "王女士",
            "mobile": "13900001111",
            "password": "short",
            "password_again": "other",
            "community": community.id,
            "consent": "y",
        },
    ).get_data(as_text=True)
    assert 'id="password-error"' in html and 'id="password_again-error"' in html
