"""Template hygiene a reader of the pages would notice."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_template_comment_spans_lines():
    """Django's ``{# ... #}`` ends on its own line: one that spans lines is printed on the page
    as text. Longer comments use ``{% comment %}``."""
    spanning = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in [ROOT / "templates", *ROOT.glob("*/templates")]
        for path in folder.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert spanning == []
