import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from compliance.api_keys.services import api_key_create
from tests.support.clientportal import (
    account_for_client,
    account_fund_and_buy,
    client_user_make,
    instruments_make,
)
from tests.support.tenants import tenant_client

_counter = itertools.count(1)


def with_device(user):
    TOTPDevice.objects.get_or_create(user=user, name="app", defaults={"confirmed": True})
    return user


def key_for(tenant, user, *, scopes=("read",), days=30, networks=None) -> str:
    with tenant_context(tenant):
        with_device(user)
        _, secret = api_key_create(
            actor=None, user=user, name="test", scopes=list(scopes), days=days, networks=networks
        )
    connection.set_schema_to_public()
    return secret


def key_client(tenant, secret, **extra):
    return tenant_client(tenant, HTTP_AUTHORIZATION=f"Bearer {secret}", **extra)


@pytest.fixture
def holder(tenant_a):
    """A client of tenant A with one account: 10,000 USD deposited, 3 stocks bought (10 @ 50,
    commission 1 each): 8,497 USD cash."""
    n = next(_counter)
    with tenant_context(tenant_a):
        user = client_user_make(username=f"apiholder{n}")
        account = account_for_client(tenant=tenant_a, user=user)
        instruments = instruments_make(prefix=f"AP{n}X", count=3)
        account_fund_and_buy(
            account=account,
            cash=Decimal("10000"),
            instruments=instruments,
            quantity=Decimal(10),
            price=Decimal(50),
            key=f"apiholder{n}",
        )
    connection.set_schema_to_public()
    return user, account


@pytest.fixture
def other_holder(tenant_b):
    n = next(_counter)
    with tenant_context(tenant_b):
        user = client_user_make(username=f"apiother{n}")
        account = account_for_client(tenant=tenant_b, user=user)
    connection.set_schema_to_public()
    return user, account
