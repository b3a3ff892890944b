"""The family's notices page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from sqlalchemy import select

from ..auth.permissions import current_household, household_required
from ..extensions import db
from ..formutil import ActionForm
from . import operations as notices
from .models import Notice
from .operations import notice_text

bp = Blueprint("notices", __name__)


@bp.get("/family/notices")
@household_required
def notices_page():
    household = current_household()
    items = db.session.scalars(
        select(Notice)
        .where(Notice.household_id == household.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(100)
    ).all()
    return render_template(
        "notices/notices.html", items=items, text=notice_text, action=ActionForm()
    )


@bp.post("/family/notices/read")
@household_required
def notices_read():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    notices.mark_all_read(current_household().id)
    db.session.commit()
    return redirect(url_for("notices.notices_page"))
