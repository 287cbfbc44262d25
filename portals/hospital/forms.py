"""Hospital portal forms: the temperature-logger upload that goes with the delivery confirmation."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cases.models import Case
from documents.models import DocumentType
from portals.forms import PortalUploadForm, uploadable_types

TEMPERATURE_LOG = "temperature_log"
DELIVERY_RECEIPT = "delivery_receipt"
# The files that go with the delivery confirmation, in the order the form asks for them.
CONFIRMATION_FILES = {
    TEMPERATURE_LOG: _("Temperature-logger report (PDF, JPEG or PNG)"),
    DELIVERY_RECEIPT: _("Delivery receipt with time and signature (PDF, JPEG or PNG)"),
}


def confirmation_file_form(
    user: Any, case: Case, code: str, *, required: bool, data=None, files=None
) -> PortalUploadForm:
    """One of the files that go with the delivery confirmation (``CONFIRMATION_FILES``)."""
    form = PortalUploadForm(data, files, document_types=uploadable_types(user, case), prefix=code)
    form.place(DocumentType.objects.get(code=code))
    form.auto_id = f"confirm-{code}-%s"
    form.fields["upload"].required = required
    form.fields["upload"].label = CONFIRMATION_FILES[code]
    if not required:
        form.fields["upload"].help_text = _(
            "One is already on file; add a file only to replace it."
        )
    return form
