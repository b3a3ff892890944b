"""When each scheduled job of the worker last ran (so that several workers run it once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class JobRun(db.Model):
    """One row per scheduled job; read and written under the job's lock (see ``worker``)."""

    __tablename__ = "ops_job_run"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str] = mapped_column(String(300), default="")

    def __repr__(self) -> str:
        return f"<JobRun {self.name} {self.last_finished_at}>"
