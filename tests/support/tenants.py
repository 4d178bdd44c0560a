"""Tenant-aware helpers for tests and benchmarks: a client on the tenant host, a login."""

from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context


def tenant_client(tenant, **kwargs) -> Client:
    """A test client whose requests go to the tenant's primary host."""
    return Client(HTTP_HOST=tenant.get_primary_domain().domain, **kwargs)


def login(client: Client, user, tenant, *, verified: bool = True) -> Client:
    """Log `user` in on `client`; the session is written in the tenant's schema.

    `verified=True` (the default) also marks the session as having passed the second factor
    (a confirmed test device), as a real login does; `verified=False` leaves it at the password
    step, which the second-factor middleware stops at the 2FA page.
    """
    with tenant_context(tenant):
        client.force_login(user)
        if verified:
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_static.models import StaticDevice

            device, _ = StaticDevice.objects.get_or_create(
                user=user, name="test login", defaults={"confirmed": True}
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    connection.set_schema_to_public()
    return client
