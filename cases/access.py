"""Who may see and do what: the one module that decides it.

Every "may this user see / do this to this object" of the project is answered here: the roles
(a facilitator, with the verified second factor; a treating doctor; a hospital admin), the
cases each user sees, what they see on one, and who may run each transition or write each
record. Selectors narrow their querysets with it, services refuse with ``PermissionDenied``
when it says no, and views, the admin and the dashboard ask it; nothing else looks at a role.
``tests/test_access_single_source.py`` fails when a role check appears anywhere else.

Each function takes the user first; an anonymous, inactive or missing (``None``) user is
refused everything. ``cases`` is the bottom layer, so nothing here imports another app: the
clinical access grant (the documents app's model) is read through its reverse relation on
``Case``, and a document type through its flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings

from .states import CaseState

if TYPE_CHECKING:
    from django.contrib.auth.models import Group, User
    from django.db.models import Model, QuerySet

    from .models import Case, Notification, Patient

FACILITATORS_GROUP = "Facilitators"

# The roles, as the portals' home routing and ``TRANSITION_ROLES`` name them.
FACILITATOR, DOCTOR, HOSPITAL = "facilitator", "doctor", "hospital"
# Not a sign-in role: the system account that acts for a guardian through their status link
# (family app), bound to that link's one case for one request.
GUARDIAN = "guardian"


# --- Roles ----------------------------------------------------------------------------------


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_staff_account(user: Any) -> bool:
    """A staff account: signs in to the admin with a second factor and keeps a work-day
    session. Staff see patient data only as facilitators (``is_facilitator``)."""
    return bool(user is not None and user.is_authenticated and user.is_staff)


def two_factor_required(user: Any) -> bool:
    """Staff sign in with a second factor (``npp.two_factor`` runs it) unless settings say not."""
    return bool(settings.NPP_REQUIRE_STAFF_2FA and is_staff_account(user))


def session_verified(user: Any) -> bool:
    """Whether this session passed two-factor (users outside a request count as verified:
    services called from commands and tasks act for the system, not a browser)."""
    if not two_factor_required(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def is_facilitator(user: Any) -> bool:
    """Facilitators are active staff in the Facilitators group (or superusers), and in a
    browser session only once it passed the second factor (``npp.two_factor``)."""
    if not (_active(user) and user.is_staff):
        return False
    if not session_verified(user):
        return False
    if user.is_superuser:
        return True
    # Cache on the user object: the admin asks this many times per page.
    cached: bool | None = getattr(user, "_npp_is_facilitator", None)
    if cached is None:
        cached = user.groups.filter(name=FACILITATORS_GROUP).exists()
        user._npp_is_facilitator = cached
    return cached


def doctor_id(user: Any) -> int | None:
    """The ``Doctor`` an active user is, or None."""
    doctor = getattr(user, "doctor", None) if _active(user) else None
    return doctor.pk if doctor is not None else None


def hospital_id(user: Any) -> int | None:
    """The hospital an active hospital admin works for, or None for anyone else."""
    admin = getattr(user, "hospital_admin", None) if _active(user) else None
    return admin.hospital_id if admin is not None else None


def role(user: Any) -> str | None:
    """The user's one role, in the order ``cases_visible_to`` decides their scope."""
    if is_facilitator(user):
        return FACILITATOR
    if doctor_id(user) is not None:
        return DOCTOR
    if hospital_id(user) is not None:
        return HOSPITAL
    return None


def is_treating_doctor(user: Any, case: Case) -> bool:
    """``user`` is the case's treating doctor."""
    own = doctor_id(user)
    return own is not None and case.doctor_id == own


def is_hospital_admin_of(user: Any, case: Case) -> bool:
    """``user`` is an admin of the hospital the case's kit goes to."""
    own = hospital_id(user)
    return own is not None and case.hospital_id == own


def assignable_facilitators() -> QuerySet[User]:
    """The users a case may be assigned to, as the dashboard's filter lists them: active staff
    (as ``Case.facilitator``'s choices are)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_staff=True, is_active=True)


def facilitators_group() -> Group:
    """The group that makes active staff facilitators (seeded by a data migration)."""
    from django.contrib.auth.models import Group

    return Group.objects.get(name=FACILITATORS_GROUP)


# --- The facilitators' desk (admin and dashboard) ---------------------------------------------


def may_enter_admin(user: Any) -> bool:
    """The admin site's door (``admin.site.has_permission``): active staff whose session passed
    the second factor. Its pages with patient data also ask ``may_use_desk``."""
    return bool(_active(user) and is_staff_account(user) and session_verified(user))


def may_use_desk(user: Any) -> bool:
    """The admin's model pages and the dashboard: facilitators only (other staff see nothing
    of patients' data)."""
    return is_facilitator(user)


