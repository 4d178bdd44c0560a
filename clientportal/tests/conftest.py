import time
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from compliance.sessions import REAUTH_AT
from tests.support.clientportal import (
    account_for_client,
    account_fund_and_buy,
    client_user_make,
    instruments_make,
)
from tests.support.tenants import login, tenant_client

_counter = iter(range(1, 1_000_000))


def portal_client(tenant, user, *, reauthenticated: bool = False):
    client = login(tenant_client(tenant), user, tenant)
    if reauthenticated:
        with tenant_context(tenant):
            session = client.session
            session[REAUTH_AT] = int(time.time())
            session.save()
        connection.set_schema_to_public()
    return client


@pytest.fixture
def holder(tenant_a):
    """A client of tenant A with one account: 10,000 USD deposited, 3 stocks bought (10 @ 50,
    commission 1 each), closes today 100, 101, 102."""
    n = next(_counter)
    with tenant_context(tenant_a):
        user = client_user_make(username=f"holder{n}")
        account = account_for_client(tenant=tenant_a, user=user)
        instruments = instruments_make(prefix=f"H{n}X", count=3)
        account_fund_and_buy(
            account=account,
            cash=Decimal("10000"),
            instruments=instruments,
            quantity=Decimal(10),
            price=Decimal(50),
            key=f"holder{n}",
        )
    connection.set_schema_to_public()
    return user, account


def staff_make(tenant, username: str, *, perms: tuple[str, ...] = ()):
    """A tenant staff member who may open the Broker Portal (plus `perms`, "app.codename")."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    with tenant_context(tenant):
        user = get_user_model().objects.create_user(username, is_staff=True)
        for perm in ("wagtailadmin.access_admin", *perms):
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    connection.set_schema_to_public()
    return user


@pytest.fixture(autouse=True)
def _brand_cache_empty():
    """Test transactions roll back, caches do not: start every test without cached brands."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
