"""The demo funding seed: two demo clients' deposit notices, one of them stale; idempotent."""

import pytest
from django.utils import timezone

from clientportal.models import DepositNotice
from demo.funding import funding_demo_seed
from funding.selectors import deposit_notices_stale_count
from tests.support.clientportal import account_for_client, client_user_make

pytestmark = pytest.mark.django_db


def test_demo_seed_leaves_two_notices_one_stale(in_tenant_a):
    # given two clients who may fund an account each
    tenant = in_tenant_a
    for name in ("ann", "bob"):
        account_for_client(tenant=tenant, user=client_user_make(username=f"demo-{name}"))
    # when the seed runs twice
    assert funding_demo_seed(tenant=tenant) == 2
    assert funding_demo_seed(tenant=tenant) == 0
    # then
    assert sorted(DepositNotice.objects.values_list("amount", flat=True)) == [2500, 12000]
    assert deposit_notices_stale_count(tenant=tenant, as_of=timezone.now()) == 1
