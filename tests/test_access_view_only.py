"""A view-only client cannot move money: 403 and nothing written."""

from datetime import date

from django_tenants.utils import tenant_context

from clientportal.models import DepositNotice
from compliance.services import grant_add
from tests.support.factories import account_make, user_make
from tests.support.tenants import login, tenant_client


def test_view_only_client_gets_403_on_deposit_notice_and_nothing_is_written(tenant_a):
    # given
    account = account_make(tenant=tenant_a)
    user = user_make(tenant=tenant_a, username="look-only", roles=["Client"])
    with tenant_context(tenant_a):
        grant_add(actor=None, user=user, accounts=[account], perms=["view"])
        before = DepositNotice.objects.count()
    client = login(tenant_client(tenant_a), user, tenant_a)
    # when
    response = client.post(
        "/transfers/",
        {
            "action": "deposit",
            "deposit-account": account.pk,
            "deposit-amount": "100.00",
            "deposit-currency": "USD",
            "deposit-method": "wire",
            "deposit-expected_on": date(2026, 12, 1).isoformat(),
            "deposit-reference": "x",
        },
    )
    # then
    assert response.status_code == 403
    with tenant_context(tenant_a):
        assert DepositNotice.objects.count() == before
