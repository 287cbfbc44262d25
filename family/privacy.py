"""The family app's part of a patient's data (DPDP Act 2023, DOMAIN.md §5.2), registered with
``cases.privacy.register_part``: in an access request, the guardian links of the patient's
cases with their view log, consent details given through them, and the breaches that touched
their data; anonymisation removes where links were sent, the views' client and browser, and
the identity references."""

from __future__ import annotations

from typing import Any

from .models import BreachAffectedCase, GuardianConsent, GuardianLink, GuardianLinkView


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def family_data_export(patient: Any) -> dict[str, list[dict[str, Any]]]:
    links = GuardianLink.objects.filter(case__patient=patient).select_related("case")
    return {
        "guardian_links": [
            {
                "case": link.case.reference,
                "language": link.language,
                "created_at": _when(link.created_at),
                "expires_at": _when(link.expires_at),
                "revoked_at": _when(link.revoked_at),
                "sent_to": link.sent_to,
                "sent_at": _when(link.sent_at),
                "views": [
                    {"at": _when(view.at), "outcome": view.outcome} for view in link.views.all()
                ],
            }
            for link in links
        ],
        "consents_through_guardian_page": [
            {
                "consent_given_at": _when(extra.consent.given_at),
                "identity_check": extra.consent.verified_how,
                "identity_reference": extra.identity_reference,
                "notice_version_shown": extra.notice_version_shown,
                "language": extra.language,
                "withdrawn_at": _when(extra.consent.withdrawn_at),
            }
            for extra in GuardianConsent.objects.filter(consent__patient=patient).select_related(
                "consent"
            )
        ],
        "breaches": [
            {
                "case": affected.case.reference,
                "title": affected.breach.title,
                "discovered_at": _when(affected.breach.discovered_at),
                "family_told_at": _when(affected.family_told_at),
                "family_told_how": affected.family_told_how,
            }
            for affected in BreachAffectedCase.objects.filter(case__patient=patient).select_related(
                "breach", "case"
            )
        ],
    }


def family_anonymise(patient: Any) -> None:
    links = GuardianLink.objects.filter(case__patient=patient)
    links.update(sent_to="")
    GuardianLinkView.objects.filter(link__in=links).update(client="", user_agent="")
    GuardianConsent.objects.filter(consent__patient=patient).update(identity_reference="")
