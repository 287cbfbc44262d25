"""Lab sample dates: refuse a date typed with a lab report that cannot be right.

``check_sample_date`` is pure like the upload checks: it takes the date, today (an India date,
from the caller) and the child's date of birth, and returns or raises ``ValidationError`` with a
stable ``code``. The form and ``documents.services.document_upload`` both call it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from .limits import lab_sample_max_age_days

SAMPLE_IN_FUTURE = "The sample date cannot be in the future."
SAMPLE_TOO_OLD = (
    "The sample date (%(taken)s) is more than %(days)s days ago; "
    "check the date on the report and enter it again."
)
SAMPLE_BEFORE_BIRTH = (
    "The sample date (%(taken)s) is before the child's date of birth (%(born)s); "
    "check the date on the report and enter it again."
)


def check_sample_date(taken: dt.date, *, today: dt.date, born: dt.date | None = None) -> None:
    """Refuse a lab sample date that cannot be right: in the future, before the child was born,
    or more than ``NPP_LAB_SAMPLE_MAX_AGE_DAYS`` (default 365) days ago.

    A year back is generous: a baseline result counts for 30 days (``NPP_LAB_VALIDITY_DAYS``) and
    the children are under two, so an older date is almost always a typing slip (1900-01-01, a
    wrong year) that would otherwise show as a valid-looking, long-expired result.
    """
    shown = f"{taken:%d %b %Y}"
    if taken > today:
        raise ValidationError(SAMPLE_IN_FUTURE, code="sample_in_future")
    if born is not None and taken < born:
        raise ValidationError(
            SAMPLE_BEFORE_BIRTH,
            code="sample_before_birth",
            params={"taken": shown, "born": f"{born:%d %b %Y}"},
        )
    days = lab_sample_max_age_days()
    if taken < today - dt.timedelta(days=days):
        raise ValidationError(
            SAMPLE_TOO_OLD, code="sample_too_old", params={"taken": shown, "days": days}
        )
