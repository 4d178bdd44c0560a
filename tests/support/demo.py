"""The demo (both demo tenants and the operator, at the small size) committed in the test
database for the browser tests, and its removal afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction


@dataclass(frozen=True)
class DemoSite:
    schemas: tuple[str, ...]
    fx_rate_ids: tuple[int, ...]  # the FX rates the demo added
    instrument_ids: tuple[int, ...]


def demo_site_create() -> DemoSite:
    from demo.seed import DEMO_TENANTS, demo_seed
    from ledger.models import FxRate, Instrument

    rates_before = set(FxRate.objects.values_list("pk", flat=True))
    instruments_before = set(Instrument.objects.values_list("pk", flat=True))
    demo_seed(small=True)
    connection.set_schema_to_public()
    return DemoSite(
        schemas=tuple(d.schema_name for d in DEMO_TENANTS),
        fx_rate_ids=tuple(set(FxRate.objects.values_list("pk", flat=True)) - rates_before),
        instrument_ids=tuple(
            set(Instrument.objects.values_list("pk", flat=True)) - instruments_before
        ),
    )


def demo_site_purge(site: DemoSite) -> None:
    """Drop the demo tenants' schemas, their books and the market data the demo added."""
    from demo.seed import DEMO_OPERATOR
    from ledger.models import Account
    from tenants.models import Tenant
    from tests.support.ledger import ledger_purge

    connection.set_schema_to_public()
    tenants = list(Tenant.objects.filter(schema_name__in=site.schemas))
    for tenant in tenants:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
        ids = list(Account.objects.filter(tenant=tenant).values_list("pk", flat=True))
        if ids:
            ledger_purge(account_ids=ids)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ledger.allow_purge = 'on'")
        ids = [t.pk for t in tenants]
        cursor.execute("DELETE FROM tenants_domain WHERE tenant_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tenants_tenant WHERE id = ANY(%s)", [ids])
        instruments = list(site.instrument_ids)
        for table in ("ledger_taxlot", "ledger_realizedgain", "ledger_position", "ledger_price"):
            cursor.execute(
                f"DELETE FROM {table} WHERE instrument_id = ANY(%s)",  # noqa: S608
                [instruments],
            )
        cursor.execute("DELETE FROM ledger_instrument WHERE id = ANY(%s)", [instruments])
        cursor.execute("DELETE FROM ledger_fxrate WHERE id = ANY(%s)", [list(site.fx_rate_ids)])
    _public_user_delete(DEMO_OPERATOR)


_REFERENCING = (
    "SELECT kcu.table_name, kcu.column_name, ccu.column_name "
    "FROM information_schema.table_constraints tc "
    "JOIN information_schema.key_column_usage kcu "
    " ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema "
    "JOIN information_schema.constraint_column_usage ccu "
    " ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema "
    "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public' "
    "AND ccu.table_name = %s"
)


def _rows_delete(cursor, table: str, column: str, values: list, depth: int = 0) -> None:
    """Delete the rows of public.`table` whose `column` is in `values`, after the rows of
    other public tables that point at them (a few levels deep: devices, their codes)."""
    if not values or depth > 4:
        return
    cursor.execute(_REFERENCING, [table])
    for child, child_column, parent_column in cursor.fetchall():
        cursor.execute(
            f'SELECT "{parent_column}" FROM public."{table}" WHERE "{column}" = ANY(%s)',  # noqa: S608
            [values],
        )
        keys = [row[0] for row in cursor.fetchall()]
        _rows_delete(cursor, child, child_column, keys, depth + 1)
    cursor.execute(f'DELETE FROM public."{table}" WHERE "{column}" = ANY(%s)', [values])  # noqa: S608


def _public_user_delete(username: str) -> None:
    """Raw deletes: the ORM's cascade collector would look for tenant tables (guardian) that
    point at users, and those do not exist in the public schema."""
    with transaction.atomic(), connection.cursor() as cursor:
        _rows_delete(cursor, "auth_user", "username", [username])
