from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # The events come from signals the lower apps already send, so cases and documents
        # never import this app (webhooks.events).
        from django.db.models.signals import post_save, pre_save
        from django_fsm.signals import post_transition

        from cases.models import Case, SafetyFollowUp
        from documents.models import Document

        from . import events

        post_transition.connect(
            events.on_case_transition, sender=Case, dispatch_uid="webhooks.case_transition"
        )
        pre_save.connect(
            events.remember_review_status,
            sender=Document,
            dispatch_uid="webhooks.document_review_before",
        )
        post_save.connect(
            events.on_document_saved, sender=Document, dispatch_uid="webhooks.document_saved"
        )
        post_save.connect(
            events.on_safety_follow_up_saved,
            sender=SafetyFollowUp,
            dispatch_uid="webhooks.safety_follow_up",
        )
