"""Seed the product Zolgensma (DOMAIN.md §1.1, §1.5) and the Facilitators group."""

from __future__ import annotations

from django.db import migrations

ZOLGENSMA = {
    "name": "Zolgensma",
    "generic_name": "onasemnogene abeparvovec",
    "manufacturer": "Novartis Gene Therapies",
    "storage_notes": (
        "Shipped frozen at or below -60 C. On receipt put immediately into a 2-8 C refrigerator "
        "in the original carton; start therapy within 14 days of receipt. Never refreeze."
    ),
}


def seed(apps, schema_editor):
    Product = apps.get_model("cases", "Product")
    Group = apps.get_model("auth", "Group")
    Product.objects.get_or_create(name=ZOLGENSMA["name"], defaults=ZOLGENSMA)
    Group.objects.get_or_create(name="Facilitators")


def unseed(apps, schema_editor):
    # Leave the rows: cases may refer to the product.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
