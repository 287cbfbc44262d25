from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cases.services import case_create
from tests.factories import (
    CaseFactory,
    DoctorFactory,
    FacilitatorFactory,
    PatientFactory,
    zolgensma,
)

IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 5, 4, 12, 0, tzinfo=IST))
def test_references_are_numbered_in_sequence_within_the_year():
    references = [CaseFactory().reference for _ in range(3)]

    assert references == ["NPP-2026-0001", "NPP-2026-0002", "NPP-2026-0003"]


@pytest.mark.django_db
def test_numbering_restarts_at_0001_in_a_new_year_in_india():
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 0, tzinfo=IST)):
        last_of_2026 = [CaseFactory().reference for _ in range(2)]
    # 00:30 on 1 January in India is still 31 December in UTC.
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 30, tzinfo=IST)):
        first_of_2027 = [CaseFactory().reference for _ in range(2)]

    assert last_of_2026 == ["NPP-2026-0001", "NPP-2026-0002"]
    assert first_of_2027 == ["NPP-2027-0001", "NPP-2027-0002"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_creations_get_twenty_distinct_sequential_references():
    count = 20
    facilitator = FacilitatorFactory()
    doctor = DoctorFactory()
    patients = [PatientFactory() for _ in range(count)]
    product = zolgensma()
    barrier = threading.Barrier(count)
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create(patient) -> None:
        try:
            barrier.wait(timeout=30)
            case = case_create(
                by=facilitator,
                patient=patient,
                product=product,
                doctor=doctor,
                hospital=doctor.hospital,
            )
            with lock:
                references.append(case.reference)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    year = timezone.localdate().year
    assert sorted(references) == [f"NPP-{year}-{n:04d}" for n in range(1, count + 1)]
