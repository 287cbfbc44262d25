"""A small plotting helper: geometry for horizontal bar charts drawn by our SVG templates.

Server-rendered SVG with text labels and titles: readable without JavaScript, in print and on
a phone (the SVG scales to the width it is given).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LABEL_WIDTH = 170
BAR_HEIGHT = 18
GAP = 8


@dataclass
class Chart:
    title: str
    description: str
    width: int
    height: int
    bars: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    label_width: int = LABEL_WIDTH


def hbar_chart(
    title: str, rows: list[dict], *, description: str = "", width: int = 640, unit: str = ""
) -> Chart:
    """One bar per row (``label``, ``value``, optional ``href``), scaled to the largest."""
    return grouped_hbar_chart(
        title, rows, [("value", "", "npp-bar")], description=description, width=width, unit=unit
    )


def grouped_hbar_chart(
    title: str,
    rows: list[dict],
    series: list[tuple[str, str, str]],
    *,
    description: str = "",
    width: int = 640,
    unit: str = "",
) -> Chart:
    """Bars for several ``series`` (key, legend label, CSS class) per row."""
    values = [row.get(key) or 0 for row in rows for key, _, _ in series]
    biggest = max([*values, 1])
    plot = width - LABEL_WIDTH - 60
    group = len(series) * BAR_HEIGHT + GAP
    chart = Chart(
        title=title,
        description=description,
        width=width,
        height=6 + len(rows) * group + (20 if len(series) > 1 else 0),
    )
    for index, row in enumerate(rows):
        top = 6 + index * group
        for offset, (key, legend, css) in enumerate(series):
            value = row.get(key)
            bar_width = round(plot * (value or 0) / biggest, 1)
            chart.bars.append(
                {
                    "label": row["label"] if offset == 0 else "",
                    "value": value,
                    "text": "n/a" if value is None else f"{value:g}{unit}",
                    "href": row.get("href", ""),
                    "x": LABEL_WIDTH,
                    "y": top + offset * BAR_HEIGHT,
                    "w": max(bar_width, 1 if value else 0),
                    "css": css,
                    "text_x": LABEL_WIDTH + bar_width + 6,
                    "legend": legend,
                }
            )
    if len(series) > 1:
        chart.legend = [
            {"label": legend, "css": css, "x": LABEL_WIDTH + i * 140}
            for i, (_, legend, css) in enumerate(series)
        ]
    return chart
