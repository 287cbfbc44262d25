"""Shared fixtures: one persona per role plus outsiders, as in the demo data.

- ``facilitator``: staff in the Facilitators group; runs every case.
- ``doctor1`` at hospital A, ``doctor2`` at hospital B; each treats their own patients.
- ``hospital1`` admin of hospital A; ``hospital2`` admin of hospital B.
- ``outsider``: a logged-in user with no role.
"""

from __future__ import annotations

import importlib
import os

import pytest
from django.db import connection

from tests import factories
from tests.s3_server import s3_documents, s3_server  # noqa: F401 (fixtures)

POSTGRES_ONLY_REASON = "needs PostgreSQL row locks across two connections; CI runs it"

# Playwright's sync API runs an event loop in the test thread; Django's ORM would refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


CHROMIUM = "/usr/bin/chromium"
NO_CHROMIUM_REASON = (
    f"needs Debian's Chromium at {CHROMIUM}: apt-get install chromium (never `playwright install`)"
)


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, what this machine cannot run: ``postgres`` tests on SQLite and
    ``browser`` tests without Chromium (CI installs it and runs them all)."""
    no_postgres = connection.vendor != "postgresql"
    no_chromium = not os.path.exists(CHROMIUM)
    for item in items:
        if no_postgres and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason=POSTGRES_ONLY_REASON))
        if no_chromium and item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM_REASON))


_DB_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(autouse=True)
def _reference_data(request):
    """The rows data migrations seed (product, Facilitators group, document checklist,
    the regulatory reference data).

    A transactional test flushes the database when it ends, taking them along; every
    database test therefore makes sure they exist (inside its own transaction when it has
    one, so this costs a few queries)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not (_DB_FIXTURES & set(request.fixturenames)):
        return
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction"))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    for module in (
        "cases.migrations.0002_seed_product_and_group",
        "documents.migrations.0002_seed_document_types",
        "documents.migrations.0006_review_before_gate",
        "regulatory.migrations.0002_seed_reference_data",
    ):
        importlib.import_module(module).seed(apps, None)


@pytest.fixture(autouse=True)
def _staff_sessions_pass_two_factor(monkeypatch):
    """``client.force_login(staff)`` stands for a full sign-in, second factor included.

    The two-factor flow itself is tested through the real login page in
    tests/test_security.py; everywhere else a logged-in facilitator is a verified one."""
    from django.test import Client

    original = Client._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = TOTPDevice.objects.filter(
                user=user, confirmed=True
            ).first() or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = self.session
            session["otp_device_id"] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "_login", _login)


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


@pytest.fixture
def staff_non_facilitator(db):
    """Staff (may log in to the admin) but not in the Facilitators group."""
    return factories.UserFactory(username="clerk", is_staff=True)


@pytest.fixture(scope="session", autouse=True)
def _hindi_compiled():
    """The Hindi catalogue compiled (``make test`` does it first; this covers a bare pytest)."""
    from django.core.management import call_command

    call_command("compile_translations", verbosity=0)
