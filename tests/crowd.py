"""A crowd of families, for the tests and benchmarks that sign many up at the same moment
(no pytest here: benchmarks/load.py imports it too)."""

from __future__ import annotations

from readingroom.extensions import db
from readingroom.families.models import AdultRole, Household, Member, MemberKind
from readingroom.places.models import Community


def one_adult_households(
    community: Community, count: int, *, mobile_prefix: str, password_hash: str
) -> list[tuple[str, int]]:
    """``count`` households of one adult each (mobile ``<prefix>0000`` on); their mobile
    numbers and member ids. Flushed, not committed."""
    families = []
    for i in range(count):
        household = Household(
            guardian_name=f"家长{i}",
            mobile=f"{mobile_prefix}{i:04d}",
            password_hash=password_hash,
            community=community,
        )
        db.session.add(household)
        db.session.flush()
        member = Member(
            household_id=household.id,
            kind=MemberKind.ADULT,
            given_name=f"成人{i}",
            role=AdultRole.SELF,
        )
        db.session.add(member)
        db.session.flush()
        families.append((household.mobile, member.id))
    return families
