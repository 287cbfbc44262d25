"""Compile locale/*/LC_MESSAGES/*.po into .mo with Babel (pure Python, pinned in
requirements.txt), so a fresh machine needs no GNU gettext to run or test the project.

`make run` and `make test` run it; Django's own `compilemessages` (which needs `msgfmt`)
gives the same files. Only catalogues newer than their .mo are written (``--force``: all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the .po message catalogues in LOCALE_PATHS into .mo files (Babel)."
    # A build step: it runs before collectstatic, when the production checks would refuse.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Rewrite every .mo.")

    def handle(self, *args: Any, **options: Any) -> None:
        written = 0
        for root in settings.LOCALE_PATHS:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                fresh = mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime
                if fresh and not options["force"]:
                    continue
                try:
                    with po_path.open("rb") as po:
                        catalog = read_po(po, locale=po_path.parent.parent.name)
                except Exception as exc:  # Babel raises several kinds for a broken file
                    raise CommandError(f"{po_path}: {exc}") from exc
                with mo_path.open("wb") as mo:
                    write_mo(mo, catalog)
                written += 1
                self.stdout.write(f"Compiled {po_path} ({len(catalog)} messages)")
        if not written:
            self.stdout.write("Translations are up to date.")
