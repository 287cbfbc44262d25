"""What the API shows and takes. Every object comes from a scoped selector before it gets
here; these only decide the shape (and, for a case, leave the clinical side out for users
who may not see it, as the hospital portal does)."""

from __future__ import annotations

from functools import cache

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import access
from cases.deadlines import Status
from cases.models import Case, Doctor, Hospital, Notification, today_ist
from cases.selectors import second_birthday_clock
from cases.services import TRANSITION_FACTS, transition_label
from cases.states import CaseState
from clinical.models import LabValue
from documents.forms import LAB_VALUE_FIELDS
from documents.models import Document, DocumentType

# --- Cases ------------------------------------------------------------------------------------


class HospitalRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hospital
        fields = ["id", "name", "city"]


class DoctorRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__")

    class Meta:
        model = Doctor
        fields = ["id", "name"]


class CaseSummarySerializer(serializers.ModelSerializer):
    """A case as lists show it."""

    url = serializers.HyperlinkedIdentityField(
        view_name="api:case-detail", lookup_field="reference"
    )
    state_label = serializers.CharField(source="get_state_display")
    patient = serializers.CharField(source="patient.full_name")
    product = serializers.CharField(source="product.name")
    hospital = HospitalRefSerializer()
    doctor = DoctorRefSerializer()
    second_birthday_on = serializers.SerializerMethodField(
        help_text="The 2nd birthday (India date), the day the infusion must come before; "
        "null once the child is infused or the case has ended."
    )
    days_to_second_birthday = serializers.SerializerMethodField(
        help_text="Days from today (India) to the 2nd birthday; negative once passed; null "
        "as second_birthday_on."
    )

    class Meta:
        model = Case
        fields = [
            "reference",
            "url",
            "state",
            "state_label",
            "state_changed_at",
            "priority",
            "patient",
            "product",
            "hospital",
            "doctor",
            "second_birthday_on",
            "days_to_second_birthday",
            "created_at",
            "updated_at",
        ]

    def _birthday(self, case: Case):
        """The case's ``second_birthday`` clock (the deadline's one-case form), once per row."""
        found = getattr(case, "_api_birthday", False)
        if found is False:
            found = second_birthday_clock(case)
            case._api_birthday = found
        return found

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_second_birthday_on(self, case: Case):
        clock = self._birthday(case)
        return clock.due_on if clock else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_days_to_second_birthday(self, case: Case) -> int | None:
        clock = self._birthday(case)
        return clock.days_left if clock else None


class ShipmentSerializer(serializers.ModelSerializer):
    """The shipment side: what everyone who sees the case sees (the portals' "Shipment")."""

    permit_expired = serializers.SerializerMethodField()
    cold_chain_deadline = serializers.DateField(
        allow_null=True, help_text="The India date the kit's 14 x 24-hour window ends."
    )

    class Meta:
        model = Case
        fields = [
            "permit_number",
            "permit_issued_on",
            "permit_valid_until",
            "permit_expired",
            "awb_number",
            "courier",
            "eta",
            "bill_of_entry_number",
            "duty_exemption_claimed",
            "received_at",
            "received_by",
            "temperature_ok",
            "cold_chain_deadline",
            "infusion_scheduled_at",
            "infused_at",
        ]

    def get_permit_expired(self, case: Case) -> bool:
        return case.permit_expired_on(today_ist())


class ClinicalSideSerializer(serializers.ModelSerializer):
    """The rest of the case record: the kit, the reasons and notes (they may be clinical)."""

    class Meta:
        model = Case
        fields = [
            "supplier_order_ref",
            "kit_lot_numbers",
            "kit_band_low_kg",
            "kit_band_high_kg",
            "band_change_decision",
            "infusion_deviation_note",
            "rejection_reason",
            "hold_reason",
            "hold_from_state",
            "cancellation_reason",
            "close_reason",
            "close_override_reason",
            "steroid_taper_ended_on",
        ]


class CaseDetailSerializer(CaseSummarySerializer):
    """One case: the summary, its shipment, its clinical side where the user sees it, and
    links to its documents, blockers and timeline."""

    shipment = ShipmentSerializer(source="*")
    clinical = serializers.SerializerMethodField(
        help_text="Null for a hospital admin without clinical access to this case (a "
        "facilitator grants it per case), as in the hospital portal."
    )
    documents_url = serializers.HyperlinkedIdentityField(
        view_name="api:case-documents", lookup_field="reference"
    )
    blockers_url = serializers.HyperlinkedIdentityField(
        view_name="api:case-blockers", lookup_field="reference"
    )
    timeline_url = serializers.HyperlinkedIdentityField(
        view_name="api:case-timeline", lookup_field="reference"
    )
    deadlines_url = serializers.HyperlinkedIdentityField(
        view_name="api:case-deadlines", lookup_field="reference"
    )
    lab_values_url = serializers.SerializerMethodField(
        help_text="The lab values after the infusion; null where clinical is null."
    )

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "shipment",
            "clinical",
            "documents_url",
            "blockers_url",
            "timeline_url",
            "deadlines_url",
            "lab_values_url",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_lab_values_url(self, case: Case) -> str | None:
        request = self.context["request"]
        if not access.sees_clinical(request.user, case):
            return None
        return request.build_absolute_uri(
            reverse("api:case-lab-values", kwargs={"reference": case.reference})
        )

    @extend_schema_field(ClinicalSideSerializer(allow_null=True))
    def get_clinical(self, case: Case) -> dict | None:
        if not access.sees_clinical(self.context["request"].user, case):
            return None
        return ClinicalSideSerializer(case).data


