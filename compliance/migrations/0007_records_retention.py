"""Records kept for the tenant's retention period: issued statements (activity statements,
confirmations, gains reports) cannot be deleted before it ends (compliance.chain_sql)."""

from django.db import migrations, models

from compliance.chain_sql import RETENTION_FUNCTION, retention_trigger_sql


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0006_audit_chain"),
        ("branding", "0004_statements_private_storage"),
    ]

    operations = [
        migrations.AddField(
            model_name="securitysettings",
            name="records_retention_years",
            field=models.PositiveSmallIntegerField(
                default=6,
                help_text=(
                    "Issued statements, confirmations, reports and signed reviews are kept this "
                    "many years; the database refuses to delete them sooner (SEC Rule 17a-4(b): "
                    "six years for these records)."
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="securitysettings",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("records_retention_years__gte", 6), ("records_retention_years__lte", 50)
                ),
                name="securitysettings_retention_range",
            ),
        ),
        migrations.RunSQL(RETENTION_FUNCTION, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            retention_trigger_sql("branding_issuedstatement", "issued_at"),
            reverse_sql="DROP TRIGGER IF EXISTS branding_issuedstatement_retained "
            "ON branding_issuedstatement;",
        ),
    ]
