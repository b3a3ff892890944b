"""Communities (社区) and book rooms (书房) with their opening hours."""

from __future__ import annotations

from datetime import time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin


class Community(db.Model):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(80))

    rooms: Mapped[list[Room]] = relationship(back_populates="community", order_by="Room.id")

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"


class Room(TimestampMixin, db.Model):
    """A book room (书房), usually inside a community's culture academy."""

    __tablename__ = "room"
    __table_args__ = (
        CheckConstraint("seats > 0", name="seats_positive"),
        # the feeds' and pages' validators read the latest update of any room on
        # every request (calendars/queries.py): one index lookup, not a scan of a
        # city's thousands of rooms
        Index("ix_room_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))
    seats: Mapped[int]
    accessibility: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    community: Mapped[Community] = relationship(back_populates="rooms")
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="room",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
    )

    def hours_on(self, weekday: int) -> list[OpeningHours]:
        return [h for h in self.opening_hours if h.weekday == weekday]

    def __repr__(self) -> str:
        return f"<Room {self.slug}>"


class OpeningHours(db.Model):
    """One opening interval of a room on a weekday (0 = Monday); a day may have several."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        UniqueConstraint("room_id", "weekday", "opens"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]

    room: Mapped[Room] = relationship(back_populates="opening_hours")

    def __repr__(self) -> str:
        return f"<OpeningHours room={self.room_id} {self.weekday} {self.opens}-{self.closes}>"
