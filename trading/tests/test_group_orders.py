"""An advisor's order for an allocation group: it fills in parts on the master, the fills become
the group's block, and once done the advisor allocates and books it in one step; the booked
allocation's FIXML validates against the official schema."""

import io
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django_tenants.utils import tenant_context

from allocations.fixml import fixml_validate
from allocations.models import Allocation, BlockFill
from allocations.tests.factories import grant, group_make, master_with_subs, user_make
from ledger.models import Position
from ledger.services import cash_deposit
from trading.group_orders import group_order_allocate, group_order_fixml, group_order_submit
from trading.services.fills import order_fill
from trading.tests.factories import stock_make

pytestmark = pytest.mark.django_db
SCHEMA_DIR = settings.BASE_DIR.parent / "shared" / "schemas" / "fixml-5.0-sp2"
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # a Monday, NYSE open


@pytest.fixture
def advisor_desk(in_tenant_a):
    """A master with three cash sub-accounts of 10,000 USD each, a 50/30/20 group and an
    advisor with trade rights on the master."""
    with time_machine.travel(NOW, tick=False):
        tenant = in_tenant_a
        advisor = user_make(tenant)
        master, subs = master_with_subs(tenant, 3, margin_type="cash")
        for n, sub in enumerate(subs):
            cash_deposit(
                account=sub,
                amount=D("10000"),
                currency="USD",
                idempotency_key=f"grp-{sub.number}-{n}",
                value_date=NOW.date(),
            )
        grant(advisor, tenant, [master])
        group = group_make(
            advisor, tenant, master, subs, method="percentages", values=["50", "30", "20"]
        )
        stock = stock_make("100")
        yield tenant, advisor, master, subs, group, stock


def _submit(tenant, advisor, group, stock, quantity="100"):
    return group_order_submit(
        user=advisor,
        tenant=tenant,
        group_id=group.pk,
        ticket_fields={
            "instrument_id": stock.pk,
            "side": "buy",
            "quantity": D(quantity),
            "order_type": "limit",
            "limit_price": D("101"),
            "time_in_force": "gtc",
        },
    )


def test_a_group_order_filled_in_three_parts_is_one_booked_allocation(advisor_desk):
    tenant, advisor, master, subs, group, stock = advisor_desk
    with time_machine.travel(NOW, tick=False):
        # given an advisor's order of 100 for the group
        group_order = _submit(tenant, advisor, group, stock)
        order = group_order.order
        assert order.status == "accepted" and order.account_id == master.pk
        # when it fills in three parts: 30 @ 100, 50 @ 100.50, 20 @ 101
        for quantity, price in (("30", "100"), ("50", "100.50")):
            order_fill(order=order, quantity=D(quantity), price=D(price), commission=D(1))
        # allocating is refused while the order still works, and nothing is written
        with pytest.raises(ValidationError, match="still partially filled"):
            group_order_allocate(actor=advisor, tenant=tenant, group_order_id=group_order.pk)
        assert not BlockFill.objects.filter(block__master=master).exists()
        order_fill(order=order, quantity=D(20), price=D(101), commission=D(1))
        order.refresh_from_db()
        assert order.status == "filled"
        # and the advisor allocates it in one step
        done = group_order_allocate(actor=advisor, tenant=tenant, group_order_id=group_order.pk)
    # then the fills are the group's block, allocated 50/30/20 at the average price
    block = done.block
    assert block.group_id == group.pk
    assert sorted(BlockFill.objects.filter(block=block).values_list("quantity", flat=True)) == [
        D(20),
        D(30),
        D(50),
    ]
    [allocation] = Allocation.objects.filter(block=block)
    assert allocation.state == Allocation.State.BOOKED
    assert done.allocation_id == allocation.pk
    # average (30 × 100 + 50 × 100.50 + 20 × 101) / 100 = 100.45
    assert (allocation.quantity, allocation.avg_price) == (D(100), D("100.45"))
    held = dict(
        Position.objects.filter(account__in=subs, instrument=stock).values_list(
            "account_id", "quantity"
        )
    )
    assert [held[s.pk] for s in subs] == [D(50), D(30), D(20)]
    assert Position.objects.get(account=master, instrument=stock).quantity == D(0)
    # and its FIXML validates against the schema
    out = io.BytesIO()
    assert group_order_fixml(group_order=done, out=out) == 1
    assert fixml_validate(io.BytesIO(out.getvalue()), schema_dir=SCHEMA_DIR) == []
    assert b"AllocInstrctn" in out.getvalue() and b'AvgPx="100.45"' in out.getvalue()
    # and a second allocation is refused
    with pytest.raises(ValidationError, match="was allocated"):
        group_order_allocate(actor=advisor, tenant=tenant, group_order_id=group_order.pk)


def test_a_group_order_beyond_the_members_cash_is_rejected(advisor_desk):
    tenant, advisor, master, subs, group, stock = advisor_desk
    with time_machine.travel(NOW, tick=False):
        # 400 × 101 = 40,400 against 30,000 of the members' cash
        group_order = _submit(tenant, advisor, group, stock, quantity="400")
    order = group_order.order
    assert order.status == "rejected"
    [check] = [c for c in order.checks if c["code"] == "group_buying_power"]
    assert check["figures"]["buying_power"] in ("30000.00", D("30000.00"))


def test_another_tenant_and_another_advisor_cannot_reach_the_group_order(advisor_desk, tenant_b):
    tenant, advisor, master, subs, group, stock = advisor_desk
    with time_machine.travel(NOW, tick=False):
        group_order = _submit(tenant, advisor, group, stock)
        stranger = user_make(tenant)
        with pytest.raises(Http404):
            group_order_allocate(actor=stranger, tenant=tenant, group_order_id=group_order.pk)
        with pytest.raises(Http404):
            group_order_submit(
                user=stranger,
                tenant=tenant,
                group_id=group.pk,
                ticket_fields={"instrument_id": stock.pk, "side": "buy", "quantity": D(1)},
            )
        with tenant_context(tenant_b):
            other = user_make(tenant_b)
            with pytest.raises(Http404):
                group_order_allocate(actor=other, tenant=tenant_b, group_order_id=group_order.pk)
