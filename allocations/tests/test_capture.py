"""Capturing blocks: by hand in the Broker Portal (all or nothing), and from executions
imported into a master (joining the day's open block, idempotent by execution id)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context

from allocations.models import Block, BlockFill
from allocations.tests.factories import TRADE_DATE, grant, master_with_subs, user_make
from ledger.imports import ExecutionRow, executions_import
from ledger.models import JournalEntry, Position
from ledger.tests.factories import instrument_make
from tests.support.tenants import login, tenant_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(tenant_a):
    with tenant_context(tenant_a):
        master, subs = master_with_subs(tenant_a, 2)
        advisor = user_make(tenant_a)
        advisor.is_staff = True
        advisor.save(update_fields=["is_staff"])
        advisor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        grant(advisor, tenant_a, [master], perms=("trade",))
        instrument = instrument_make()
    connection.set_schema_to_public()
    return tenant_a, advisor, master, subs, instrument


def _form(master, instrument, **extra):
    form = {
        "master": master.pk,
        "symbol": instrument.symbol.lower(),
        "side": "buy",
        "trade_date": TRADE_DATE.isoformat(),
        "fill-1-quantity": "60",
        "fill-1-price": "10.00",
        "fill-1-time": "14:30:00",
        "fill-1-commission": "1.50",
        "fill-2-quantity": "40",
        "fill-2-price": "10.25",
        "fill-2-time": "14:35",
        "fill-2-fees": "0.40",
    }
    form.update(extra)
    return form


def test_advisor_captures_a_block_with_two_fills_booked_in_the_master(desk):
    tenant, advisor, master, subs, instrument = desk
    client = login(tenant_client(tenant), advisor, tenant)
    # when
    response = client.post(reverse("allocations_block_new"), _form(master, instrument))
    # then
    assert response.status_code == 302
    with tenant_context(tenant):
        block = Block.objects.get(master=master)
        fills = list(block.fills.order_by("executed_at"))
    assert response["Location"] == reverse("allocations_block", args=[block.pk])
    assert (block.side, block.trade_date, block.instrument_id) == ("buy", TRADE_DATE, instrument.pk)
    assert [(f.quantity, f.price, f.commission, f.fees) for f in fills] == [
        (D(60), D("10.00"), D("1.50"), D(0)),
        (D(40), D("10.25"), D(0), D("0.40")),
    ]
    assert [f.execution_id for f in fills] == [f"{block.reference}-1", f"{block.reference}-2"]
    position = Position.objects.get(account=master, instrument=instrument)
    assert position.quantity == D(100)
    assert JournalEntry.objects.filter(execution_id__startswith=block.reference).count() == 2
    page = client.get(response["Location"]).content.decode()
    assert f"{block.reference}-2" in page and "Add a fill" in page


def test_a_bad_fill_refuses_the_whole_block_and_keeps_the_form(desk):
    tenant, advisor, master, subs, instrument = desk
    client = login(tenant_client(tenant), advisor, tenant)
    entries = JournalEntry.objects.count()
    # when: the second fill's price is not a number
    response = client.post(
        reverse("allocations_block_new"), _form(master, instrument, **{"fill-2-price": "1O.2"})
    )
    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "Fill 2 price: &#x27;1O.2&#x27; is not a number." in page
    assert 'value="1O.2"' in page and 'value="60"' in page
    with tenant_context(tenant):
        assert not Block.objects.filter(master=master).exists()
    assert JournalEntry.objects.count() == entries


def test_a_closed_market_day_refuses_the_block_and_books_nothing(desk):
    tenant, advisor, master, subs, instrument = desk
    client = login(tenant_client(tenant), advisor, tenant)
    entries = JournalEntry.objects.count()
    saturday = date(2026, 11, 21)
    # when
    response = client.post(
        reverse("allocations_block_new"),
        _form(master, instrument, trade_date=saturday.isoformat()),
    )
    # then
    assert response.status_code == 400
    assert "Fill 1: Trade date" in response.content.decode()
    with tenant_context(tenant):
        assert not Block.objects.filter(master=master).exists()
    assert JournalEntry.objects.count() == entries


def test_a_viewer_cannot_capture_in_a_master(desk):
    tenant, advisor, master, subs, instrument = desk
    with tenant_context(tenant):
        viewer = user_make(tenant)
        viewer.is_staff = True
        viewer.save(update_fields=["is_staff"])
        viewer.user_permissions.add(Permission.objects.get(codename="access_admin"))
        grant(viewer, tenant, [master], perms=("view",))
    connection.set_schema_to_public()
    client = login(tenant_client(tenant), viewer, tenant)
    response = client.post(reverse("allocations_block_new"), _form(master, instrument))
    assert response.status_code == 400
    assert "You may not trade in this account." in response.content.decode()
    with tenant_context(tenant):
        assert not Block.objects.filter(master=master).exists()


def test_a_fill_added_to_a_block_from_its_page(desk):
    tenant, advisor, master, subs, instrument = desk
    client = login(tenant_client(tenant), advisor, tenant)
    client.post(reverse("allocations_block_new"), _form(master, instrument))
    with tenant_context(tenant):
        block = Block.objects.get(master=master)
    # when
    client.post(
        reverse("allocations_block_fill_add", args=[block.pk]),
        {"quantity": "5", "price": "10.5", "time": "15:00:00", "execution_id": "STREET-9"},
    )
    # a duplicate execution id is refused
    again = client.post(
        reverse("allocations_block_fill_add", args=[block.pk]),
        {"quantity": "5", "price": "10.5", "time": "15:00:00", "execution_id": "STREET-9"},
        follow=True,
    )
    # then
    assert "Execution STREET-9 is already a fill of a block." in again.content.decode()
    with tenant_context(tenant):
        assert block.fills.count() == 3
    assert Position.objects.get(account=master, instrument=instrument).quantity == D(105)


def _row(execution_id, account, instrument, side="BUY", quantity="10", price="20"):
    return ExecutionRow(
        execution_id=execution_id,
        account_number=account.number,
        symbol=instrument.symbol,
        side=side,
        quantity=D(quantity),
        price=D(price),
        trade_date=TRADE_DATE,
        commission=D("0.5"),
    )


def test_imported_master_executions_join_the_days_open_block_once(desk):
    tenant, advisor, master, subs, instrument = desk
    rows = [
        _row("IMPX-1", master, instrument),
        _row("IMPX-2", master, instrument, quantity="15", price="21"),
        _row("IMPX-3", master, instrument, side="SELL", quantity="3"),
        _row("IMPX-4", subs[0], instrument),  # a sub-account: not a block
    ]
    # when: imported twice
    executions_import(rows=rows)
    executions_import(rows=rows)
    # then: one buy block with two fills, one sell block, each fill attached to its entry
    with tenant_context(tenant):
        blocks = {b.side: b for b in Block.objects.filter(master=master)}
        assert set(blocks) == {"buy", "sell"}
        buys = list(blocks["buy"].fills.order_by("id"))
        assert [(f.execution_id, f.quantity, f.price, f.commission) for f in buys] == [
            ("IMPX-1", D(10), D(20), D("0.5")),
            ("IMPX-2", D(15), D(21), D("0.5")),
        ]
        assert all(
            f.entry_id == JournalEntry.objects.get(execution_id=f.execution_id).pk for f in buys
        )
        assert blocks["sell"].fills.get().quantity == D(3)
        assert not BlockFill.objects.filter(execution_id="IMPX-4").exists()
    # a later import of the same day joins the open buy block
    executions_import(rows=[_row("IMPX-5", master, instrument, quantity="1")])
    with tenant_context(tenant):
        assert blocks["buy"].fills.count() == 3
        assert Block.objects.filter(master=master).count() == 2


def test_a_hand_captured_block_takes_in_imported_executions_of_its_day(desk):
    tenant, advisor, master, subs, instrument = desk
    client = login(tenant_client(tenant), advisor, tenant)
    client.post(reverse("allocations_block_new"), _form(master, instrument))
    # when
    executions_import(rows=[_row("IMPY-1", master, instrument, quantity="7")])
    # then
    with tenant_context(tenant):
        block = Block.objects.get(master=master)
        assert block.fills.count() == 3
        assert block.fills.get(execution_id="IMPY-1").quantity == D(7)
