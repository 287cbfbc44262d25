"""Results recorded after the infusion, for the monitoring calendar (DOMAIN.md §1.8)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from ..clock import today_ist
from ..lab_fields import lab_value_field, uln_field
from .case import Case


class LabTest(models.TextChoices):
    """Post-infusion tests of the monitoring calendar (DOMAIN.md §1.8)."""

    LIVER = "liver", "Liver function (ALT, AST, bilirubin, PT/INR)"
    PLATELETS = "platelets", "Platelet count"
    TROPONIN = "troponin", "Troponin-I"


class LabResult(models.Model):
    """A result recorded after infusion; it marks the planned test nearest its date done."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lab_results")
    test = models.CharField(max_length=20, choices=LabTest.choices)
    taken_on = models.DateField()
    alt = lab_value_field("alt")
    ast = lab_value_field("ast")
    total_bilirubin = lab_value_field("total_bilirubin")
    platelets = lab_value_field("platelets")
    troponin_i = lab_value_field("troponin_i")
    alt_uln = uln_field("alt")
    ast_uln = uln_field("ast")
    total_bilirubin_uln = uln_field("total_bilirubin")
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_test_display()} on {self.taken_on:%d %b %Y}"

    def clean(self) -> None:
        if self.taken_on and self.taken_on > today_ist():
            raise ValidationError({"taken_on": "A sample cannot be taken in the future."})
