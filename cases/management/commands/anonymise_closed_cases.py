"""Replace the identifiers of patients whose cases all ended long ago; keep the statistics."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cases.privacy import closed_cases_to_anonymise, patient_anonymise


class Command(BaseCommand):
    help = "Anonymise patients whose cases were closed or cancelled more than N days ago."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than-days", type=int, required=True)
        parser.add_argument("--dry-run", action="store_true", help="List them; change nothing.")

    def handle(self, *args, older_than_days: int, dry_run: bool = False, **options) -> None:
        if older_than_days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        patients = list(closed_cases_to_anonymise(older_than_days))
        for patient in patients:
            references = ", ".join(patient.cases.values_list("reference", flat=True))
            self.stdout.write(f"{'would anonymise' if dry_run else 'anonymised'}: {references}")
            if not dry_run:
                patient_anonymise(patient)
        self.stdout.write(
            f"{len(patients)} patient(s){' (dry run, nothing changed)' if dry_run else ''}."
        )
