# Reminders are rendered when delivered (cases.reminders.texts): the sweep stores a kind and a
# compact context; subject and body are filled as an email goes out. Rows written before keep
# their text.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_stage_clock"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="context",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="notification",
            name="body",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="notification",
            name="subject",
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
