"""Fixtures and factories of families, members and sign-ups (a pytest plugin, see conftest)."""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest
from flask.testing import FlaskClient

from readingroom.extensions import db
from readingroom.families.models import AdultRole, Household, Member, MemberKind
from readingroom.places.models import Community
from readingroom.timeutil import beijing_today, utcnow
from tests.conftest import PASSWORD, PASSWORD_HASH

_mobiles = count(10_000_000)


def next_mobile() -> str:
    return f"138{next(_mobiles):08d}"


def birth_for_age(age: int, today: date | None = None) -> tuple[int, int]:
    """A birth year and month that make someone ``age`` throughout the coming four weeks.

    The birthday month is two months ahead, so no birthday falls in between.
    """
    today = today or beijing_today()
    month = today.month + 2
    if month <= 12:
        return today.year - age - 1, month
    return today.year - age, month - 12


class FamilyFactory:
    """Households with members; every call commits (live servers see it)."""

    def __init__(self, make):
        self.make = make

    def household(
        self,
        community: Community | None = None,
        *,
        children: tuple[tuple[str, int], ...] = (("小明", 6),),
        adults: tuple[str, ...] = ("妈妈",),
        consent: bool = True,
        mobile: str | None = None,
        name: str = "王女士",
    ) -> Household:
        household = Household(
            guardian_name=name,
            mobile=mobile or next_mobile(),
            password_hash=PASSWORD_HASH,
            community=community or self.make.community(),
            consent_at=utcnow() if consent else None,
            consent_version="2026-07" if consent else "",
        )
        db.session.add(household)
        db.session.flush()
        for child_name, age in children:
            _member(household, MemberKind.CHILD, child_name, age=age)
        for i, adult_name in enumerate(adults):
            role = AdultRole.SELF if i == 0 else AdultRole.GRANDPARENT
            _member(household, MemberKind.ADULT, adult_name, role=role)
        db.session.commit()
        return household

    def adult(self, household: Household, name: str = "爷爷", age: int | None = None) -> Member:
        member = _member(household, MemberKind.ADULT, name, age=age, role=AdultRole.GRANDPARENT)
        db.session.commit()
        return member

    def child(self, household: Household, name: str = "小红", age: int = 5) -> Member:
        member = _member(household, MemberKind.CHILD, name, age=age)
        db.session.commit()
        return member


def _member(
    household: Household,
    kind: MemberKind,
    name: str,
    *,
    age: int | None = None,
    role: AdultRole | None = None,
) -> Member:
    year, month = birth_for_age(age) if age is not None else (None, None)
    member = Member(
        household_id=household.id,
        kind=kind,
        given_name=name,
        birth_year=year,
        birth_month=month,
        role=role,
    )
    db.session.add(member)
    return member


@pytest.fixture
def family(make) -> FamilyFactory:
    return FamilyFactory(make)


def member_ids(household: Household) -> list[int]:
    return [m.id for m in household.members]


def household_login(client: FlaskClient, household: Household, password: str = PASSWORD):
    db.session.commit()
    return client.post("/family/login", data={"mobile": household.mobile, "password": password})
