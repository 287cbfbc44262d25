"""Where cases happen and what is imported: hospitals and their CDSCO port office, treating
doctors, hospital admins, products."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models


class PortOffice(models.TextChoices):
    """CDSCO port offices named for Form 12B permits (DOMAIN.md §2.1, older CDSCO list)."""

    DCGI_HQ = "dcgi_hq", "DCGI headquarters, FDA Bhawan, New Delhi"
    DELHI_AIRPORT = "delhi_airport", "CDSCO Port Office, New Delhi (IGI Airport)"
    MUMBAI_AIRPORT = "mumbai_airport", "CDSCO Port Office, Mumbai Airport"
    CHENNAI_AIRPORT = "chennai_airport", "CDSCO Port Office, Chennai Airport"
    KOLKATA_AIRPORT = "kolkata_airport", "CDSCO Port Office, Kolkata Airport"
    HYDERABAD_AIRPORT = "hyderabad_airport", "CDSCO Port Office, Hyderabad Airport"
    BENGALURU_AIRPORT = "bengaluru_airport", "CDSCO Port Office, Bengaluru Airport"
    AHMEDABAD_AIRPORT = "ahmedabad_airport", "CDSCO Port Office, Ahmedabad Airport"
    CHENNAI_SEAPORT = "chennai_seaport", "CDSCO Port Office, Chennai Sea Port"
    MUMBAI_SEAPORT = "mumbai_seaport", "CDSCO Port Office, Mumbai Sea Port"
    NHAVA_SHEVA = "nhava_sheva", "CDSCO Port Office, Nhava Sheva Sea Port"


class Hospital(models.Model):
    name = models.CharField(max_length=200, unique=True)
    address = models.TextField()
    city = models.CharField(max_length=100)
    state = models.CharField("state / UT", max_length=100)
    phone = models.CharField(max_length=30, blank=True)
    port_office = models.CharField(
        "nearest CDSCO port office", max_length=40, choices=PortOffice.choices
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"


class Doctor(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor"
    )
    registration_number = models.CharField(
        "medical council registration number",
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"\S", "Enter the medical council registration number.")],
    )
    council = models.CharField("medical council", max_length=120)
    specialty = models.CharField(max_length=120, blank=True)
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="doctors")

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"Dr {self.user.get_full_name() or self.user.username}"

    def clean(self) -> None:
        self.registration_number = (self.registration_number or "").strip()
        if not self.registration_number:
            raise ValidationError(
                {"registration_number": "Enter the medical council registration number."}
            )


class HospitalAdmin(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hospital_admin"
    )
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="admins")

    class Meta:
        verbose_name = "hospital admin"

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.hospital.name})"


class Product(models.Model):
    name = models.CharField(max_length=120, unique=True)
    generic_name = models.CharField(max_length=200)
    manufacturer = models.CharField(max_length=200)
    storage_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
