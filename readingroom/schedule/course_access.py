"""Who sees and changes which courses and hosts (the views and other domains ask here).

``community_ids`` is what :func:`readingroom.auth.permissions.community_ids_of` gives:
``None`` for the administrator (everything), else the staff member's communities. A course
without a community is the subdistrict's: every staff member sees it, only the
administrator changes it.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from .courses import Course, Host


def courses_visible_to(community_ids: set[int] | None) -> Select:
    """The courses, latest first: all (administrator), else the subdistrict's and their own."""
    stmt = select(Course).order_by(Course.first_date.desc(), Course.id.desc())
    if community_ids is None:
        return stmt
    return stmt.where(or_(Course.community_id.is_(None), Course.community_id.in_(community_ids)))


def may_see_course(community_ids: set[int] | None, course: Course) -> bool:
    return (
        community_ids is None
        or course.community_id is None
        or (course.community_id in community_ids)
    )


def may_edit_course(community_ids: set[int] | None, course: Course) -> bool:
    return community_ids is None or (
        course.community_id is not None and course.community_id in community_ids
    )


def hosts_visible_to(community_ids: set[int] | None) -> Select:
    """Every partner's hosts, and the hosts of these communities (all for the administrator)."""
    stmt = select(Host).order_by(Host.partner_id.is_(None), Host.id)
    if community_ids is None:
        return stmt
    return stmt.where(or_(Host.partner_id.is_not(None), Host.community_id.in_(community_ids)))
