"""Tenant-aware helpers for tests."""

from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context


def tenant_client(tenant, **kwargs) -> Client:
    """A test client whose requests go to the tenant's primary host."""
    return Client(HTTP_HOST=tenant.get_primary_domain().domain, **kwargs)


def login(client: Client, user, tenant) -> Client:
    """Log `user` in on `client`; the session is written in the tenant's schema."""
    with tenant_context(tenant):
        client.force_login(user)
    connection.set_schema_to_public()
    return client
