# DOMAIN.md §1.5: when the syringes were drawn up; the infusion follows within 8 hours.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_sweep_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="syringe_drawn_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="syringe drawn up at"),
        ),
    ]
