"""Writes on tenants: provisioning by cloning the template schema, suspension."""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context, schema_exists

from .models import Domain, Tenant
from .roles import SECURITY_OFFICER, roles_ensure
from .snapshot import schema_create_from_snapshot

SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,61}$")
RESERVED_SCHEMAS = {"public", "information_schema", settings.TENANT_BASE_SCHEMA}


@transaction.atomic
def tenant_provision(
    *,
    name: str,
    schema_name: str,
    domain: str,
    security_officer_email: str,
    security_officer_password: str | None = None,
    legal_name: str = "",
    country: str = "",
    kind: str = Tenant.Kind.INTRODUCING_BROKER,
) -> Tenant:
    """Create a tenant, its schema (a clone of the migrated template schema), its primary domain
    and its first Security Officer, all in one transaction: PostgreSQL DDL is transactional, so a
    failure anywhere leaves no schema, no tenant row and no domain behind.

    The schema is a copy of the template: its stored SQL snapshot replayed (fast, see
    tenants.snapshot) or, without a current snapshot, django-tenants' clone. Either copies tables,
    indexes, constraints, sequences and the template's rows (including `django_migrations`), which
    makes a separate fake-migrate pass unnecessary.
    """
    if not SCHEMA_NAME_RE.match(schema_name) or schema_name in RESERVED_SCHEMAS:
        raise ValidationError({"schema_name": f"Invalid schema name {schema_name!r}."})
    if Domain.objects.filter(domain=domain).exists():
        raise ValidationError({"domain": f"The domain {domain!r} is already in use."})
    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        raise ValidationError(
            "The template schema does not exist: run `manage.py migrate_all` first."
        )
    tenant = Tenant(
        name=name,
        schema_name=schema_name,
        legal_name=legal_name or name,
        country=country,
        kind=kind,
    )
    tenant.full_clean()
    tenant.save()
    if not schema_create_from_snapshot(schema_name):
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, schema_name)
    Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
    with schema_context(schema_name):
        _site_point_at(domain=domain, site_name=name)
        roles = roles_ensure()
        user = get_user_model()(
            username=security_officer_email, email=security_officer_email, is_staff=True
        )
        if security_officer_password:
            user.set_password(security_officer_password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.add(roles[SECURITY_OFFICER])
    connection.set_schema_to_public()
    return tenant


def _site_point_at(*, domain: str, site_name: str) -> None:
    from wagtail.models import Site

    Site.objects.filter(is_default_site=True).update(hostname=domain, site_name=site_name)


@transaction.atomic
def tenant_set_status(*, tenant: Tenant, status: str) -> Tenant:
    tenant.status = status
    tenant.full_clean()
    tenant.save(update_fields=["status"])
    return tenant
