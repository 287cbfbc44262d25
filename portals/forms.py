"""Forms both portals use: the upload form placed on one checklist line or with a choice of
type, and the document types a user may upload on a case. The hospital's temperature-log
variant is in ``portals.hospital.forms``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from cases import access
from cases.models import Case
from documents.forms import LAB_VALUE_FIELDS, UploadForm
from documents.models import DocumentType
from documents.selectors import case_document_types

# The key values each lab report carries; a phone screen shows only these (DOMAIN.md §4).
LAB_VALUES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "liver_function": (
        "alt",
        "alt_uln",
        "ast",
        "ast_uln",
        "total_bilirubin",
        "total_bilirubin_uln",
    ),
    "cbc": ("platelets",),
    "creatinine": ("creatinine",),
    "troponin": ("troponin_i",),
    "anti_aav9_titer": ("anti_aav9_titer",),
}


def uploadable_type_ids(user: Any, case: Case) -> set[int]:
    """The ids of the document types ``user`` may upload on ``case``."""
    return {t.pk for t in case_document_types(case) if access.may_upload(user, case, t)}


def uploadable_types(user: Any, case: Case) -> QuerySet[DocumentType]:
    """The document types ``user`` may upload on ``case`` (the service checks again)."""
    return DocumentType.objects.filter(pk__in=uploadable_type_ids(user, case))


class PortalUploadForm(UploadForm):
    """``UploadForm`` shown either on one checklist line (type fixed and hidden) or with a
    choice of type. One POST endpoint takes both: the type travels as a form value and is
    checked against ``document_types``."""

    def __init__(self, *args: Any, document_types: QuerySet[DocumentType], **kwargs: Any) -> None:
        super().__init__(*args, document_types=document_types, **kwargs)
        self.line_type: DocumentType | None = None
        self.place(None)

    def place(self, line_type: DocumentType | None) -> PortalUploadForm:
        """Show this form on ``line_type``'s line (None: the form with a choice of type).

        Several upload forms share a page, so each gets its own element ids.
        """
        self.line_type = line_type
        self.auto_id = f"upload-{line_type.code if line_type else 'any'}-%s"
        if line_type is not None:
            self.fields["document_type"].widget = forms.HiddenInput()
            self.initial["document_type"] = line_type.pk
            # Shown as required on a lab line; ``UploadForm.clean`` enforces it for every form.
            self.fields["sample_taken_on"].required = line_type.is_lab
        return self

    def posted_type_pk(self) -> str:
        return str(self.data.get(self.add_prefix("document_type"), "")) if self.is_bound else ""

    def shown_fields(self) -> list[forms.BoundField]:
        """The fields to show, in order: a lab line asks only for its own key values."""
        names = ["upload"]
        if self.line_type is None:
            names = ["document_type", "upload"]
        elif self.line_type.is_lab:
            values = LAB_VALUES_BY_TYPE.get(self.line_type.code, tuple(LAB_VALUE_FIELDS))
            names = ["upload", "sample_taken_on", *values]
        return [self[name] for name in names]

    def lab_fields(self) -> list[forms.BoundField]:
        """On the form with a choice of type: every lab field, shown apart as optional."""
        if self.line_type is not None:
            return []
        return [self[name] for name in ["sample_taken_on", *LAB_VALUE_FIELDS]]

    def clean_upload(self):
        # The temperature log on the delivery form may be left out once one is on file.
        if not self.cleaned_data.get("upload"):
            return None
        return super().clean_upload()

    def error_sentences(self) -> list[str]:
        """Every error as '<label>: <message>', for the page's message banner."""
        sentences = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            sentences += [f"{label}: {error}" if label else str(error) for error in errors]
        return sentences
