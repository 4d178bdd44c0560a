"""Removing committed test records that the database keeps for the retention period: only the
tables' owner can, by switching the retention triggers off inside one transaction."""

import contextlib

from django.db import connection, transaction

RETAINED_TABLES = ("branding_issuedstatement", "compliance_accessreview")


@contextlib.contextmanager
def records_deletable():
    """Within the current schema, for the length of the block: deletes of retained records
    pass (the triggers are off in this transaction only; other sessions wait on the lock)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE tgname LIKE '%%_retained' AND tgrelid::regclass::text = ANY(%s)",
            [list(RETAINED_TABLES)],
        )
        found = cursor.fetchall()
        for table, trigger in found:
            cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
        yield
        # Deferred foreign-key checks of the deletes first: ALTER TABLE refuses while any wait.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in found:
            cursor.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')
