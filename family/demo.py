"""The demo's guardian links (``seed_demo``): one family reads in English, one in Hindi."""

from __future__ import annotations

from typing import Any

from cases.models import Case

from . import services
from .models import GuardianLink

# patient, language: a case in document collection (family documents still listed) and one
# further on.
DEMO_LINKS = [("Ishita Reddy", "en"), ("Vihaan Patel", "hi")]


def seed_guardian_links(*, by: Any) -> list[tuple[Case, str]]:
    """Make each demo family's link once; return (case, address) for every demo link."""
    made = []
    for patient, language in DEMO_LINKS:
        case = Case.objects.filter(patient__full_name=patient).order_by("pk").first()
        if case is None:
            continue
        link = GuardianLink.objects.filter(case=case, revoked_at__isnull=True).first()
        if link is None:
            link = services.guardian_link_create(case=case, by=by, language=language)
        made.append((case, services.link_url(link)))
    return made
