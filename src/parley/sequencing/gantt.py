"""The Gantt chart of a checked plan, as a plotly figure built on the server.

One row per step (and one per milestone). For each step:

* a light bar, "Latest window": from its earliest start to its latest end, the span it may
  occupy without breaking the plan (to the chart's edge when nothing bounds it from above);
* a solid bar from its earliest start to its earliest end: the schedule that finishes soonest,
  in red on the "Critical path" trace when the step is critical, otherwise "Earliest schedule".

Milestones are diamonds at their earliest day, red when critical. With an origin date the
x axis is the calendar (bars are ``base`` = a date plus a length in milliseconds, which is how
plotly draws timelines); without one it counts days from the plan start. Every bar carries the
step key in ``customdata``, so tests and scripts can read the figure without parsing labels.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

from parley.sequencing.queries import PLAN_START, ProcessPlan
from parley.warmup import plotly_objects

DAY_MS = 86_400_000
LIGHT = "rgba(31, 95, 168, 0.22)"
SOLID = "#1f5fa8"
CRITICAL = "#b3261e"
MOVED = "#8a5a00"


def _x(origin: date | None, day: int) -> Any:
    return (origin + timedelta(days=day)).isoformat() if origin else day


def _length(origin: date | None, days: int) -> int:
    return days * DAY_MS if origin else days


def _when(origin: date | None, day: int | None) -> str:
    if day is None:
        return "open (nothing bounds it)"
    if origin is None:
        return f"day {day}"
    return f"{(origin + timedelta(days=day)).isoformat()} (day {day})"


def gantt_figure(
    pp: ProcessPlan,
    earliest: Mapping[str, int | None],
    latest: Mapping[str, int | None],
    highlight: Collection[str],
    *,
    highlight_name: str = "Critical path",
    highlight_color: str = CRITICAL,
    title: str | None = None,
) -> dict[str, Any]:
    """The figure as a plain dict (``fig.to_json()`` parsed): data and layout.

    ``highlight`` holds the step keys and milestone keys drawn on the highlighted trace (the
    critical ones on the plan page, the moved ones in a what-if).
    """
    import json

    origin = pp.origin_date
    finite = [v for v in (*earliest.values(), *latest.values()) if v is not None]
    last = max(finite, default=0)
    horizon = last + max(7, last // 10)

    rows: list[tuple[int, str]] = []
    window: dict[str, list[Any]] = {"y": [], "base": [], "x": [], "text": [], "key": []}
    solid: dict[bool, dict[str, list[Any]]] = {
        flag: {"y": [], "base": [], "x": [], "text": [], "key": []} for flag in (False, True)
    }
    for s in pp.steps:
        start, end = earliest.get(f"{s.key}.start"), earliest.get(f"{s.key}.end")
        if start is None or end is None:
            continue
        late_start, late_end = latest.get(f"{s.key}.start"), latest.get(f"{s.key}.end")
        rows.append((start, s.key))
        hover = (
            f"<b>{s.title}</b><br>earliest {_when(origin, start)} → {_when(origin, end)}"
            f"<br>latest start {_when(origin, late_start)}, latest end {_when(origin, late_end)}"
        )
        edge = late_end if late_end is not None else horizon
        window["y"].append(s.key)
        window["base"].append(_x(origin, start))
        window["x"].append(_length(origin, max(edge - start, 0)))
        window["text"].append(hover)
        window["key"].append(s.key)
        bar = solid[s.key in highlight]
        bar["y"].append(s.key)
        bar["base"].append(_x(origin, start))
        bar["x"].append(_length(origin, end - start))
        bar["text"].append(hover)
        bar["key"].append(s.key)

    marks: dict[bool, dict[str, list[Any]]] = {
        flag: {"y": [], "x": [], "text": [], "key": []} for flag in (False, True)
    }
    milestone_names = [m.key for m in pp.milestones]
    if pp.origin == PLAN_START:
        milestone_names.insert(0, PLAN_START)
    for key in milestone_names:
        day = earliest.get(key)
        if day is None:
            continue
        label = pp.label(key)
        rows.append((day, key))
        mark = marks[key in highlight]
        mark["y"].append(key)
        mark["x"].append(_x(origin, day))
        mark["text"].append(
            f"<b>{label}</b><br>earliest {_when(origin, day)}"
            f"<br>latest {_when(origin, latest.get(key))}"
        )
        mark["key"].append(key)

    order = [key for _, key in sorted(rows, key=lambda r: (r[0], r[1]))]
    go = plotly_objects()
    fig = go.Figure(layout={"template": "none"})

    def bars(name: str, data: dict[str, list[Any]], color: str, width: float) -> None:
        if not data["y"]:
            return
        fig.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                y=data["y"],
                base=data["base"],
                x=data["x"],
                customdata=data["key"],
                hovertext=data["text"],
                hoverinfo="text",
                marker={"color": color},
                width=width,
            )
        )

    bars("Latest window", window, LIGHT, 0.8)
    bars("Earliest schedule", solid[False], SOLID, 0.45)
    bars(highlight_name, solid[True], highlight_color, 0.45)
    for flag, name, color in (
        (False, "Milestones", SOLID),
        (True, f"{highlight_name} (milestones)", highlight_color),
    ):
        data = marks[flag]
        if data["y"]:
            fig.add_trace(
                go.Scatter(
                    name=name,
                    mode="markers",
                    y=data["y"],
                    x=data["x"],
                    customdata=data["key"],
                    hovertext=data["text"],
                    hoverinfo="text",
                    marker={"symbol": "diamond", "size": 12, "color": color},
                )
            )
    fig.update_layout(
        title={"text": title} if title else None,
        barmode="overlay",
        height=max(260, 60 + 34 * len(order)),
        margin={"l": 140, "r": 20, "t": 40 if title else 20, "b": 40},
        legend={"orientation": "h", "y": -0.12},
        yaxis={
            "categoryorder": "array",
            "categoryarray": order,
            "autorange": "reversed",
            "automargin": True,
        },
        xaxis={
            "type": "date" if origin else "linear",
            "title": {"text": None if origin else "days from the plan start"},
            "showgrid": True,
            "gridcolor": "#e3e7ec",
        },
    )
    return dict(json.loads(fig.to_json()))
