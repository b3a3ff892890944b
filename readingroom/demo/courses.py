"""The demo's summer reading course (暑期阅读课程, the programme's own course): one
course of 8 picture-book lessons with 新华书店 as partner, run at the same time in
Yaozhuang's Peony Book Room, Sunzhuang and Donghe (each run a weekly series), its
storyteller hosting some lessons in every community. Like all the demo data it is
placed around today (from the next Saturday on), so that it can be tried in any month.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from ..extensions import db
from ..places.models import Community, Room
from ..schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    save_course,
    schedule_course,
)
from ..schedule.courses import Course, Host, Partner
from ..schedule.models import Program, Series

COURSE_TITLE = "暑期阅读课程"

# (topic, books, description, materials, storyteller hosts)
LESSONS = [
    (
        "爱的表达",
        "《猜猜我有多爱你》（山姆·麦克布雷尼）",
        "读小兔子和大兔子比赛谁更爱谁，说一说、比一比：你怎样告诉家人你爱他们？",
        "一支彩笔",
        False,
    ),
    (
        "从毛毛虫到蝴蝶",
        "《好饿的毛毛虫》（艾瑞·卡尔）",
        "跟着毛毛虫吃过一星期，数一数、戳一戳洞洞书，认识星期和数字。",
        "",
        False,
    ),
    (
        "过年回家",
        "《团圆》（余丽琼 文，朱成梁 图）",
        "爸爸回家过年的几天：说说自己家团圆时做什么。",
        "一张全家福（可选）",
        False,
    ),
    (
        "故事姐姐讲故事",
        "《小蝌蚪找妈妈》",
        "新华书店的故事姐姐带来一场故事会，孩子们一起演一演小蝌蚪。",
        "",
        True,
    ),
    (
        "想象力大冒险",
        "《野兽国》（莫里斯·桑达克）",
        "麦克斯的野兽国在哪里？画一画你的野兽。",
        "画纸和蜡笔",
        False,
    ),
    (
        "家的味道",
        "《一园青菜成了精》（周翔）",
        "读童谣、认蔬菜，回家和爸爸妈妈一起做一道菜。",
        "",
        False,
    ),
    (
        "勇敢的心",
        "《我爸爸》（安东尼·布朗）",
        "说说你的爸爸（或家里的大人）有哪些了不起的地方。",
        "",
        False,
    ),
    (
        "结业故事会",
        "《爷爷一定有办法》（菲比·吉尔曼）",
        "故事姐姐和大家一起回顾八周读过的书，每个家庭讲一个自己最喜欢的故事。",
        "自己最喜欢的一本书",
        True,
    ),
]

# Same Saturdays everywhere; times apart, so that the storyteller can go from one to the next.
RUNS = [
    ("yaozhuang-peony", "yaozhuang", "王晓燕老师", time(9, 0), time(10, 0)),
    ("donghe-academy", "donghe", "赵敏老师", time(10, 15), time(11, 15)),
    ("sunzhuang-academy", "sunzhuang", "陈静老师", time(11, 30), time(12, 30)),
]


def seed_course(
    first_saturday: date,
    rooms: dict[str, Room],
    communities: dict[str, Community],
    program: Program,
) -> tuple[Course, list[Series]]:
    """The course, its lessons, its hosts and its three runs (nothing if it clashes)."""
    partner = Partner(name="新华书店", contact="定陶区新华书店 少儿部 0530-0000000")
    storyteller = Host(name="故事姐姐 刘婷", partner=partner)
    db.session.add_all([partner, storyteller])
    course = save_course(
        CourseData(
            title=COURSE_TITLE,
            program=program,
            first_date=first_saturday,
            last_date=first_saturday + timedelta(weeks=9),
            partner=partner,
            description="每周六，孩子和家长一起读一本绘本，讲一讲、画一画。姚庄、孙庄、董河三个社区同步开课；"
            "请带一位家长陪同；地垫上坐，穿方便的衣服。",
        )
    )
    for topic, books, description, materials, by_storyteller in LESSONS:
        add_lesson(
            course,
            LessonData(
                topic=topic,
                suggested_books=books,
                description=description,
                materials=materials,
                host=storyteller if by_storyteller else None,
            ),
        )
    runs = []
    for room_slug, community_slug, teacher, start, end in RUNS:
        host = Host(name=teacher, community=communities[community_slug])
        db.session.add(host)
        runs.append(RunData(rooms[room_slug], 5, start, end, capacity=16, host=host))
    db.session.flush()
    return course, schedule_course(course, runs)
