"""The logger upload form of the hospital portal and the case page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LoggerUploadForm(forms.Form):
    logger_file = forms.FileField(
        label=_("Logger's CSV export"),
        help_text=_(
            "The file the shipper's temperature logger exports (CSV): a time and a temperature "
            "column. It is read at once and kept with the case's documents."
        ),
    )

    def clean_logger_file(self):
        upload = self.cleaned_data["logger_file"]
        if upload.size > settings.NPP_LOGGER_CSV_MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(mb)s MB; a logger's CSV export of one trip is far "
                    "smaller. Nothing was stored."
                )
                % {"mb": settings.NPP_LOGGER_CSV_MAX_BYTES // (1024 * 1024) or 1}
            )
        return upload

    def read(self) -> tuple[bytes, str]:
        upload = self.cleaned_data["logger_file"]
        return upload.read(), upload.name or "logger.csv"
