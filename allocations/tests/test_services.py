"""Preview, book and reverse block allocations against the real ledger."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django_tenants.utils import tenant_context

from allocations.access import access_allocation, access_block, access_group
from allocations.models import Allocation, BlockFill
from allocations.services import (
    AllocationRefused,
    allocation_book,
    allocation_preview,
    allocation_reverse,
    block_fill_add,
)
from allocations.tests.factories import (
    block_make,
    fill_add,
    grant,
    group_make,
    master_with_subs,
    user_make,
)
from ledger.models import CashBalance, JournalEntry, Position
from ledger.services import trade_book

pytestmark = pytest.mark.django_db


def _positions(accounts, instrument):
    rows = dict(
        Position.objects.filter(account__in=accounts, instrument=instrument).values_list(
            "account_id", "quantity"
        )
    )
    return [rows.get(a.pk, D(0)) for a in accounts]


def _cash(accounts):
    rows = dict(
        CashBalance.objects.filter(account__in=accounts).values_list("account_id", "quantity")
    )
    return [rows.get(a.pk, D(0)) for a in accounts]


@pytest.fixture
def desk(in_tenant_a):
    """A master with two subs, an advisor with trade rights on all three, a 60/40 group and a
    block bought in two fills: 100 @ 10 (commission 1.00) and 200 @ 10.1875 (commission 2.00)."""
    tenant = in_tenant_a
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 2)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs, method="percentages", values=["60", "40"])
    block = block_make(
        advisor, tenant, master, group, fills=[("100", "10", "1.00"), ("200", "10.1875", "2.00")]
    )
    return tenant, advisor, master, subs, group, block


def test_preview_explains_each_account_at_the_average_price(desk):
    tenant, advisor, master, subs, group, block = desk
    # when
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
    # then
    assert allocation.state == Allocation.State.PREVIEWED
    assert (allocation.quantity, allocation.avg_price) == (D(300), D("10.125"))
    assert (allocation.principal, allocation.commission) == (D("3037.5"), D(3))
    lines = list(allocation.lines.order_by("account__number"))
    assert [(line.quantity, line.principal, line.commission) for line in lines] == [
        (D(180), D("1822.5"), D("1.80")),
        (D(120), D("1215"), D("1.20")),
    ]
    assert lines[0].explanation == "exact share 180; rounded down 180 → 180"
    assert [line.exact_share for line in lines] == [D(180), D(120)]
    # and nothing was booked for the subs
    assert _positions(subs, block.instrument) == [D(0), D(0)]


def test_book_moves_position_and_cash_from_master_to_subs(desk):
    tenant, advisor, master, subs, group, block = desk
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
    # when
    booked = allocation_book(user=advisor, tenant=tenant, allocation=allocation)
    # then each sub holds its share at the average price, paying its share of commission
    assert booked.state == Allocation.State.BOOKED and booked.booked_by == advisor
    assert _positions(subs, block.instrument) == [D(180), D(120)]
    assert list(
        Position.objects.filter(account__in=subs, instrument=block.instrument)
        .order_by("account__number")
        .values_list("cost", flat=True)
    ) == [D("1822.5"), D("1215")]
    assert _cash(subs) == [D("-1824.30"), D("-1216.20")]
    # and the master is flat in shares and cash
    assert _positions([master], block.instrument) == [D(0)]
    assert _cash([master]) == [D(0)]
    # and every fill points at the booking
    assert set(BlockFill.objects.filter(block=block).values_list("allocation", flat=True)) == {
        booked.pk
    }
    assert booked.entry.kind == JournalEntry.Kind.TRADE


def test_booking_twice_books_once_and_says_who_booked(desk):
    tenant, advisor, master, subs, group, block = desk
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
    allocation_book(user=advisor, tenant=tenant, allocation=allocation)
    entries = JournalEntry.objects.count()
    # when
    with pytest.raises(AllocationRefused, match=f"already booked by {advisor.username}"):
        allocation_book(user=advisor, tenant=tenant, allocation=allocation)
    # then
    assert JournalEntry.objects.count() == entries
    assert _positions(subs, block.instrument) == [D(180), D(120)]


def test_a_new_preview_replaces_the_previous_one_which_cannot_be_booked(desk):
    tenant, advisor, master, subs, group, block = desk
    # given two previews of the block, one after the other
    first = allocation_preview(user=advisor, tenant=tenant, block=block)
    second = allocation_preview(user=advisor, tenant=tenant, block=block)
    # then only the latest is kept
    assert list(Allocation.objects.filter(block=block).values_list("pk", flat=True)) == [second.pk]
    # and booking the replaced one is refused, naming the block, with nothing booked
    with pytest.raises(AllocationRefused, match=f"{first.reference} was replaced"):
        allocation_book(user=advisor, tenant=tenant, allocation=first)
    assert _positions(subs, block.instrument) == [D(0), D(0)]
    # and the latest books
    allocation_book(user=advisor, tenant=tenant, allocation=second)
    assert _positions(subs, block.instrument) == [D(180), D(120)]


def test_a_preview_made_before_fills_were_taken_cannot_be_booked(desk):
    tenant, advisor, master, subs, group, block = desk
    # given a preview, and its fills booked by another allocation meanwhile (a preview made at
    # the same moment by someone else survives the replacement)
    first = allocation_preview(user=advisor, tenant=tenant, block=block)
    stale = Allocation.objects.get(pk=first.pk)
    stale.pk = None
    stale.save()
    allocation_book(user=advisor, tenant=tenant, allocation=first)
    with pytest.raises(AllocationRefused, match=f"allocated by {first.reference}"):
        allocation_book(user=advisor, tenant=tenant, allocation=stale)
    stale.refresh_from_db()
    assert stale.state == Allocation.State.PREVIEWED
    assert _positions(subs, block.instrument) == [D(180), D(120)]


def test_partial_fills_are_allocated_as_they_come(desk):
    tenant, advisor, master, subs, group, block = desk
    allocation_book(
        user=advisor,
        tenant=tenant,
        allocation=allocation_preview(user=advisor, tenant=tenant, block=block),
    )
    # given a further fill of 50 @ 10.50
    fill_add(advisor, tenant, block, "50", "10.50", "0.50")
    # when the block is previewed again
    later = allocation_preview(user=advisor, tenant=tenant, block=block)
    # then only the new fill is allocated, 60/40 at its own price
    assert (later.quantity, later.avg_price) == (D(50), D("10.5"))
    assert list(later.lines.order_by("account__number").values_list("quantity", flat=True)) == [
        D(30),
        D(20),
    ]
    allocation_book(user=advisor, tenant=tenant, allocation=later)
    assert _positions(subs, block.instrument) == [D(210), D(140)]
    with pytest.raises(AllocationRefused, match="no fills awaiting"):
        allocation_preview(user=advisor, tenant=tenant, block=block)


def test_reverse_returns_position_to_the_master_and_frees_the_fills(desk):
    tenant, advisor, master, subs, group, block = desk
    booked = allocation_book(
        user=advisor,
        tenant=tenant,
        allocation=allocation_preview(user=advisor, tenant=tenant, block=block),
    )
    # when
    reversed_ = allocation_reverse(user=advisor, tenant=tenant, allocation=booked)
    # then
    assert reversed_.state == Allocation.State.REVERSED
    assert reversed_.reversal_entry.reverses_id == booked.entry_id
    assert _positions(subs, block.instrument) == [D(0), D(0)]
    assert _cash(subs) == [D(0), D(0)]
    assert _positions([master], block.instrument) == [D(300)]
    assert not BlockFill.objects.filter(block=block, allocation__isnull=False).exists()
    # and it cannot be reversed twice or booked again
    with pytest.raises(AllocationRefused, match="Only a booked allocation"):
        allocation_reverse(user=advisor, tenant=tenant, allocation=booked)
    with pytest.raises(AllocationRefused, match="reversed"):
        allocation_book(user=advisor, tenant=tenant, allocation=booked)


def test_viewer_sees_but_cannot_book(desk):
    tenant, advisor, master, subs, group, block = desk
    viewer = user_make(tenant)
    grant(viewer, tenant, [master], perms=("view",))
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
    entries = JournalEntry.objects.count()
    # the viewer reaches the allocation
    assert access_allocation(user=viewer, tenant=tenant, allocation_id=allocation.pk) == allocation
    # but booking is refused and nothing changes
    with pytest.raises(PermissionDenied, match="may not trade"):
        allocation_book(user=viewer, tenant=tenant, allocation=allocation)
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.PREVIEWED
    assert JournalEntry.objects.count() == entries
    assert _positions(subs, block.instrument) == [D(0), D(0)]


def test_trade_right_on_every_target_sub_is_needed(desk):
    tenant, advisor, master, subs, group, block = desk
    partial = user_make(tenant)
    grant(partial, tenant, [master], perms=("view",))
    grant(partial, tenant, [subs[0]])  # trade on one sub only, not on the master
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
    with pytest.raises(PermissionDenied) as refused:
        allocation_book(user=partial, tenant=tenant, allocation=allocation)
    assert master.number in str(refused.value) and subs[1].number in str(refused.value)
    assert subs[0].number not in str(refused.value)
    assert _positions(subs, block.instrument) == [D(0), D(0)]


def test_group_reserved_to_other_users_is_refused(desk):
    tenant, advisor, master, subs, group, block = desk
    other = user_make(tenant)
    group.users.set([other])
    with pytest.raises(PermissionDenied, match="reserved"):
        allocation_preview(user=advisor, tenant=tenant, block=block)
    assert not Allocation.objects.filter(block=block).exists()


def test_equal_group_with_lot_size_books_the_remainder_by_priority(in_tenant_a):
    tenant = in_tenant_a
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 6)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs, method="equal")
    block = block_make(advisor, tenant, master, group, fills=[("400", "20", "0")])
    booked = allocation_book(
        user=advisor,
        tenant=tenant,
        allocation=allocation_preview(user=advisor, tenant=tenant, block=block),
    )
    assert _positions(subs, block.instrument) == [D(67)] * 4 + [D(66)] * 2
    assert booked.lines.filter(explanation__contains="+1 lot of the remainder").count() == 4


def test_another_tenant_gets_404(desk, tenant_b):
    tenant, advisor, master, subs, group, block = desk
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
    with tenant_context(tenant_b):
        stranger = user_make(tenant_b)
        for access, key, pk in (
            (access_block, "block_id", block.pk),
            (access_group, "group_id", group.pk),
            (access_allocation, "allocation_id", allocation.pk),
        ):
            with pytest.raises(Http404):
                access(user=stranger, tenant=tenant_b, **{key: pk})
    # and a user of tenant A without any grant gets the same 404
    nobody = user_make(tenant)
    with pytest.raises(Http404):
        access_block(user=nobody, tenant=tenant, block_id=block.pk)
    with pytest.raises(Http404):
        access_block(user=advisor, tenant=tenant, block_id="not-a-number")


def test_a_later_fill_evens_out_earlier_rounding(in_tenant_a):
    # given an equal group over three subs and a first fill of 100 booked as 34/33/33
    tenant = in_tenant_a
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 3)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs, method="equal")
    block = block_make(advisor, tenant, master, group, fills=[("100", "10", "0")])
    allocation_book(
        user=advisor,
        tenant=tenant,
        allocation=allocation_preview(user=advisor, tenant=tenant, block=block),
    )
    assert _positions(subs, block.instrument) == [D(34), D(33), D(33)]
    # when a second fill of 100 is allocated
    fill_add(advisor, tenant, block, "100", "11", "0")
    later = allocation_preview(user=advisor, tenant=tenant, block=block)
    allocation_book(user=advisor, tenant=tenant, allocation=later)
    # then the block is shared 67/67/66, as if it had been allocated at once
    assert _positions(subs, block.instrument) == [D(67), D(67), D(66)]
    second_line = later.lines.order_by("account__number")[1]
    assert second_line.explanation.startswith("block so far: exact share ≈ 66.6667")
    assert second_line.explanation.endswith("less 33 allocated from earlier fills → 34")
    assert second_line.exact_share == D("33.666666666667")


def test_an_imported_execution_is_attached_not_booked_twice(in_tenant_a):
    # given an execution the ledger's import already booked in the master
    tenant = in_tenant_a
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 2)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs)
    block = block_make(advisor, tenant, master, group)
    imported = trade_book(
        account=master,
        instrument=block.instrument,
        side="BUY",
        quantity=D(50),
        price=D("8"),
        trade_date=block.trade_date,
        idempotency_key="import:EX-IMPORTED-1",
        execution_id="EX-IMPORTED-1",
    )
    entries = JournalEntry.objects.count()
    # when it is added to the block
    fill = block_fill_add(
        actor=advisor,
        tenant=tenant,
        block=block,
        execution_id="EX-IMPORTED-1",
        quantity=D(50),
        price=D("8"),
        executed_at=timezone.now(),
    )
    # then the fill points at the imported entry and nothing new is booked
    assert fill.entry_id == imported.pk
    assert JournalEntry.objects.count() == entries
    assert _positions([master], block.instrument) == [D(50)]
