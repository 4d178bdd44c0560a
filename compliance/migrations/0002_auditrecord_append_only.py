"""The audit trail is append-only in the database itself: UPDATE and DELETE are refused by a
trigger, whatever code path (ORM, admin, raw SQL) tries them."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION public.compliance_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
CREATE TRIGGER compliance_auditrecord_append_only
BEFORE UPDATE OR DELETE ON compliance_auditrecord
FOR EACH ROW EXECUTE FUNCTION public.compliance_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            TRIGGER,
            reverse_sql="DROP TRIGGER IF EXISTS compliance_auditrecord_append_only "
            "ON compliance_auditrecord;",
        ),
    ]
