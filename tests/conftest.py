"""Shared fixtures: one persona per role plus outsiders, as in the demo data.

- ``facilitator``: staff in the Facilitators group; runs every case.
- ``doctor1`` at hospital A, ``doctor2`` at hospital B; each treats their own patients.
- ``hospital1`` admin of hospital A; ``hospital2`` admin of hospital B.
- ``outsider``: a logged-in user with no role.
"""

from __future__ import annotations

import os

import pytest

from tests import factories

# Playwright's sync API runs an event loop in the test thread; Django's ORM would refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_and_private(settings, tmp_path):
    """Test-only overrides: a fast hasher and a throwaway private store."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def hospital_a(db):
    return factories.HospitalFactory(name="Kaveri Children's Hospital", city="Bengaluru")


@pytest.fixture
def hospital_b(db):
    return factories.HospitalFactory(name="Yamuna Paediatric Institute", city="New Delhi")


@pytest.fixture
def facilitator(db):
    return factories.FacilitatorFactory(username="facilitator")


@pytest.fixture
def doctor1(hospital_a):
    return factories.DoctorFactory(user__username="doctor1", hospital=hospital_a).user


@pytest.fixture
def doctor2(hospital_b):
    return factories.DoctorFactory(user__username="doctor2", hospital=hospital_b).user


@pytest.fixture
def hospital1(hospital_a):
    return factories.HospitalAdminFactory(user__username="hospital1", hospital=hospital_a).user


@pytest.fixture
def hospital2(hospital_b):
    return factories.HospitalAdminFactory(user__username="hospital2", hospital=hospital_b).user


@pytest.fixture
def outsider(db):
    return factories.UserFactory(username="outsider")


@pytest.fixture
def case_a(doctor1, facilitator):
    """A case of doctor1's at hospital A, in `application`, ready to start."""
    return factories.CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)


@pytest.fixture
def case_b(doctor2, facilitator):
    """A case of doctor2's at hospital B."""
    return factories.CaseFactory(doctor=doctor2.doctor, facilitator=facilitator)
