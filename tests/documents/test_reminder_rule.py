"""documents_missing lives in documents and joins the sweep through cases.reminders' registry."""

from __future__ import annotations

from django.apps import apps

from cases import reminders
from documents.reminders import documents_missing


def test_documents_missing_is_registered_once_and_runs_first_as_before_it_moved():
    apps.get_app_config("documents").ready()  # a second ready() adds nothing

    assert reminders.RULES[0] is documents_missing
    assert reminders.RULES.count(documents_missing) == 1


def test_a_registered_rule_runs_last_unless_asked_first_and_only_once():
    def extra_rule(now):
        return []

    try:
        reminders.register_rule(extra_rule)
        reminders.register_rule(extra_rule, first=True)
        assert reminders.RULES[-1] is extra_rule
        assert reminders.RULES.count(extra_rule) == 1
    finally:
        reminders.RULES.remove(extra_rule)
