"""Factories shared by the access, compliance and security tests: tenant users with roles and
second factors, bare ledger accounts."""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from ledger.models import Account

_numbers = itertools.count(1)
PASSWORD = "correct-horse-battery-42"  # noqa: S105


def account_make(*, tenant, account_type="individual", parent=None, title="") -> Account:
    number = f"T{next(_numbers):07d}{tenant.schema_name[-1].upper() if tenant else 'P'}"
    return Account.objects.create(
        tenant=tenant,
        number=number,
        title=title or f"Account {number}",
        account_type=account_type,
        parent=parent,
    )


def user_make(*, tenant, username, roles=(), is_staff=None, password=PASSWORD, totp=False):
    """A user in the tenant's schema (leaves the connection in the tenant's schema)."""
    with tenant_context(tenant):
        user = get_user_model().objects.create_user(
            username=username,
            email=username if "@" in username else f"{username}@example.com",
            password=password,
            is_staff=bool(roles) and "Client" not in roles if is_staff is None else is_staff,
        )
        if roles:
            user.groups.set(Group.objects.filter(name__in=roles))
        if totp:
            TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    connection.set_schema_to_public()
    return user
