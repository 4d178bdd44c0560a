"""Helpers for tests and benchmarks that commit ledger rows and must remove them again."""

from django.db import connection, transaction


@transaction.atomic
def ledger_purge(*, account_ids: list[int]) -> None:
    """Delete accounts with their journal entries (all legs), projections and history. Only
    possible through the trigger's purge switch, which the application never sets."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL ledger.allow_purge = 'on'")
        cursor.execute(
            "CREATE TEMP TABLE purge_entries ON COMMIT DROP AS "
            "SELECT DISTINCT entry_id AS id FROM ledger_posting WHERE account_id = ANY(%s)",
            [account_ids],
        )
        for table, column in (
            ("ledger_taxlot", "account_id"),
            ("ledger_realizedgain", "account_id"),
            ("ledger_position", "account_id"),
            ("ledger_cashbalance", "account_id"),
            ("ledger_navsnapshot", "account_id"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [account_ids])  # noqa: S608
        cursor.execute(
            "DELETE FROM ledger_posting WHERE entry_id IN (SELECT id FROM purge_entries)"
        )
        cursor.execute(
            "DELETE FROM ledger_journalentry WHERE id IN (SELECT id FROM purge_entries) "
            "AND reverses_id IS NOT NULL"
        )
        cursor.execute("DELETE FROM ledger_journalentry WHERE id IN (SELECT id FROM purge_entries)")
        margin_records_purge(cursor, account_ids)
        cursor.execute(
            "DELETE FROM ledger_account WHERE id = ANY(%s) AND parent_id IS NOT NULL", [account_ids]
        )
        cursor.execute("DELETE FROM ledger_account WHERE id = ANY(%s)", [account_ids])


# What the margin monitor records of an account, in every tenant's schema: it runs after each
# booking, so tests that book to margin accounts leave these behind.
MARGIN_TABLES = ("trading_intradaydeficit", "trading_margincall", "trading_daytraderestriction")


def margin_records_purge(cursor, account_ids) -> None:
    """Delete the margin monitor's rows of the accounts, in every schema that has them."""
    cursor.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_name = ANY(%s) AND table_schema <> 'public'",
        [list(MARGIN_TABLES)],
    )
    for schema, table in cursor.fetchall():
        cursor.execute(
            f'DELETE FROM "{schema}"."{table}" WHERE account_id = ANY(%s)',  # noqa: S608
            [list(account_ids)],
        )