class CaseFilterSerializer(serializers.Serializer):
    """The case list's filters (query parameters); each narrows the user's own scope."""

    state = serializers.ChoiceField(choices=CaseState.choices, required=False)
    hospital = serializers.IntegerField(required=False, min_value=1, help_text="A hospital's id.")
    doctor = serializers.IntegerField(required=False, min_value=1, help_text="A doctor's id.")
    updated_since = serializers.DateTimeField(
        required=False, help_text="ISO 8601; cases whose record changed at or after it."
    )


class BlockerSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The rule's stable code (README, the state machine).")
    message = serializers.CharField()


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    url = serializers.URLField(help_text="POST here to run it.")
    facts = serializers.ListField(
        child=serializers.CharField(), help_text="The facts it records, sent with the POST."
    )
    ready = serializers.BooleanField(help_text="No blocker with the case's facts as they are.")
    blockers = BlockerSerializer(many=True)


class CaseBlockersSerializer(serializers.Serializer):
    reference = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    transitions = AvailableTransitionSerializer(many=True)


class SpanSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=CaseState.choices)
    label = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    days = serializers.FloatField()
    ongoing = serializers.BooleanField()
    side = serializers.BooleanField(help_text="On hold, rejected or cancelled.")


class ClockSerializer(serializers.Serializer):
    """One clock of the case (``cases.deadlines``), as judged now."""

    code = serializers.CharField(help_text="The deadline's stable code, e.g. cold_chain.")
    label = serializers.CharField()
    key = serializers.CharField(help_text="Tells apart a deadline's clocks on one case.")
    measured_from = serializers.CharField(source="deadline.measured_from")
    length = serializers.CharField(source="deadline.length")
    pauses_on_hold = serializers.BooleanField(source="deadline.pauses_on_hold")
    due_on = serializers.DateField(help_text="The India date it falls on.")
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="The instant, for clocks kept in hours."
    )
    days_left = serializers.IntegerField(help_text="Negative once passed.")
    status = serializers.ChoiceField(
        choices=[Status.MET, Status.PAUSED, Status.OVERDUE, Status.SOON, Status.RUNNING],
        help_text="soon: within the deadline's warning window.",
    )
    paused = serializers.BooleanField(help_text="Stopped while the case is on hold.")
    met = serializers.BooleanField()
    detail = serializers.CharField()


class MilestoneSerializer(serializers.Serializer):
    label = serializers.CharField()
    at = serializers.DateTimeField()
    future = serializers.BooleanField()


class TimelineSerializer(serializers.Serializer):
    reference = serializers.CharField()
    spans = SpanSerializer(many=True)
    milestones = MilestoneSerializer(many=True)


class RefusalSerializer(serializers.Serializer):
    """A refused action: its reasons in words, each with a code (the rulebook's code when a
    rule refused), and per field when a value was refused."""

    errors = serializers.ListField(child=serializers.CharField())
    codes = serializers.ListField(child=serializers.CharField())
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


# --- Transitions --------------------------------------------------------------------------


class TransitionRequestSerializer(serializers.ModelSerializer):
    """Base of each transition's body: its facts (a fact left out keeps the case's value), a
    note for the case's history and the state the client saw."""

    note = serializers.CharField(
        required=False, allow_blank=True, help_text="A note for the case's history."
    )
    expected_state = serializers.ChoiceField(
        choices=CaseState.choices,
        required=False,
        help_text="The state the client saw; if the case has moved on since, 409.",
    )

    def validate(self, attrs: dict) -> dict:
        # A misspelt fact silently ignored would record nothing; say so instead.
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [f"'{self.transition}' does not record this."] for name in unknown}
            )
        return attrs


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


