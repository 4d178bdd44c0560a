"""The chain functions again (`compliance.chain_sql.FUNCTIONS`): hashes declared STABLE so that a
walk inlines them, and the chain trigger reading the head once per transaction. The functions
live in the public schema, so the shared migration replaces them for every chain."""

from django.db import migrations

from compliance.chain_sql import FUNCTIONS


class Migration(migrations.Migration):
    dependencies = [("platform_audit", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTIONS, reverse_sql=migrations.RunSQL.noop)]
