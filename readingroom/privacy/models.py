"""The reveal log: every time staff look at a family's full mobile number."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..families.models import Household
    from ..staff.models import StaffUser


class PhoneReveal(db.Model):
    """A staff member looked at a household's full mobile number (logged every time)."""

    __tablename__ = "phone_reveal"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(ForeignKey("reading_session.id"))
    revealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[StaffUser] = relationship()
    household: Mapped[Household] = relationship()

    def __repr__(self) -> str:
        return f"<PhoneReveal staff={self.staff_id} household={self.household_id}>"
