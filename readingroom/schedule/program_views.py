"""The subdistrict administrator's screens for strands (阅读板块)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.permissions import admin_required
from ..extensions import db
from .forms import ProgramForm
from .models import Program
from .programs import PROGRAM_FIELDS, save_program

bp = Blueprint("programs", __name__, url_prefix="/staff/programs")


def _values(form: ProgramForm) -> dict[str, object]:
    values = {name: getattr(form, name).data for name in PROGRAM_FIELDS}
    for name in ("name", "name_en", "slug", "description", "description_en"):
        values[name] = (values[name] or "").strip()
    values["colour"] = values["colour"].lower()
    return values


@bp.get("/")
@admin_required
def index():
    programs = db.session.scalars(select(Program).order_by(Program.id)).all()
    return render_template("schedule/programs.html", programs=programs)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = ProgramForm()
    if not form.is_submitted():
        form.colour.data = "#2f6f4e"
    if form.validate_on_submit():
        program = save_program(_values(form))
        db.session.commit()
        flash(_("Strand %(name)s saved.", name=program.name), "success")
        return redirect(url_for("programs.index"))
    return render_template("schedule/program_form.html", form=form, program=None)


@bp.route("/<int:program_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(program_id: int):
    program = db.get_or_404(Program, program_id)
    form = ProgramForm(obj=program, program_id=program.id)
    if form.validate_on_submit():
        save_program(_values(form), program)
        db.session.commit()
        flash(_("Strand %(name)s saved.", name=program.name), "success")
        return redirect(url_for("programs.index"))
    return render_template("schedule/program_form.html", form=form, program=program)
