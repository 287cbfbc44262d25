"""Writes of the family app, each keyword-only with who acts, asking ``cases.access`` first.

The guardian has no account: what they do through a valid link is done by the guardian-link
system account (``NPP_GUARDIAN_ACCOUNT``: no password, not staff), bound by
``access.guardian_actor_for`` to that link's case for the one request. Their consent goes to
``cases.Consent`` through ``cases.services``; their withdrawal puts the case on hold through
``case_apply``. Nothing here deletes: a withdrawal stops processing, and records the law keeps
(the permit, the application, the import documents) stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import access
from cases.services import CaseActionError, case_apply, patient_change_consent
from cases.services import patient_record_consent as cases_record_consent
from cases.states import ACTIVE_STATES

from .models import (
    GUARDIAN_PAGE_CHECKS,
    Breach,
    BreachAffectedCase,
    GuardianConsent,
    GuardianLink,
    GuardianLinkView,
    Language,
    LanguagePreference,
)

logger = logging.getLogger(__name__)

SALT = "family.guardian-link"


class LinkInvalid(Exception):
    """The address is not a guardian link we made (changed, cut short, or made up)."""


# --- Guardian links ---------------------------------------------------------------------------


def link_token(link: GuardianLink) -> str:
    """The signed part of the link's address; the same every time, so it can be copied again
    (a ``Signer``, no timestamp: expiry is the row's, so revoking or extending needs no new
    address)."""
    return signing.Signer(salt=SALT).sign_object({"l": link.pk, "n": link.nonce})


def link_url(link: GuardianLink) -> str:
    return settings.NPP_SITE_URL.rstrip("/") + reverse(
        "family:guardian_status", args=[link_token(link)]
    )


def link_from_token(token: str) -> GuardianLink:
    """The link a signed token names; ``LinkInvalid`` for any token we did not sign."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        raise LinkInvalid(token) from None
    if not isinstance(data, dict) or not isinstance(data.get("l"), int):
        raise LinkInvalid(token)
    link = (
        GuardianLink.objects.select_related("case__patient")
        .filter(pk=data["l"], nonce=str(data.get("n", "")))
        .first()
    )
    if link is None:
        raise LinkInvalid(token)
    return link


def guardian_link_create(
    *, case: Any, by: Any, language: str = Language.ENGLISH, days: int | None = None
) -> GuardianLink:
    """A new link to ``case``'s status page, valid ``days`` (``NPP_GUARDIAN_LINK_DAYS``)."""
    if not access.may_manage_guardian_links(by, case):
        raise PermissionDenied("Only a facilitator makes a guardian link.")
    if language not in Language.values:
        raise ValidationError(f"Unknown language {language!r}.")
    days = settings.NPP_GUARDIAN_LINK_DAYS if days is None else days
    if days < 1:
        raise ValidationError("A guardian link is valid for at least one day.")
    now = timezone.now()
    return GuardianLink.objects.create(
        case=case,
        nonce=secrets.token_urlsafe(18),
        language=language,
        created_at=now,
        created_by=by if getattr(by, "pk", None) else None,
        expires_at=now + dt.timedelta(days=days),
    )


def guardian_link_revoke(*, link: GuardianLink, by: Any) -> GuardianLink:
    """Stop the link working from its next view (kept, with its view log)."""
    if not access.may_manage_guardian_links(by, link.case):
        raise PermissionDenied("Only a facilitator revokes a guardian link.")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = by if getattr(by, "pk", None) else None
        link.save(update_fields=["revoked_at", "revoked_by"])
    return link


