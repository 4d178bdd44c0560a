"""Issued statements move from the public media tree to the private statement storage.

The rows are immutable (a trigger refuses UPDATE, migration 0002), and they stay so: each file
keeps its name and only the storage behind the field changes, so the migration moves files and
never writes to the table. Names issued before this migration keep their old, guessable form;
that no longer matters once nothing serves them by URL, and new statements get a random path
component. The move is idempotent (files already moved or missing are skipped and logged by
`branding.storage`), and runs per tenant schema, where the storages resolve the schema's folder.
"""

from django.db import migrations, models
from django_tenants.files.storage import TenantFileSystemStorage

import branding.statement_models
import branding.storage


def _names(apps):
    statements = apps.get_model("branding", "IssuedStatement")
    for pdf, csv, xml in statements.objects.values_list("pdf", "csv", "xml").iterator():
        yield from (pdf, csv, xml)


def files_to_private(apps, schema_editor):
    return branding.storage.statement_files_move(
        names=_names(apps),
        source=TenantFileSystemStorage(),
        target=branding.storage.PrivateStatementStorage(),
    )


def files_to_public(apps, schema_editor):
    return branding.storage.statement_files_move(
        names=_names(apps),
        source=branding.storage.PrivateStatementStorage(),
        target=TenantFileSystemStorage(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("branding", "0003_role_permissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="issuedstatement",
            name="csv",
            field=models.FileField(
                max_length=300,
                storage=branding.storage.PrivateStatementStorage(),
                upload_to=branding.statement_models._statement_path,
            ),
        ),
        migrations.AlterField(
            model_name="issuedstatement",
            name="pdf",
            field=models.FileField(
                max_length=300,
                storage=branding.storage.PrivateStatementStorage(),
                upload_to=branding.statement_models._statement_path,
            ),
        ),
        migrations.AlterField(
            model_name="issuedstatement",
            name="xml",
            field=models.FileField(
                max_length=300,
                storage=branding.storage.PrivateStatementStorage(),
                upload_to=branding.statement_models._statement_path,
            ),
        ),
        migrations.RunPython(files_to_private, files_to_public, elidable=False),
    ]
