"""Print everything held about a case's patient as JSON (a data-principal access request)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.privacy import patient_data_export
from documents.models import DocumentAccess


class Command(BaseCommand):
    help = "Export the patient's data of case REF as JSON (DPDP access request)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("reference", help="Case reference, e.g. NPP-2026-0001")
        parser.add_argument("--out", help="Write to this file instead of standard output.")

    def handle(self, *args, reference: str, out: str | None = None, **options) -> None:
        try:
            case = Case.objects.select_related("patient").get(reference=reference.strip())
        except Case.DoesNotExist as exc:
            raise CommandError(f"No case {reference!r}.") from exc
        data = patient_data_export(case)  # with every app's registered part
        text = json.dumps(data, indent=2, ensure_ascii=False)
        DocumentAccess.objects.create(
            document_id=None,
            case_reference=case.reference,
            document_label="Patient data export (access request)",
            username="manage.py export_patient_data",
            action="export_patient_data",
        )
        if out:
            with open(out, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {out}")
        else:
            self.stdout.write(text)
