"""The demo allocations seed: the advisor's desk, its groups, a booked block, one that books and
one refused for want of cash, shown so in its preview; idempotent."""

import pytest
from django.contrib.auth import get_user_model

from allocations.funding import allocation_funding
from allocations.models import Allocation, AllocationGroup, Block
from allocations.services import AllocationRefused, allocation_book, allocation_preview
from demo.allocations import SHORT_HOLDER, allocations_demo_seed
from ledger.tests.factories import instrument_make

pytestmark = pytest.mark.django_db


def test_demo_desk_books_one_block_leaves_one_to_book_and_one_refused(in_tenant_a):
    # given an advisor
    tenant = in_tenant_a
    advisor = get_user_model().objects.create_user(username="advisor@tenant-a.example")
    instrument_make("DEMOALLOC")
    # when the seed runs twice
    allocations_demo_seed(tenant=tenant)
    allocations_demo_seed(tenant=tenant)
    # then
    assert sorted(AllocationGroup.objects.values_list("name", flat=True)) == [
        "All clients, equal",
        "Model 50/30/20",
    ]
    blocks = {b.reference: b for b in Block.objects.all()}
    assert sorted(blocks) == [f"DEMO-{tenant.schema_name}-{n}" for n in (1, 2, 3)]
    booked = Allocation.objects.get(state=Allocation.State.BOOKED)
    assert list(booked.lines.order_by("priority").values_list("quantity", flat=True)) == [5, 3, 2]
    # the refused block's preview marks the short account, and booking it is refused
    refused = Allocation.objects.get(block=blocks[f"DEMO-{tenant.schema_name}-3"])
    lines = list(refused.lines.select_related("account"))
    funding = allocation_funding(tenant=tenant, block=refused.block, lines=lines)
    short = [line.account.title for line in lines if funding[line.account_id].refused]
    assert short == [f"{SHORT_HOLDER} · Managed portfolio"]
    with pytest.raises(AllocationRefused, match="withdrawable cash"):
        allocation_book(user=advisor, tenant=tenant, allocation=refused)
    # and the block awaiting allocation books
    waiting = allocation_preview(
        user=advisor, tenant=tenant, block=blocks[f"DEMO-{tenant.schema_name}-2"]
    )
    assert allocation_book(user=advisor, tenant=tenant, allocation=waiting).state == "booked"
