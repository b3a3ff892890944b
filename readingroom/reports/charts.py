"""ECharts options for the figures page (drawn by static/reports.js with the SVG renderer).

Every series carries its strand's name (legend, tooltip, and ECharts' ``aria``
description and decal patterns), so colour never carries the meaning alone; the
table under each chart has the same numbers.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..i18n import localized
from .figures import Figures
from .tables import AGE_LABELS, month_label

_BASE: dict[str, Any] = {
    "aria": {"enabled": True, "decal": {"show": True}},
    "animation": False,
    "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
    "grid": {"left": 8, "right": 16, "top": 48, "bottom": 8, "containLabel": True},
    "textStyle": {
        "fontFamily": 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
        "fontSize": 14,
    },
}


def _chart(title: str, categories: list[str], series: list[dict[str, Any]], **extra: Any):
    option = {
        **_BASE,
        "title": {"show": False, "text": title},
        "legend": {"top": 0, "type": "scroll"},
        "xAxis": {
            "type": "category",
            "data": categories,
            # Few categories: every label; many (a year of months): ECharts leaves out
            # overlapping ones and tilts the rest.
            "axisLabel": {"interval": 0}
            if len(categories) <= 6
            else {"hideOverlap": True, "rotate": 30},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series,
    }
    option.update(extra)
    return option


def _strand_series(f: Figures, values: dict[int, list[int]]) -> list[dict[str, Any]]:
    programs = f.labels.programs
    return [
        {
            "name": localized(programs[pid]),
            "type": "bar",
            "stack": "visits",
            "itemStyle": {"color": programs[pid].colour},
            "data": data,
        }
        for pid, data in values.items()
        if any(data)
    ]


def charts(f: Figures) -> dict[str, dict[str, Any]]:
    """The four charts of the page, by the key of the table that goes with each."""
    months = f.months
    strands = sorted({pid for _m, pid in f.by_month_strand}, key=list(f.labels.programs).index)
    per_month = {
        pid: [
            f.by_month_strand[(m, pid)].visits if (m, pid) in f.by_month_strand else 0
            for m in months
        ]
        for pid in strands
    }
    communities = list(f.by_community)
    per_community = {
        pid: [
            f.by_community_strand[(cid, pid)].visits if (cid, pid) in f.by_community_strand else 0
            for cid in communities
        ]
        for pid in sorted(
            {pid for _c, pid in f.by_community_strand}, key=list(f.labels.programs).index
        )
    }
    ages = list(f.by_age)
    strand_ids = [pid for pid, c in f.by_strand.items() if c.capacity]
    return {
        "month": _chart(
            _("Visits per month, by strand"),
            [month_label(m) for m in months],
            _strand_series(f, per_month),
        ),
        "community": _chart(
            _("Visits per community, by strand"),
            [localized(f.labels.communities[c]) for c in communities],
            _strand_series(f, per_community),
        ),
        "age": _chart(
            _("Visits by age group"),
            [str(AGE_LABELS[g]) for g in ages],
            [
                {
                    "name": _("Visits"),
                    "type": "bar",
                    "itemStyle": {"color": "#1e6b52"},
                    "label": {"show": True, "position": "top"},
                    "data": [f.by_age[g].visits for g in ages],
                }
            ],
        ),
        "strand": _chart(
            _("Fill rate per strand"),
            [localized(f.labels.programs[p]) for p in strand_ids],
            [
                {
                    "name": _("Fill rate"),
                    "type": "bar",
                    "label": {"show": True, "position": "top", "formatter": "{c}%"},
                    "data": [
                        {
                            "value": round((f.by_strand[p].fill_rate or 0) * 100, 1),
                            "itemStyle": {"color": f.labels.programs[p].colour},
                        }
                        for p in strand_ids
                    ],
                }
            ],
            yAxis={"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        ),
    }