def guardian_link_send(*, link: GuardianLink, by: Any, to: str = "") -> GuardianLink:
    """Email the link to the guardian (``to``, default the patient's guardian email) in the
    guardian's language, once the transaction commits."""
    if not access.may_manage_guardian_links(by, link.case):
        raise PermissionDenied("Only a facilitator sends a guardian link.")
    to = (to or link.case.patient.guardian_email or "").strip()
    if not to:
        raise ValidationError(
            f"{link.case.reference}: no email address for the guardian. Add it on the "
            "patient, or copy the link and send it another way."
        )
    if not access.guardian_link_open(link, timezone.now()):
        raise ValidationError("This link is revoked or expired: make a new one.")
    link.sent_to, link.sent_at = to, timezone.now()
    link.save(update_fields=["sent_to", "sent_at"])
    with translation.override(link.language):
        context = {"link": link, "url": link_url(link), "case": link.case}
        subject = " ".join(render_to_string("emails/guardian_link_subject.txt", context).split())
        body = render_to_string("emails/guardian_link.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    )
    return link


def client_key(address: str) -> str:
    """A keyed, shortened hash of the client's address for the view log."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()
    return digest[:16]


def guardian_link_record_view(
    *,
    link: GuardianLink,
    client: str,
    user_agent: str,
    outcome: str = "shown",
    now: dt.datetime | None = None,
) -> bool:
    """Log one opening of ``link``; False (and nothing logged) when the link was opened
    ``NPP_GUARDIAN_LINK_VIEWS_PER_HOUR`` times in the last hour already (the page then
    answers 429). Counted in the database, so it holds across server processes."""
    now = now or timezone.now()
    recent = GuardianLinkView.objects.filter(link=link, at__gt=now - dt.timedelta(hours=1))
    if recent.count() >= settings.NPP_GUARDIAN_LINK_VIEWS_PER_HOUR:
        return False
    GuardianLinkView.objects.create(
        link=link, at=now, client=client, user_agent=user_agent[:200], outcome=outcome
    )
    return True


def guardian_set_language(*, link: GuardianLink, language: str) -> GuardianLink:
    """The guardian chose the language of their page and emails (kept on the link)."""
    if language not in Language.values:
        raise ValidationError(_("Choose English or Hindi."))
    if not access.guardian_link_open(link, timezone.now()):
        raise PermissionDenied("This link no longer works.")
    if link.language != language:
        link.language = language
        link.save(update_fields=["language"])
    return link


def guardian_account() -> Any:
    """The system account that acts for guardians through their links (made on first use:
    no password, never staff, so nobody can sign in as it)."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=settings.NPP_GUARDIAN_ACCOUNT,
        defaults={"first_name": "Guardian", "last_name": "(status link)", "is_active": True},
    )
    if created or user.has_usable_password():
        user.set_unusable_password()
        user.is_staff = user.is_superuser = False
        user.save(update_fields=["password", "is_staff", "is_superuser"])
    return user


def _actor(link: GuardianLink) -> Any:
    if not access.guardian_link_open(link, timezone.now()):
        raise PermissionDenied("This link no longer works.")
    return access.guardian_actor_for(guardian_account(), link.case)


def guardian_consent_give(
    *,
    link: GuardianLink,
    given_by: str,
    relationship: str,
    verified_how: str,
    notice_version: str,
    identity_reference: str = "",
) -> GuardianConsent:
    """The guardian consents through their link (DPDP Act 2023 s.9(1), Rules 2025 Rule 10):
    the notice version they were shown, the identity check chosen (``GUARDIAN_PAGE_CHECKS``),
    who and when. Raises ``ValidationError`` with the words for the page; nothing is saved."""
    if verified_how not in GUARDIAN_PAGE_CHECKS:
        raise ValidationError(_("Choose how your identity is checked."))
    if notice_version != settings.NPP_PRIVACY_NOTICE_VERSION:
        raise ValidationError(
            _("The privacy notice has changed since you opened this page. Read it again below.")
        )
    if link.case.patient.current_consent() is not None:  # the form sent twice, say
        raise ValidationError(_("Your consent is already recorded."), code="consent_in_force")
    with transaction.atomic():
        actor = _actor(link)
        consent = cases_record_consent(
            patient=link.case.patient,
            by=actor,
            given_by=given_by.strip(),
            relationship=relationship.strip(),
            verified_how=verified_how,
            notice_version=notice_version,
            given_at=timezone.now(),
        )
        return GuardianConsent.objects.create(
            consent=consent,
            link=link,
            identity_reference=identity_reference.strip()[:100],
            notice_version_shown=notice_version,
            language=link.language,
        )


def guardian_consent_withdraw(*, link: GuardianLink) -> int:
    """The guardian withdraws consent through their link, as easily as they gave it (DPDP
    Act 2023 s.6(4)): every consent in force for the child is marked withdrawn (never
    deleted), and the case goes on hold through ``case_apply`` with that reason, so nothing
    moves until a facilitator has a new consent (``consent_withdrawn`` refuses ``resume``).
    Returns how many consents were withdrawn."""
    with transaction.atomic():
        actor = _actor(link)
        now = timezone.now()
        withdrawn = 0
        for consent in link.case.patient.consents.filter(withdrawn_at__isnull=True):
            patient_change_consent(consent=consent, by=actor, withdrawn_at=now)
            GuardianConsent.objects.filter(consent=consent).update(withdrawn_through_link=link)
            withdrawn += 1
        case = link.case
        case.refresh_from_db()
        if withdrawn and case.state in ACTIVE_STATES:
            try:
                case_apply(
                    case=case,
                    transition="hold",
                    by=actor,
                    hold_reason=str(CONSENT_WITHDRAWN_REASON),
                )
            except CaseActionError:
                # The withdrawal stands whatever the case was doing; a refused hold (a
                # concurrent change) is logged for the facilitators' attention.
                logger.exception("Hold after consent withdrawal refused on %s", case.reference)
    return withdrawn


