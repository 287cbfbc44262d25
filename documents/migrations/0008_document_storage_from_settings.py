# Document.file's storage is now a callable (documents.storage.private_storage) that settings
# resolve to local disk or an S3 bucket. Storage is not a column: this changes Django's model
# state only, so no engine rewrites the table (SQLite would otherwise rebuild it).

from django.db import migrations, models

import documents.models
import documents.storage


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0007_rulebook"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="document",
                    name="file",
                    field=models.FileField(
                        max_length=200,
                        storage=documents.storage.private_storage,
                        upload_to=documents.models.document_upload_to,
                    ),
                ),
            ],
        ),
    ]
