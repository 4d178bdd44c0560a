"""Reads on tenants and their schemas."""

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name

from .models import Tenant


def tenant_schemas_all() -> list[str]:
    return list(
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )


def applied_migrations_by_schema(schemas: list[str]) -> dict[str, set[tuple[str, str]]]:
    """The applied migrations of many schemas in one round trip."""
    if not schemas:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'django_migrations' AND nspname = ANY(%s)",
            [schemas],
        )
        present = {row[0] for row in cursor.fetchall()}
        result: dict[str, set[tuple[str, str]]] = {schema: set() for schema in schemas}
        parts = [
            f"SELECT %s, app, name FROM {connection.ops.quote_name(schema)}.django_migrations"  # noqa: S608
            for schema in schemas
            if schema in present
        ]
        params = [schema for schema in schemas if schema in present]
        if parts:
            cursor.execute(" UNION ALL ".join(parts), params)
            for schema, app, name in cursor.fetchall():
                result[schema].add((app, name))
    return result


def tenant_schemas_behind(template_schema: str | None = None) -> list[str]:
    """Tenant schemas missing a migration that the (just migrated) template schema has."""
    template = template_schema or settings.TENANT_BASE_SCHEMA
    schemas = tenant_schemas_all()
    applied = applied_migrations_by_schema([template, *schemas])
    wanted = applied[template]
    return [schema for schema in schemas if not wanted <= applied[schema]]