CONSENT_WITHDRAWN_REASON = (
    "The guardian withdrew consent to processing the child's data through the status link "
    "(DPDP Act 2023 s.6(4)). Processing stops until a new consent is recorded; records the "
    "law keeps are kept."
)


# --- Languages --------------------------------------------------------------------------------


def language_set(*, user: Any, language: str, by: Any) -> LanguagePreference:
    """Store the language ``user`` reads pages and reminders in (users set their own)."""
    if by != user or not access.may_choose_language(by):
        raise PermissionDenied("You may only choose your own language.")
    if language not in Language.values:
        raise ValidationError(_("Choose English or Hindi."))
    preference, _created = LanguagePreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    user._npp_language = language
    return preference


# --- The breach register ----------------------------------------------------------------------


def breach_problems(
    *, discovered_at: dt.datetime | None, board_notified_at: dt.datetime | None = None
) -> dict[str, str]:
    """What is wrong with a breach's times, by field ({} when nothing): the services refuse
    with it, the admin's form shows it."""
    now = timezone.now()
    errors = {}
    if discovered_at and discovered_at > now:
        errors["discovered_at"] = "A breach cannot be found in the future."
    if board_notified_at and board_notified_at > now:
        errors["board_notified_at"] = "The Board cannot be told in the future."
    return errors


def family_told_problems(*, at: dt.datetime | None, how: str) -> dict[str, str]:
    """What is wrong with a record of how a family was told, by field ({} when nothing)."""
    if at is None:
        return {"family_told_at": "Say when the family was told."}
    if at > timezone.now():
        return {"family_told_at": "A family cannot be told in the future."}
    if not how.strip():
        return {"family_told_how": "Say how the family was told."}
    return {}


def breach_record(
    *, by: Any, title: str, description: str, discovered_at: dt.datetime, cases: Any = ()
) -> Breach:
    """Record a personal-data breach; the Board's 72-hour clock runs from ``discovered_at``."""
    if not access.may_keep_breach_register(by):
        raise PermissionDenied("Only a facilitator keeps the breach register.")
    if errors := breach_problems(discovered_at=discovered_at):
        raise ValidationError(errors)
    with transaction.atomic():
        breach = Breach(
            title=title, description=description, discovered_at=discovered_at, recorded_by=by
        )
        breach.full_clean()
        breach.save()
        for case in cases:
            breach_add_affected(breach=breach, case=case, by=by)
    return breach


def breach_change(*, breach: Breach, by: Any, **values: Any) -> Breach:
    """Correct a breach or record that the Board was told (``board_notified_at``,
    ``board_reference``). Django-auditlog keeps what it said before."""
    allowed = {"title", "description", "discovered_at", "board_notified_at", "board_reference"}
    if set(values) - allowed:
        raise ValueError(f"A breach records {', '.join(sorted(allowed))}.")
    if not access.may_keep_breach_register(by):
        raise PermissionDenied("Only a facilitator keeps the breach register.")
    for name, value in values.items():
        setattr(breach, name, value)
    if errors := breach_problems(
        discovered_at=breach.discovered_at, board_notified_at=breach.board_notified_at
    ):
        raise ValidationError(errors)
    breach.full_clean()
    breach.save()
    return breach


def breach_add_affected(*, breach: Breach, case: Any, by: Any) -> BreachAffectedCase:
    if not access.may_keep_breach_register(by):
        raise PermissionDenied("Only a facilitator keeps the breach register.")
    affected, _created = BreachAffectedCase.objects.get_or_create(breach=breach, case=case)
    return affected


def breach_family_told(
    *, affected: BreachAffectedCase, by: Any, at: dt.datetime | None, how: str
) -> BreachAffectedCase:
    """Record when and how one affected family was told."""
    if not access.may_keep_breach_register(by):
        raise PermissionDenied("Only a facilitator keeps the breach register.")
    if errors := family_told_problems(at=at, how=how):
        raise ValidationError(errors)
    affected.family_told_at, affected.family_told_how = at, how.strip()
    affected.save(update_fields=["family_told_at", "family_told_how"])
    return affected
