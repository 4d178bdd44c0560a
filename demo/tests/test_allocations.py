"""The demo allocations seed: groups, a booked block and one awaiting allocation; idempotent."""

import pytest
from django.contrib.auth import get_user_model

from allocations.models import Allocation, AllocationGroup, Block
from allocations.tests.factories import master_with_subs
from demo.allocations import allocations_demo_seed
from ledger.tests.factories import instrument_make

pytestmark = pytest.mark.django_db


def test_demo_seed_books_one_block_and_leaves_one_awaiting(in_tenant_a):
    # given an advisor and a master with three sub-accounts
    tenant = in_tenant_a
    get_user_model().objects.create_user(username="advisor@tenant-a.example")
    master, subs = master_with_subs(tenant, 3)
    instrument_make("DEMOALLOC")
    # when the seed runs twice
    allocations_demo_seed(tenant=tenant)
    allocations_demo_seed(tenant=tenant)
    # then
    assert sorted(AllocationGroup.objects.values_list("name", flat=True)) == [
        "All clients, equal",
        "Model 50/30/20",
    ]
    assert Block.objects.filter(master=master).count() == 2
    booked = Allocation.objects.get(state=Allocation.State.BOOKED)
    assert list(booked.lines.order_by("priority").values_list("quantity", flat=True)) == [5, 3, 2]
