# Email delivery through crashes: each notification records its attempt's step (status) and
# when the message was handed to the mail server, before talking to it (cases.delivery).

from django.db import migrations, models
from django.db.models import Q


def set_status(apps, schema_editor):
    """Existing rows: sent if sent. An unsent email claimed by the previous version is in an
    unknown step, so it counts as handed over: once its lease expires it becomes uncertain
    (or sent, if that version's worker still records ``sent_at``), never sent a second time."""
    Notification = apps.get_model("cases", "Notification")
    Notification.objects.filter(sent_at__isnull=False).update(status="sent")
    Notification.objects.filter(
        sent_at__isnull=True, claimed_at__isnull=False, channel="email"
    ).update(status="handed_over")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_rulebook"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_outbox",
        ),
        migrations.AddField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("connecting", "Connecting to the mail server"),
                    ("handed_over", "Handed over, no answer yet"),
                    ("sent", "Sent"),
                    ("uncertain", "Uncertain: check before sending again"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="handed_over_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(set_status, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=Q(status__in=["pending", "connecting", "handed_over"]),
                fields=["channel", "status", "due_at"],
                name="notification_outbox",
            ),
        ),
    ]
