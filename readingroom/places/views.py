"""Staff screens for book rooms: list, create, edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..auth.permissions import require_community, scope_to_user, staff_required
from ..extensions import db
from ..i18n import localized
from .forms import RoomForm
from .models import Community, Room
from .operations import RoomData, format_hours, hours_by_weekday, managed_communities, save_room

bp = Blueprint("places", __name__, url_prefix="/staff/rooms")


def _room_form(room: Room | None = None) -> RoomForm:
    form = RoomForm(obj=room, room_id=room.id if room else None)
    form.community.choices = [SelectChoice(c.id, localized(c)) for c in managed_communities()]
    if room is not None and not form.is_submitted():
        form.community.data = room.community_id
        for day, intervals in hours_by_weekday(room).items():
            getattr(form, f"hours_{day}").data = format_hours(intervals)
    return form


def _room_data(form: RoomForm) -> RoomData:
    community = db.session.get(Community, form.community.data)
    require_community(community.id)
    return RoomData(
        community=community,
        name=form.name.data.strip(),
        slug=form.slug.data.strip(),
        address=form.address.data.strip(),
        seats=form.seats.data,
        name_en=(form.name_en.data or "").strip(),
        accessibility=form.accessibility.data or "",
        notes=form.notes.data or "",
        hours=form.hours(),
    )


@bp.get("/")
@staff_required
def index():
    stmt = scope_to_user(
        select(Room)
        .options(selectinload(Room.opening_hours), selectinload(Room.community))
        .order_by(Room.community_id, Room.id),
        Room.community_id,
    )
    return render_template("places/rooms.html", rooms=db.session.scalars(stmt).all())


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = _room_form()
    if form.validate_on_submit():
        room = save_room(_room_data(form))
        db.session.commit()
        flash(_("Book room %(name)s saved.", name=room.name), "success")
        return redirect(url_for("places.index"))
    return render_template("places/room_form.html", form=form, room=None)


@bp.route("/<int:room_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(room_id: int):
    room = db.get_or_404(Room, room_id)
    require_community(room.community_id)
    form = _room_form(room)
    if form.validate_on_submit():
        save_room(_room_data(form), room)
        db.session.commit()
        flash(_("Book room %(name)s saved.", name=room.name), "success")
        return redirect(url_for("places.index"))
    return render_template("places/room_form.html", form=form, room=room)