@cache
def transition_request_serializer(name: str) -> type[TransitionRequestSerializer]:
    """The body of transition ``name``: exactly its facts (``TRANSITION_FACTS``), typed from
    the case's fields, all optional (the rulebook says what is missing)."""
    facts = TRANSITION_FACTS[name]
    meta = type(
        "Meta",
        (),
        {
            "model": Case,
            "fields": [*facts, "note", "expected_state"],
            "extra_kwargs": {fact: {"required": False} for fact in facts},
        },
    )
    doc = f"The body of '{transition_label(name)}' ({name})."
    # Named e.g. "DispatchRequest" in the schema (drf-spectacular adds "Request").
    return type(
        f"{_camel(name)}Serializer",
        (TransitionRequestSerializer,),
        {"Meta": meta, "transition": name, "__doc__": doc},
    )


# --- Documents ------------------------------------------------------------------------------


class DocumentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentType
        fields = ["code", "name", "shipment_side", "is_lab"]


class LabValuesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["sample_taken_on", *LAB_VALUE_FIELDS]


class DocumentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:document-detail")
    download_url = serializers.HyperlinkedIdentityField(view_name="api:document-download")
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    document_type = DocumentTypeSerializer()
    uploaded_by = serializers.SerializerMethodField()
    lab_values = serializers.SerializerMethodField(help_text="Lab reports only; else null.")

    class Meta:
        model = Document
        fields = [
            "id",
            "url",
            "download_url",
            "case",
            "document_type",
            "version",
            "original_filename",
            "size",
            "content_type",
            "sha256",
            "page_count",
            "uploaded_at",
            "uploaded_by",
            "review_status",
            "review_note",
            "reviewed_at",
            "lab_values",
        ]

    def get_uploaded_by(self, document: Document) -> str | None:
        user = document.uploaded_by
        return (user.get_full_name() or user.username) if user is not None else None

    @extend_schema_field(LabValuesSerializer(allow_null=True))
    def get_lab_values(self, document: Document) -> dict | None:
        return LabValuesSerializer(document).data if document.document_type.is_lab else None


class DocumentUploadSerializer(serializers.ModelSerializer):
    """The upload (multipart/form-data), for the schema: the request is checked by the same
    form and service as the portals' uploads (``documents.forms.UploadForm``,
    ``document_upload``)."""

    document_type = serializers.SlugField(
        help_text="The document type's code, e.g. medical_report."
    )
    file = serializers.FileField(help_text="PDF, JPEG or PNG; checked by its content.")

    class Meta:
        model = Document
        fields = ["document_type", "file", "sample_taken_on", *LAB_VALUE_FIELDS]
        extra_kwargs = {
            name: {"required": False} for name in ["sample_taken_on", *LAB_VALUE_FIELDS]
        }


# --- Reminders ------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    case_url = serializers.HyperlinkedRelatedField(
        source="case", view_name="api:case-detail", lookup_field="reference", read_only=True
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "case",
            "case_url",
            "kind",
            "subject",
            "body",
            "due_at",
            "created_at",
            "read_at",
        ]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        help_text="Ids of the user's own reminders.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


# --- Clinical records after the infusion --------------------------------------------------------


class LabValueSerializer(serializers.ModelSerializer):
    """One value as the lab printed it: the unit, the ULN and range it printed, the sample's
    date and lab; ``current`` false once a later value for the same slot and test replaced
    it."""

    test_label = serializers.CharField(read_only=True)
    current = serializers.BooleanField(read_only=True)

    class Meta:
        model = LabValue
        fields = [
            "id",
            "slot",
            "test",
            "test_label",
            "value",
            "unit",
            "uln",
            "reference_range",
            "sampled_on",
            "lab",
            "recorded_at",
            "current",
            "replaced_at",
        ]


class LabValueItemSerializer(serializers.Serializer):
    test = serializers.CharField(
        help_text="A catalogue code (alt, ast, total_bilirubin, pt, platelets, troponin_i, "
        "creatinine, ...) or other with name."
    )
    name = serializers.CharField(required=False, allow_blank=True, help_text="For test other.")
    value = serializers.CharField(help_text="As printed, e.g. 31.5.")
    unit = serializers.CharField(allow_blank=True, help_text="As printed, e.g. U/L.")
    uln = serializers.CharField(
        required=False, allow_blank=True, help_text="The upper limit of normal the lab printed."
    )
    reference_range = serializers.CharField(required=False, allow_blank=True)


class LabPanelRequestSerializer(serializers.Serializer):
    sampled_on = serializers.DateField(help_text="The day the sample was taken (India date).")
    slot = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The monitoring slot (e.g. week_1); empty: an unscheduled sample.",
    )
    lab = serializers.CharField(required=False, allow_blank=True, default="")
    values = LabValueItemSerializer(many=True, allow_empty=False)


class LabPanelSavedSerializer(serializers.Serializer):
    values = LabValueSerializer(many=True, help_text="The values saved now.")
    replaced = LabValueSerializer(many=True, help_text="Earlier values these replaced.")
    signals = serializers.SerializerMethodField(
        help_text="The safety signals the panel opened, in words."
    )

    def get_signals(self, saved) -> list[str]:
        return [signal.message for signal in saved.signals]
