"""The regulatory app's part of a patient's data (DPDP Act 2023, DOMAIN.md §5.2), registered
with ``cases.privacy.register_part``: the regulatory and customs file (the applicant's address
and occupation on Form 12A, the importer of record, the rare-disease certificate) and the
CDSCO queries, in an access request; anonymisation removes the applicant's and importer's
identifiers and the correspondence, keeping the dates, the shipment's facts and the duty."""

from __future__ import annotations

from typing import Any

from cases.privacy import exported_row

from .models import CdscoQuery, RegulatoryFile

STAFF = ("recorded_by",)


def regulatory_data_export(patient: Any) -> dict[str, list[dict[str, Any]]]:
    found = []
    files = RegulatoryFile.objects.filter(case__patient=patient).select_related("case")
    for regulatory_file in files.order_by("pk"):
        queries = CdscoQuery.objects.filter(file=regulatory_file).order_by("raised_at", "pk")
        found.append(
            {
                "case": regulatory_file.case.reference,
                "file": exported_row(regulatory_file, exclude=("case",)),
                "cdsco_queries": [
                    exported_row(query, exclude=("file", "enclosures", *STAFF)) for query in queries
                ],
            }
        )
    return {"regulatory_files": found}


def regulatory_anonymise(patient: Any) -> None:
    files = RegulatoryFile.objects.filter(case__patient=patient)
    files.update(
        applicant_address="",
        applicant_city="",
        applicant_district="",
        applicant_pin="",
        applicant_occupation="",
        importer_name="Anonymised",
        importer_address="",
        certificate_number="",
    )
    CdscoQuery.objects.filter(file__in=files).update(text="(anonymised)", answer="")
