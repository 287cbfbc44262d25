"""Hospital portal forms: the temperature-logger upload that goes with the delivery confirmation."""

from __future__ import annotations

from typing import Any

from cases.models import Case
from documents.models import DocumentType
from portals.forms import PortalUploadForm, uploadable_types

TEMPERATURE_LOG = "temperature_log"


def temperature_log_form(
    user: Any, case: Case, *, required: bool, data=None, files=None
) -> PortalUploadForm:
    """The temperature-logger upload that goes with the delivery confirmation."""
    form = PortalUploadForm(
        data, files, document_types=uploadable_types(user, case), prefix=TEMPERATURE_LOG
    )
    form.place(DocumentType.objects.get(code=TEMPERATURE_LOG))
    form.auto_id = "confirm-log-%s"
    form.fields["upload"].required = required
    form.fields["upload"].label = "Temperature-logger report (PDF, JPEG or PNG)"
    if not required:
        form.fields["upload"].help_text = "One is already on file; add a file only to replace it."
    return form
