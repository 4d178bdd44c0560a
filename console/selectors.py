"""The console's reads: tenants with their counts of users and accounts and their last
activity, in a fixed number of queries whatever the number of tenants."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from ledger.selectors.operator import account_counts_by_tenant
from tenants.models import Tenant


@dataclass(frozen=True)
class TenantRow:
    tenant: Tenant
    domain: str
    users: int
    accounts: int
    last_activity: object


def _per_schema_users(schemas: list[str]) -> dict[str, tuple[int, object]]:
    """schema → (logins, latest login): one UNION ALL over the tenants' user tables."""
    if not schemas:
        return {}
    # Schema names come from the tenants table (validated at provisioning), quoted anyway.
    parts = [
        f"SELECT %s, COUNT(*), MAX(last_login) FROM {connection.ops.quote_name(s)}.auth_user"  # noqa: S608
        for s in schemas
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), schemas)
        return {schema: (count, latest) for schema, count, latest in cursor.fetchall()}


def tenants_overview() -> list[TenantRow]:
    """Every tenant (the platform aside): three queries."""
    tenants = list(
        Tenant.objects.exclude(schema_name="public").prefetch_related("domains").order_by("name")
    )
    users = _per_schema_users([t.schema_name for t in tenants])
    accounts = account_counts_by_tenant()
    rows = []
    for t in tenants:
        domains = [d for d in t.domains.all() if d.is_primary] or list(t.domains.all())
        count, last_login = users.get(t.schema_name, (0, None))
        account_count, last_opened = accounts.get(t.pk, (0, None))
        latest = max((x for x in (last_login, last_opened) if x is not None), default=None)
        rows.append(
            TenantRow(t, domains[0].domain if domains else "", count, account_count, latest)
        )
    return rows
