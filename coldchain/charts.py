"""The logger's temperature curve as server-drawn SVG: the readings over time, the limit as a
dashed line, each excursion shaded, with text for every figure (readable without colour and
without script; the template is ``coldchain/curve.svg.html``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import LoggerRecord

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 36
MAX_POINTS = 800


def _thin(series: list[list[Any]]) -> list[tuple[int, float]]:
    """At most ``MAX_POINTS`` points, keeping each bucket's lowest and highest reading so that
    no excursion disappears from the picture."""
    points = [(int(t), float(v)) for t, v in series]
    if len(points) <= MAX_POINTS:
        return points
    size = len(points) / (MAX_POINTS / 2)
    kept: list[tuple[int, float]] = []
    for b in range(int(MAX_POINTS / 2)):
        bucket = points[int(b * size) : int((b + 1) * size)]
        if bucket:
            low, high = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
            kept.extend(sorted({low, high}))
    return kept


def curve(record: LoggerRecord) -> dict[str, Any]:
    points = _thin(record.series)
    limit = float(record.limit_celsius)
    low = min(min(v for _, v in points), limit) - 2
    high = max(max(v for _, v in points), limit) + 2
    t0, t1 = points[0][0], max(points[-1][0], points[0][0] + 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return round(LEFT + (t - t0) / (t1 - t0) * plot_w, 1)

    def y(v: float) -> float:
        return round(TOP + (high - v) / (high - low) * plot_h, 1)

    step = 5 if high - low <= 40 else 10
    first_tick = int(low // step + 1) * step
    ticks = [{"y": y(v), "label": f"{v} °C"} for v in range(first_tick, int(high) + 1, step)]
    local = timezone.localtime
    start, end = dt.datetime.fromtimestamp(t0, tz=dt.UTC), dt.datetime.fromtimestamp(t1, tz=dt.UTC)
    excursions = []
    for item in record.excursions:
        s = dt.datetime.fromisoformat(item["start"]).timestamp()
        e = dt.datetime.fromisoformat(item["end"]).timestamp()
        excursions.append({"x": x(s), "w": max(round(x(e) - x(s), 1), 2.0)})
    limit_text = f"{Decimal(record.limit_celsius).normalize():f} °C"
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "plot_h": plot_h,
        "points": " ".join(f"{x(t)},{y(v)}" for t, v in points),
        "limit_y": y(limit),
        "limit_label": _("limit %(limit)s") % {"limit": limit_text},
        "ticks": ticks,
        "excursions": excursions,
        "start_label": f"{local(start):%d %b %H:%M}",
        "end_label": f"{local(end):%d %b %H:%M}",
        "title": _("Temperature recorded by the logger"),
        "description": _(
            "%(count)s readings from %(start)s to %(end)s: lowest %(min)s °C, highest %(max)s °C, "
            "%(minutes)s minutes above the limit of %(limit)s in %(excursions)s excursion(s)."
        )
        % {
            "count": record.reading_count,
            "start": f"{local(record.started_at):%d %b %Y %H:%M}",
            "end": f"{local(record.ended_at):%d %b %Y %H:%M}",
            "min": record.min_celsius,
            "max": record.max_celsius,
            "minutes": record.seconds_above_limit // 60,
            "limit": limit_text,
            "excursions": record.excursion_count,
        },
    }
