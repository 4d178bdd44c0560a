"""The operator's writes from the console: provisioning a tenant (the same path as
`tenants.services.tenant_provision`) with the first Security Officer's invitation, suspending
and resuming a tenant."""

from __future__ import annotations

import logging
import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import schema_context

from compliance.services import invitation_create
from tenants.models import Tenant
from tenants.services import tenant_provision, tenant_set_status

logger = logging.getLogger(__name__)


def schema_name_for(domain: str) -> str:
    """A schema name from the domain's first label: `northwind.example.com` → `northwind`."""
    label = re.sub(r"[^a-z0-9]+", "_", domain.split(".")[0].lower()).strip("_")
    if not label or not label[0].isalpha():
        label = f"t_{label}"
    return label[:62]


@transaction.atomic
def tenant_provision_with_invitation(
    *,
    operator,
    name: str,
    domain: str,
    kind: str,
    country: str,
    security_officer_email: str,
    schema_name: str = "",
    link_base_url: str = "",
) -> Tenant:
    """Provision the tenant (schema cloned from the template, primary domain, the first
    Security Officer with no usable password), then invite that officer: a single-use link to
    set the password and enrol the second factor, e-mailed after commit. All or nothing."""
    tenant = tenant_provision(
        name=name,
        schema_name=schema_name or schema_name_for(domain),
        domain=domain,
        kind=kind,
        country=country,
        security_officer_email=security_officer_email,
    )
    with schema_context(tenant.schema_name):
        officer = get_user_model().objects.get(username=security_officer_email)
        invitation_create(actor=None, user=officer, base_url=link_base_url or None)
    logger.info("tenant %s provisioned by operator %s", tenant.schema_name, operator.get_username())
    return tenant


@transaction.atomic
def tenant_suspend_or_resume(*, operator, tenant: Tenant, suspend: bool) -> Tenant:
    status = Tenant.Status.SUSPENDED if suspend else Tenant.Status.ACTIVE
    changed = tenant_set_status(tenant=tenant, status=status)
    logger.info("tenant %s %s by %s", tenant.schema_name, status, operator.get_username())
    return changed
