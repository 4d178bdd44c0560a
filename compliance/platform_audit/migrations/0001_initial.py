"""The public schema's audit chain, fed by triggers on the journal and the operator's admin log,
and the daily anchors of every chain; all append-only in the database."""

import django.utils.timezone
from django.db import migrations, models

from compliance.chain_sql import (
    ADMIN_LOG_TRIGGER,
    APPEND_ONLY_FUNCTION,
    FUNCTIONS,
    JOURNAL_TRIGGER,
    append_only_trigger_sql,
    chain_trigger_sql,
)

RECORDS = "platform_audit_platformauditrecord"
ANCHORS = "platform_audit_auditanchor"


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("ledger", "0014_row_level_security_tenant_setting"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="PlatformAuditRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("actor_id", models.BigIntegerField(blank=True, null=True)),
                ("actor_username", models.CharField(blank=True, max_length=150)),
                ("action", models.CharField(db_index=True, max_length=64)),
                ("target", models.CharField(blank=True, max_length=255)),
                ("details", models.JSONField(blank=True, default=dict)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("seq", models.BigIntegerField(db_default=0, editable=False, unique=True)),
                ("prev_hash", models.CharField(db_default="", editable=False, max_length=64)),
                ("record_hash", models.CharField(db_default="", editable=False, max_length=64)),
            ],
            options={"ordering": ["-created_at", "-id"], "abstract": False},
        ),
        migrations.CreateModel(
            name="AuditAnchor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("chain", models.CharField(help_text="The schema of the chain: public or a tenant's.", max_length=63)),
                ("day", models.DateField()),
                ("seq", models.BigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["chain", "-day"],
                "constraints": [
                    models.UniqueConstraint(fields=("chain", "day"), name="audit_anchor_one_per_day")
                ],
            },
        ),
        migrations.RunSQL(FUNCTIONS + APPEND_ONLY_FUNCTION, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            chain_trigger_sql(RECORDS) + append_only_trigger_sql(RECORDS)
            + append_only_trigger_sql(ANCHORS),
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(JOURNAL_TRIGGER + ADMIN_LOG_TRIGGER, reverse_sql=migrations.RunSQL.noop),
    ]
