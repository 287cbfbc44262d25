# Indexes for the clocks the reminder sweep and the dashboard look up by date (cases.deadlines).
# The outbox, which the sweep writes in bulk, keeps fewer: no index of the recipient's own (the
# inbox index starts with it), no pattern-ops twin of the unique dedupe key, and no foreign-key
# constraints (see Notification.case).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_reminder_context"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="case",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="dedupe_key",
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["state", "infused_at"], include=("id", "product"), name="case_state_infused"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["state", "infusion_scheduled_at"], name="case_state_planned"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["state", "eta"], name="case_state_eta"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["state", "permit_valid_until"], name="case_state_permit"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("infused_at__isnull", True), ("received_at__isnull", False)),
                fields=["received_at"],
                name="case_cold_chain",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("dedupe_key",), name="notification_dedupe_key"
            ),
        ),
    ]
