# The stage clock a hold pauses (cases.deadlines): when the current stage began, moved later by
# the time spent on hold since. Existing cases get it from their transition log.

import django.utils.timezone
from django.db import migrations, models


def replay(apps, schema_editor):
    """Every case: the stage began when the state last changed, unless a hold or a resume is in
    its log; those few are replayed log by log (the same arithmetic as
    ``cases.deadlines.stage_clock_after``, copied so this migration never changes)."""
    Case = apps.get_model("cases", "Case")
    ContentType = apps.get_model("contenttypes", "ContentType")
    StateLog = apps.get_model("django_fsm_log", "StateLog")
    Case.objects.update(stage_clock_from=models.F("state_changed_at"))
    content_type = ContentType.objects.filter(app_label="cases", model="case").first()
    if content_type is None:
        return
    held = (
        StateLog.objects.filter(content_type=content_type, transition__in=["hold", "resume"])
        .values_list("object_id", flat=True)
        .distinct()
    )
    for case in Case.objects.filter(pk__in=list(held)):
        clock, changed = case.created_at, case.created_at
        for log in StateLog.objects.filter(content_type=content_type, object_id=case.pk).order_by(
            "timestamp", "pk"
        ):
            if log.transition == "resume":
                clock = clock + (log.timestamp - changed)
            elif log.transition != "hold":
                clock = log.timestamp
            changed = log.timestamp
        Case.objects.filter(pk=case.pk).update(stage_clock_from=clock)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_notification_delivery_attempts"),
        ("django_fsm_log", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="stage_clock_from",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(replay, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["state", "stage_clock_from"], name="case_stage_clock"),
        ),
    ]
