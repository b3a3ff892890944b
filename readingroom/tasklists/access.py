"""Who may see and change which task list.

The rule (staff):

* the subdistrict administrator sees and edits every list;
* community staff **see** a list that is for all communities or for at least
  one of their communities, and **edit** (tasks, period, status) only a list
  whose communities are all theirs. A list "for all communities" is edited by
  the administrator only, and so is a list shared with a community that is
  not theirs: nobody changes another community's list behind its back;
* figures shown to community staff only count households of their own
  communities, even on a shared list.

The rule (households): a list is theirs to see and tick when it is published,
meant for their home community (``Household.community_id``) and its period
has begun. Archived and draft lists, future lists and other communities'
lists are not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select

from ..auth.permissions import community_ids_of, is_staff
from ..places.models import Community
from .models import ListStatus, TaskList, task_list_community


def can_view(user: Any, task_list: TaskList) -> bool:
    if not is_staff(user):
        return False
    ids = community_ids_of(user)
    if ids is None or task_list.all_communities:
        return True
    return bool(task_list.community_ids() & ids)


def can_edit(user: Any, task_list: TaskList) -> bool:
    if not is_staff(user):
        return False
    ids = community_ids_of(user)
    if ids is None:
        return True
    if task_list.all_communities:
        return False
    own = task_list.community_ids()
    return bool(own) and own <= ids


def may_set_all_communities(user: Any) -> bool:
    return is_staff(user) and community_ids_of(user) is None


def visible_lists(user: Any) -> Select:
    """The lists a staff user may see (newest period first)."""
    stmt = select(TaskList).order_by(TaskList.starts_on.desc(), TaskList.id.desc())
    ids = community_ids_of(user)
    if ids is None:
        return stmt
    shared = select(task_list_community.c.task_list_id).where(
        task_list_community.c.community_id.in_(ids)
    )
    return stmt.where(or_(TaskList.all_communities, TaskList.id.in_(shared)))


def figure_scope(user: Any) -> set[int] | None:
    """Communities whose households a staff user's figures include (``None``: all)."""
    return community_ids_of(user)


def copy_audience(
    user: Any, source: TaskList, managed: list[Community]
) -> tuple[bool, list[Community]]:
    """Who a copy made by ``user`` is for: ``(all communities, communities)``.

    The administrator keeps the source's audience as it is. Community staff
    get the source's communities cut down to their own (all of their own for
    a list for all communities). Nobody: the user may not copy the list.
    """
    if community_ids_of(user) is None:
        return source.all_communities, list(source.communities)
    if source.all_communities:
        return False, list(managed)
    own = source.community_ids()
    return False, [c for c in managed if c.id in own]


def household_may_see(task_list: TaskList, community_id: int, today: date) -> bool:
    """A household of ``community_id`` sees (and ticks) the list today."""
    return (
        task_list.status is ListStatus.PUBLISHED
        and task_list.starts_on <= today
        and task_list.applies_to(community_id)
    )


def lists_for_community(community_id: int, today: date) -> Select:
    """Published lists for a community whose period has begun (current first)."""
    shared = select(task_list_community.c.task_list_id).where(
        task_list_community.c.community_id == community_id
    )
    return (
        select(TaskList)
        .where(
            TaskList.status == ListStatus.PUBLISHED,
            TaskList.starts_on <= today,
            or_(TaskList.all_communities, TaskList.id.in_(shared)),
        )
        .order_by(TaskList.ends_on.desc(), TaskList.id.desc())
    )
