"""The upload form, shared by the admin and both portals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cases.forms import DateInput
from cases.models import today_ist

from .models import Document, DocumentType
from .validation import TOO_LARGE, check_sample_date, max_upload_bytes, megabytes

LAB_VALUE_FIELDS = [
    "alt",
    "ast",
    "total_bilirubin",
    "alt_uln",
    "ast_uln",
    "total_bilirubin_uln",
    "platelets",
    "troponin_i",
    "creatinine",
    "anti_aav9_titer",
]


class UploadForm(forms.ModelForm):
    """Pick a checklist line, attach a file; lab types also ask for the sample date and values.

    The file's content, not its name or the browser's content type, decides whether it is
    accepted: ``documents.validation`` checks it when the service stores it.
    """

    upload = forms.FileField(
        label="File (PDF, JPEG or PNG)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    class Meta:
        model = Document
        fields = ["document_type", "sample_taken_on", *LAB_VALUE_FIELDS]
        widgets = {"sample_taken_on": DateInput()}
        labels = {"document_type": "Document"}

    def __init__(self, *args, document_types=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        document_type = self.fields["document_type"]
        assert isinstance(document_type, forms.ModelChoiceField)  # from the model's ForeignKey
        if document_types is not None:
            document_type.queryset = document_types
        document_type.empty_label = None

    def clean_upload(self):
        # Refuse a large file before reading it; the content checks run in the service.
        upload = self.cleaned_data["upload"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise ValidationError(TOO_LARGE, code="too_large", params={"limit": megabytes(limit)})
        return upload

    def clean_sample_taken_on(self):
        # Not in the future, nor implausibly old; the service also checks the child's birth date.
        taken = self.cleaned_data.get("sample_taken_on")
        if taken:
            check_sample_date(taken, today=today_ist())
        return taken

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns its cleaned_data
        doc_type: DocumentType | None = cleaned.get("document_type")
        if doc_type is not None and doc_type.is_lab and not cleaned.get("sample_taken_on"):
            self.add_error("sample_taken_on", "Enter the date the sample was taken.")
        if doc_type is not None and not doc_type.is_lab:
            for name in ["sample_taken_on", *LAB_VALUE_FIELDS]:
                cleaned[name] = None if name != "anti_aav9_titer" else ""
        return cleaned

    def _post_clean(self) -> None:
        # The service builds and validates the Document; the form only validates its fields
        # (model field validators still ran through the form fields).
        pass

    def lab_values(self) -> dict:
        return {
            name: self.cleaned_data.get(name) for name in ["sample_taken_on", *LAB_VALUE_FIELDS]
        }

    def read_upload(self) -> tuple[bytes, str]:
        upload = self.cleaned_data["upload"]
        upload.seek(0)
        return upload.read(), upload.name
