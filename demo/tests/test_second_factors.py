"""Demo logins can pass the second factor with the code `manage.py demo_totp` prints."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from demo.compliance import demo_recovery_codes, demo_second_factors_ensure, demo_totp_code
from tests.support.factories import PASSWORD, user_make
from tests.support.tenants import tenant_client


def test_demo_code_passes_the_second_factor(tenant_a):
    # given: a login set up like the demo ones
    user_make(tenant=tenant_a, username="demo-staff@example.com", roles=["Viewer"])
    with tenant_context(tenant_a):
        created = demo_second_factors_ensure(
            schema_name="tenant_a", usernames=["demo-staff@example.com"]
        )
        again = demo_second_factors_ensure(
            schema_name="tenant_a", usernames=["demo-staff@example.com"]
        )
    client = tenant_client(tenant_a)
    client.post("/login/", {"username": "demo-staff@example.com", "password": PASSWORD})
    # when
    response = client.post(
        "/auth/verify/",
        {"code": demo_totp_code("tenant_a", "demo-staff@example.com"), "next": "/broker/"},
    )
    # then
    assert (created, again) == (1, 0)
    assert response["Location"] == "/broker/"
    assert client.get("/broker/").status_code == 200


def test_demo_recovery_code_works_once(tenant_a):
    # given
    user_make(tenant=tenant_a, username="demo-client@example.com", roles=["Client"])
    with tenant_context(tenant_a):
        demo_second_factors_ensure(schema_name="tenant_a", usernames=["demo-client@example.com"])
    code = demo_recovery_codes("tenant_a", "demo-client@example.com")[0]
    results = []
    for _ in range(2):
        client = tenant_client(tenant_a)
        client.post("/login/", {"username": "demo-client@example.com", "password": PASSWORD})
        # when
        results.append(client.post("/auth/verify/", {"code": code}).status_code)
    # then
    assert results == [302, 200]


def test_demo_totp_command_refuses_non_demo_tenants(tenant_a):
    # given / when / then
    with pytest.raises(CommandError, match="not a demo tenant"):
        call_command("demo_totp", "tenant_a", "x", stdout=StringIO(), stderr=StringIO())


def test_demo_clients_get_their_own_accounts_once(tenant_a):
    # given: accounts the ledger demo opened for a client login, and someone else's
    from demo.compliance import demo_account_grants_ensure
    from ledger.access import accounts_visible
    from ledger.models import Account

    user = user_make(tenant=tenant_a, username="demo-owner@example.com", roles=["Client"])
    mine = [
        Account.objects.create(
            tenant=tenant_a,
            number=f"DEMOC{i}",
            title="Mine",
            account_type="individual",
            external_ref="demo:demo-owner@example.com",
        )
        for i in range(2)
    ]
    Account.objects.create(
        tenant=tenant_a,
        number="DEMOX1",
        title="Other",
        account_type="individual",
        external_ref="demo:someone@example.com",
    )
    with tenant_context(tenant_a):
        # when
        first = demo_account_grants_ensure(
            schema_name="tenant_a", usernames=["demo-owner@example.com"]
        )
        second = demo_account_grants_ensure(
            schema_name="tenant_a", usernames=["demo-owner@example.com"]
        )
        # then
        fundable = sorted(
            accounts_visible(user=user, tenant=tenant_a, need="fund").values_list(
                "number", flat=True
            )
        )
        reportable = list(accounts_visible(user=user, tenant=tenant_a, need="report"))
    assert (first, second) == (1, 0)
    assert fundable == [a.number for a in mine]
    assert reportable == []