def may_delete_records(user: Any) -> bool:
    """Records are kept: a case ends by being closed or cancelled. Only a superuser deletes."""
    return is_facilitator(user) and bool(user.is_superuser)


def may_export_identifiers(user: Any) -> bool:
    """A CSV export with patient identifiers (recorded in the access log)."""
    return is_facilitator(user)


# --- Cases: scope ---------------------------------------------------------------------------


def cases_visible_to(user: Any, cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """``cases`` (default: every case) narrowed to what ``user`` may see: all for facilitators,
    their own for doctors, their hospital's for hospital admins, none for anyone else."""
    if cases is None:
        from .models import Case

        cases = Case.objects.all()
    if is_facilitator(user):
        return cases
    own_doctor = doctor_id(user)
    if own_doctor is not None:
        return cases.filter(doctor_id=own_doctor)
    own_hospital = hospital_id(user)
    if own_hospital is not None:
        return cases.filter(hospital_id=own_hospital)
    return cases.none()


def may_see_case(user: Any, case: Case) -> bool:
    """Whether ``case`` is in ``cases_visible_to(user)``, without a query for it."""
    if is_facilitator(user):
        return True
    if doctor_id(user) is not None:
        return is_treating_doctor(user, case)
    return is_hospital_admin_of(user, case)


def may_create_case(user: Any) -> bool:
    return is_facilitator(user)


# --- What a user sees on a case ---------------------------------------------------------------


def clinical_access_granted(case: Case) -> bool:
    """Whether a facilitator let the hospital's admins see this case's clinical side.

    The grant is the documents app's ``ClinicalAccessGrant``; cases sits below documents and
    never imports it, so the grant is found through its reverse relation on ``Case``. A case
    page asks several times about its own case object (``page_cache``): the answer is kept
    there for the request; anywhere else it is asked anew."""
    memo: dict[str, Any] | None = case.__dict__.get("_npp_page_cache")
    if memo is not None and "clinical_access" in memo:
        return bool(memo["clinical_access"])
    granted = (
        type(case)._default_manager.filter(pk=case.pk, clinical_access_grant__isnull=False).exists()
    )
    if memo is not None:
        memo["clinical_access"] = granted
    return granted


def page_cache(case: Case) -> dict[str, Any]:
    """Start keeping, on this case object, answers a page asks many times (for one request:
    a grant made afterwards is not seen through this object)."""
    cache: dict[str, Any] = case.__dict__.setdefault("_npp_page_cache", {})
    return cache


def sees_clinical(user: Any, case: Case) -> bool:
    """Clinical documents, lab values and the eligibility reasons of ``case``: facilitators and
    the treating doctor; the hospital's admins only once clinical access is granted."""
    if is_facilitator(user) or is_treating_doctor(user, case):
        return True
    return is_hospital_admin_of(user, case) and clinical_access_granted(case)


def may_see_document(user: Any, case: Case, document_type: Any) -> bool:
    """A document of ``document_type`` on ``case``: shipment-side types for everyone who sees
    the case, the others for those who see its clinical side."""
    if not may_see_case(user, case):
        return False
    return bool(document_type.shipment_side) or sees_clinical(user, case)


def may_upload(user: Any, case: Case, document_type: Any) -> bool:
    """A new version of ``document_type`` on ``case``: facilitators any type, the treating
    doctor and the hospital's admins the types marked uploadable by them."""
    if is_facilitator(user):
        return True
    if is_treating_doctor(user, case):
        return bool(document_type.uploadable_by_doctor)
    if is_hospital_admin_of(user, case):
        return bool(document_type.uploadable_by_hospital)
    return False


def may_review_documents(user: Any, case: Case) -> bool:
    return is_facilitator(user)


def may_build_packets(user: Any, case: Case | None = None) -> bool:
    return is_facilitator(user)


def may_keep_regulatory_file(user: Any, case: Case | None = None) -> bool:
    """Record the regulatory and customs file of ``case`` (applicant and shipment facts, SUGAM,
    CDSCO's queries, the certificate, the Bill of Entry), its reference data, the yearly
    utilisation report and SUGAM-ready uploads: facilitators."""
    return is_facilitator(user)


def may_grant_clinical_access(user: Any, case: Case | None = None) -> bool:
    """Grant or revoke the hospital admins' clinical access on ``case``."""
    return is_facilitator(user)


# --- What a user may do to a case -------------------------------------------------------------


def _guardian_case_ids(user: Any) -> tuple[int, ...]:
    """The cases the guardian-link account ``user`` acts for in this request (``()`` for any
    other user): never staff, never able to sign in."""
    if _active(user) and not user.is_staff and not user.has_usable_password():
        return tuple(getattr(user, "npp_guardian_case_ids", ()))
    return ()


def is_guardian_actor_of(user: Any, case: Case) -> bool:
    """``user`` is the guardian-link account acting, in this request, for ``case``'s guardian
    (``guardian_actor_for``): one case only."""
    return case.pk in _guardian_case_ids(user)


def guardian_actor_for(user: Any, case: Case) -> Any:
    """Bind the guardian-link account ``user`` to ``case`` for what the guardian does through
    a valid link (give or withdraw consent; a withdrawal puts the case on hold)."""
    user.npp_guardian_case_ids = frozenset({case.pk})
    return user


_ROLE_ON_CASE: dict[str, Callable[[Any, Case], bool]] = {
    FACILITATOR: lambda user, case: is_facilitator(user),
    DOCTOR: is_treating_doctor,
    HOSPITAL: is_hospital_admin_of,
    GUARDIAN: is_guardian_actor_of,
}

# Who may run each transition (README, "The state machine"). Doctors and hospital admins act
# only on their own cases; a transition not listed here is nobody's.
TRANSITION_ROLES: dict[str, tuple[str, ...]] = {
    "start_document_collection": (FACILITATOR, DOCTOR),
    "submit_to_regulator": (FACILITATOR,),
    "record_permit": (FACILITATOR,),
    "record_rejection": (FACILITATOR,),
    "resubmit": (FACILITATOR,),
    "dispatch": (FACILITATOR,),
    "clear_customs": (FACILITATOR,),
    "confirm_delivery_and_schedule": (FACILITATOR, HOSPITAL),
    "record_infusion": (FACILITATOR, DOCTOR),
    "close": (FACILITATOR,),
    # The guardian puts the case on hold by withdrawing consent (DPDP Act 2023 s.6(4)).
    "hold": (FACILITATOR, GUARDIAN),
    "resume": (FACILITATOR,),
    "cancel": (FACILITATOR,),
}


def may_run(user: Any, case: Case, transition: str) -> bool:
    """Whether ``user`` may run ``transition`` on ``case``, whatever state the case is in (so a
    refusal tells an outsider nothing about the state)."""
    if any(_ROLE_ON_CASE[name](user, case) for name in TRANSITION_ROLES.get(transition, ())):
        return True
    # DOMAIN.md §1.5: an excursion in the logger file a hospital admin uploads at receipt puts
    # the case on hold for the manufacturer's decision, in the upload's own transaction and as
    # that admin. Only in delivery while such an excursion awaits a decision, so the hold is
    # theirs to run at no other time (and never shows among their actions once on hold).
    return (
        transition == "hold"
        and case.state == CaseState.DELIVERY
        and is_hospital_admin_of(user, case)
        and excursion_awaiting_decision(case)
    )


def transition_permission(transition: str) -> Callable[[Model, Any], bool]:
    """django-fsm's ``permission=`` for ``transition``: ``(case, user) -> may_run(...)``.
    Typed as django-fsm declares ``permission=`` (any model); only ``Case`` transitions use it."""

    def permitted(case: Model, user: Any) -> bool:
        return may_run(user, cast("Case", case), transition)

    permitted.__name__ = f"may_run_{transition}"
    return permitted


def may_record_facilitator_facts(user: Any, case: Case) -> bool:
    """The facts only a facilitator records, whoever runs the transition: the manufacturer's
    decision on a band change and a protocol deviation note (DOMAIN.md §1.10)."""
    return is_facilitator(user)


def may_record_lab_result(user: Any, case: Case) -> bool:
    """Record, correct or remove a post-infusion lab result: a facilitator or the treating
    doctor."""
    return is_facilitator(user) or is_treating_doctor(user, case)


def may_override_eligibility(user: Any, case: Case) -> bool:
    return is_facilitator(user)


# --- Patients -------------------------------------------------------------------------------


def may_record_weight(user: Any, patient: Patient) -> bool:
    """Record, correct or remove a weight (it decides the kit's band): facilitators."""
    return is_facilitator(user)


def may_record_consent(user: Any, patient: Patient) -> bool:
    """Record the guardian's consent or its withdrawal: facilitators, and the guardian
    through a valid link to a case of this patient (``guardian_actor_for``)."""
    if is_facilitator(user):
        return True
    acting_for = _guardian_case_ids(user)
    return bool(acting_for) and patient.cases.filter(pk__in=acting_for).exists()


# --- The family's side (family app) -----------------------------------------------------------


def may_manage_guardian_links(user: Any, case: Case | None = None) -> bool:
    """Create, send, copy and revoke a case's guardian status links: facilitators."""
    return is_facilitator(user)


# --- Funding and cold-chain evidence (the funding and coldchain apps) ----------------------


def may_see_funding(user: Any, case: Case) -> bool:
    """A case's quote, funding sources and receipts: the family's money, facilitators only."""
    return is_facilitator(user)


def may_manage_funding(user: Any, case: Case) -> bool:
    """Record the manufacturer's quote, a funding source or a receipt: facilitators."""
    return is_facilitator(user)


def may_see_cold_chain(user: Any, case: Case) -> bool:
    """The logger's temperature record of a kit: shipment side, everyone who sees the case."""
    return may_see_case(user, case)


def may_upload_logger_data(user: Any, case: Case) -> bool:
    """The logger's CSV export at receipt: the receiving hospital's admins and facilitators."""
    return is_facilitator(user) or is_hospital_admin_of(user, case)


def may_decide_excursion(user: Any, case: Case) -> bool:
    """Record the manufacturer's decision on a temperature excursion: facilitators."""
    return is_facilitator(user)


def excursion_awaiting_decision(case: Case) -> bool:
    """Whether a logger record of ``case`` shows an excursion the manufacturer has not decided
    on yet. The record is the coldchain app's ``LoggerRecord``; cases sits below it and reads
    it through its reverse relation on ``Case``, as ``clinical_access_grant``."""
    return (
        type(case)
        ._default_manager.filter(
            pk=case.pk, logger_records__excursion_count__gt=0, logger_records__decision=""
        )
        .exists()
    )


def guardian_link_open(link: Any, now: Any) -> bool:
    """Whether a guardian link (signature already verified) may show its case: not revoked,
    not expired. The link is the only credential; there is no user."""
    return link.revoked_at is None and now < link.expires_at


def may_keep_breach_register(user: Any) -> bool:
    """Record breaches, who was affected and when the Board and families were told."""
    return is_facilitator(user)


def may_choose_language(user: Any) -> bool:
    """Store the language one reads pages and reminders in: anyone signed in with a role."""
    return role(user) is not None


# --- Reminders --------------------------------------------------------------------------------


def may_read_portal_reminders(user: Any) -> bool:
    """The portals' reminder list: doctors and hospital admins (facilitators' are in the admin)."""
    return role(user) in (DOCTOR, HOSPITAL)


def notifications_visible_to(user: Any) -> QuerySet[Notification]:
    """The in-app reminders addressed to ``user`` about cases still in their scope."""
    from .models import Channel, Notification

    if not _active(user):
        return Notification.objects.none()
    return Notification.objects.filter(
        recipient=user, channel=Channel.IN_APP, case__in=cases_visible_to(user).values("pk")
    )


# --- After the infusion (the clinical app asks these) ---------------------------------------


def may_decide_safety_signal(user: Any, case: Case) -> bool:
    """Close a safety signal with a decision: the treating doctor (DOMAIN.md §1.8-1.9: the
    doctor decides what a crossed threshold means for the child)."""
    return is_treating_doctor(user, case)


def may_report_adverse_event(user: Any, case: Case) -> bool:
    """Report or complete an adverse event: the treating doctor or a facilitator."""
    return is_facilitator(user) or is_treating_doctor(user, case)


def may_forward_adverse_event(user: Any, case: Case) -> bool:
    """Record that an adverse event was forwarded to the manufacturer: a facilitator."""
    return is_facilitator(user)


def may_record_outcome(user: Any, case: Case) -> bool:
    """Motor milestones and support after the infusion: the treating doctor or a facilitator."""
    return is_facilitator(user) or is_treating_doctor(user, case)
