"""The tenant's audit trail becomes a hash chain (compliance.chain_sql): the existing records are
chained oldest first, then the database chains every new one."""

from django.db import migrations, models

from compliance.chain_sql import FUNCTIONS, chain_backfill_sql, chain_trigger_sql

TABLE = "compliance_auditrecord"


class Migration(migrations.Migration):
    dependencies = [("compliance", "0005_apikey")]

    operations = [
        migrations.RunSQL(FUNCTIONS, reverse_sql=migrations.RunSQL.noop),
        migrations.AddField(
            model_name="auditrecord",
            name="seq",
            field=models.BigIntegerField(db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name="auditrecord",
            name="prev_hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditrecord",
            name="record_hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        migrations.RunSQL(chain_backfill_sql(TABLE), reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="auditrecord",
            name="seq",
            field=models.BigIntegerField(db_default=0, editable=False, unique=True),
        ),
        migrations.RunSQL(
            chain_trigger_sql(TABLE),
            reverse_sql=f"DROP TRIGGER IF EXISTS {TABLE}_chain ON {TABLE};",
        ),
    ]
