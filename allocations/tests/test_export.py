"""A day's booked and reversed allocations exported from the database as valid FIXML."""

import io
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.utils import timezone
from lxml import etree

from allocations.fixml import NS, fixml_validate
from allocations.selectors import allocations_fixml_write, allocations_of_day
from allocations.services import allocation_book, allocation_preview, allocation_reverse
from allocations.tests.factories import (
    block_make,
    grant,
    group_make,
    master_with_subs,
    user_make,
)

SCHEMA_DIR = settings.BASE_DIR.parent / "shared" / "schemas" / "fixml-5.0-sp2"
pytestmark = pytest.mark.django_db


def test_days_export_has_bookings_and_reversals_and_validates(in_tenant_a):
    # given two booked allocations, one of them reversed, and one only previewed
    tenant = in_tenant_a
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 3)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs, method="ratios", values=["4", "2", "1"])
    kept_block = block_make(advisor, tenant, master, group, fills=[("700", "12.5", "7.00")])
    kept = allocation_book(
        user=advisor,
        tenant=tenant,
        allocation=allocation_preview(user=advisor, tenant=tenant, block=kept_block),
    )
    undone_block = block_make(advisor, tenant, master, group, fills=[("70", "3", "0")])
    undone = allocation_book(
        user=advisor,
        tenant=tenant,
        allocation=allocation_preview(user=advisor, tenant=tenant, block=undone_block),
    )
    allocation_reverse(user=advisor, tenant=tenant, allocation=undone)
    allocation_preview(user=advisor, tenant=tenant, block=undone_block)
    # when the day is exported
    out = io.BytesIO()
    day = allocations_of_day(user=advisor, tenant=tenant, on=timezone.localdate())
    count = allocations_fixml_write(out=out, allocations=day, on=timezone.localdate())
    # then it validates against the official schema
    data = out.getvalue()
    assert fixml_validate(io.BytesIO(data), schema_dir=SCHEMA_DIR) == []
    # and holds the booking of each and the reversal of one
    assert count == 3
    messages = list(etree.fromstring(data).iter(f"{{{NS}}}AllocInstrctn"))
    assert [(m.get("ID"), m.get("TransTyp"), m.get("RefID")) for m in messages] == [
        (kept.reference, "0", None),
        (undone.reference, "0", None),
        (f"{undone.reference}-R", "2", undone.reference),
    ]
    first = messages[0]
    assert (first.get("Qty"), first.get("AvgPx"), first.get("Side")) == ("700", "12.5", "1")
    allocs = [
        (a.get("Acct"), D(a.get("Qty")), D(a[0].get("Comm"))) for a in first.iter(f"{{{NS}}}Alloc")
    ]
    assert allocs == [
        (subs[0].number, D(400), D("4.00")),
        (subs[1].number, D(200), D("2.00")),
        (subs[2].number, D(100), D("1.00")),
    ]


def test_another_users_export_leaves_out_what_they_cannot_see(in_tenant_a):
    tenant = in_tenant_a
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 2)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs)
    block = block_make(advisor, tenant, master, group, fills=[("10", "1", "0")])
    allocation_book(
        user=advisor,
        tenant=tenant,
        allocation=allocation_preview(user=advisor, tenant=tenant, block=block),
    )
    outsider = user_make(tenant)
    out = io.BytesIO()
    day = allocations_of_day(user=outsider, tenant=tenant, on=timezone.localdate())
    assert allocations_fixml_write(out=out, allocations=day) == 0
    assert fixml_validate(io.BytesIO(out.getvalue()), schema_dir=SCHEMA_DIR) == []
