"""Demo task lists for ``flask seed-demo`` (called from :mod:`readingroom.demo`).

A winter-holiday list for all three communities, running now and published;
last summer's list of Yaozhuang, archived (to try "copy"); and, when the demo
has households, ticks and reading-log entries for some of their children.
Running it again adds nothing that is already there.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..places.models import Community
from ..schedule.models import Program
from ..tasklists.models import ListStatus, Task, TaskKind, TaskList, TaskTick
from ..tasklists.operations import TickDetails, add_log_entry, tick_task
from ..timeutil import week_start

WINTER_TITLE = "寒假家庭阅读任务清单"
SUMMER_TITLE = "暑假家庭阅读任务清单（去年）"

# (week, kind, title, description, book title, author)
WINTER_TASKS = [
    (
        1,
        TaskKind.READ_TOGETHER,
        "和孩子一起读一本绘本",
        "每天睡前十五分钟，大人读，孩子指着图看。",
        "猜猜我有多爱你",
        "山姆·麦克布雷尼",
    ),
    (1, TaskKind.RETELL, "请孩子讲一讲故事", "读完后请孩子用自己的话讲给家人听。", "", ""),
    (1, TaskKind.VISIT, "到社区书房看一看", "参加一次书房的活动，或来借一本书。", "", ""),
    (
        2,
        TaskKind.READ_TOGETHER,
        "读一本关于过年的书",
        "一起说说家里是怎么过年的。",
        "团圆",
        "余丽琼",
    ),
    (2, TaskKind.DRAW, "画出故事的结尾", "换一个结尾也可以，画好后贴在冰箱上。", "", ""),
    (
        3,
        TaskKind.READ_TOGETHER,
        "读一本会数数的书",
        "边读边数一数，一共吃了多少东西？",
        "好饿的毛毛虫",
        "艾瑞·卡尔",
    ),
    (3, TaskKind.RETELL, "给爷爷奶奶讲一个故事", "可以打视频电话讲。", "", ""),
    (4, TaskKind.VISIT, "参加一次书房的亲子阅读活动", "签到后会自动打勾。", "", ""),
    (4, TaskKind.OTHER, "做一张自己的书签", "写上最喜欢的一句话。", "", ""),
    (5, TaskKind.READ_TOGETHER, "孩子挑一本书，大人来读", "让孩子自己到书架前选。", "", ""),
    (5, TaskKind.DRAW, "画一画最喜欢的角色", "", "", ""),
    (6, TaskKind.RETELL, "开一次家庭故事会", "每个人讲一个故事，孩子当主持人。", "", ""),
]


def _add_tasks(task_list: TaskList, specs: list) -> None:
    for position, (week, kind, title, description, book, author) in enumerate(specs):
        task_list.tasks.append(
            Task(
                week=week,
                kind=kind,
                title=title,
                description=description,
                book_title=book,
                book_author=author,
                position=position,
            )
        )


def seed_tasklists(today: date) -> str:
    """Load the demo task lists (and ticks when households exist); returns a summary."""
    program = db.session.scalars(select(Program).where(Program.slug == "parent-child")).first()
    if program is None:
        return ""
    existing = db.session.scalars(select(TaskList).where(TaskList.title == WINTER_TITLE)).first()
    added = ""
    if existing is None:
        starts_on = week_start(today) - timedelta(weeks=2)
        winter = TaskList(
            title=WINTER_TITLE,
            description="寒假不只是电视加手机：每天读一本书、讲一个故事。"
            "和孩子一起完成下面的任务，在方框里打勾；全部完成后可以打印奖状。",
            program=program,
            all_communities=True,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(weeks=6, days=-1),
            status=ListStatus.PUBLISHED,
        )
        _add_tasks(winter, WINTER_TASKS)
        db.session.add(winter)
        yaozhuang = db.session.scalars(
            select(Community).where(Community.slug == "yaozhuang")
        ).first()
        summer_start = week_start(date(today.year - 1, 7, 10))
        summer = TaskList(
            title=SUMMER_TITLE,
            description="去年暑假的清单，可以复制成今年的。",
            program=program,
            communities=[yaozhuang] if yaozhuang else [],
            all_communities=yaozhuang is None,
            starts_on=summer_start,
            ends_on=summer_start + timedelta(weeks=6, days=-1),
            status=ListStatus.ARCHIVED,
        )
        _add_tasks(summer, WINTER_TASKS)
        db.session.add(summer)
        db.session.flush()
        existing = winter
        added = "2 task lists"
    ticks = _seed_ticks(existing, today)
    if ticks:
        added = f"{added}, {ticks} ticks" if added else f"{ticks} ticks"
    return f"Task lists: {added}." if added else ""


def _seed_ticks(task_list: TaskList, today: date) -> int:
    """Ticks and log entries for the first children of the demo households (once).

    Made through the operations that the family pages use.
    """
    from ..families.models import Household, Member, MemberKind

    has_ticks = db.session.scalars(
        select(TaskTick.id).join(Task).where(Task.task_list_id == task_list.id).limit(1)
    ).first()
    if has_ticks is not None:
        return 0
    children = db.session.scalars(
        select(Member)
        .join(Household, Member.household_id == Household.id)
        .where(Member.kind == MemberKind.CHILD, Member.removed_at.is_(None))
        .order_by(Member.id)
        .limit(6)
    ).all()
    current_week = task_list.week_of(today) or task_list.week_count
    tasks = [t for t in task_list.counting_tasks if t.week <= current_week]
    made = 0
    for n, child in enumerate(children):
        # Some children are ahead, some behind: a spread worth looking at in the figures.
        for task in tasks[: max(1, len(tasks) - n * 2)]:
            minutes = 15 + 5 * (task.id % 4) if task.kind is TaskKind.READ_TOGETHER else None
            tick_task(task, child, TickDetails(minutes=minutes))
            made += 1
        add_log_entry(
            task_list,
            child,
            title="小猪佩奇" if n % 2 else "一园青菜成了精",
            minutes=20 + 5 * n,
            read_on=max(task_list.starts_on, today - timedelta(days=n + 1)),
        )
    return made
