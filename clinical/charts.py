"""The slots of a case as an SVG grid (like the dashboard's charts: server-rendered, no
script): one column per slot, one row per test, each cell coloured by the slot's status and
marked where a value is recorded; an open signal's cell is outlined."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .catalogue import PANELS, label_of
from .schedule import SlotView

CELL_W, CELL_H, LABEL_W, HEAD_H = 46, 22, 160, 40
ROWS = tuple(t for tests in PANELS.values() for t in tests)


def slot_grid(views: list[SlotView], flagged: set[tuple[str, str]] | None = None) -> dict[str, Any]:
    """``flagged``: (slot code, test) pairs with an open signal."""
    flagged = flagged or set()
    columns = []
    for i, view in enumerate(views):
        x = LABEL_W + i * CELL_W
        cells = []
        for j, test in enumerate(ROWS):
            expected = test in view.slot.expected
            recorded = test in view.values
            if not expected and not recorded:
                continue
            state = "done" if recorded else view.status
            cells.append(
                {
                    "x": x + 2,
                    "y": HEAD_H + j * CELL_H + 2,
                    "css": f"npp-slot-{state}",
                    "flag": (view.slot.code, test) in flagged,
                    "mark": "✓" if recorded else "",
                    "title": f"{label_of(test)}, {_('week')} {view.slot.week}: {state}",
                }
            )
        columns.append(
            {
                "x": x + CELL_W / 2,
                "label": _("wk %(n)s") % {"n": view.slot.week},
                "date": view.slot.day,
                "status": view.status,
                "cells": cells,
            }
        )
    rows = [{"y": HEAD_H + j * CELL_H + 15, "label": label_of(t)} for j, t in enumerate(ROWS)]
    return {
        "width": LABEL_W + len(views) * CELL_W + 4,
        "height": HEAD_H + len(ROWS) * CELL_H + 34,
        "legend_y": HEAD_H + len(ROWS) * CELL_H + 14,
        "columns": columns,
        "legend": [
            {"x": LABEL_W + i * 110, "css": f"npp-slot-{state}", "label": label}
            for i, (state, label) in enumerate(
                (
                    ("done", _("recorded")),
                    ("due", _("due")),
                    ("overdue", _("overdue")),
                    ("upcoming", _("upcoming")),
                )
            )
        ],
        "rows": rows,
        "cell_w": CELL_W - 4,
        "cell_h": CELL_H - 4,
        "title": _("Monitoring slots"),
        "description": _(
            "One column per monitoring slot (weeks after the infusion), one row per expected test; "
            "green: recorded, amber: due, red: overdue, grey: upcoming; outlined: an open safety signal."
        ),
    }
