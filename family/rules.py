"""The family app's part of the case rulebook, registered from ``FamilyConfig.ready()``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cases.rules import Context, rule

if TYPE_CHECKING:
    from cases.models import Case


@rule(code="consent_withdrawn", transitions=["resume"])
def consent_withdrawn(case: Case, ctx: Context) -> Iterator[str]:
    """A case put on hold because the guardian withdrew consent stays on hold until a new
    consent is recorded (DPDP Act 2023 s.6(6): processing stops on withdrawal)."""
    consents = case.patient.consents
    if (
        consents.filter(withdrawn_at__isnull=False).exists()
        and not consents.filter(withdrawn_at__isnull=True).exists()
    ):
        yield (
            "The guardian withdrew consent to processing the child's data: record a new "
            "consent before the case resumes."
        )


def register() -> None:
    """Called from ``FamilyConfig.ready()``; the ``@rule`` above registered itself on import."""
