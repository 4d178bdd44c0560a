"""Orders through their life: submission, transitions recorded, cancel, cancel/replace,
brackets (one-cancels-other), expiry."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ledger.models import Position

from ..models import Order, OrderEvent
from ..services import (
    ConfirmationRequired,
    order_cancel,
    order_fill,
    order_replace,
    order_submit,
    orders_expire,
)
from ..states import TransitionRefused
from .factories import bracket_submit, stock_make, ticket, trader_make

D = Decimal


def _statuses(order):
    return [(e.from_status, e.to_status) for e in OrderEvent.objects.filter(order=order)]


def test_a_limit_order_is_accepted_with_its_checks_and_every_transition_recorded(in_tenant_a):
    # given a client with 10,000 USD and a stock at 100
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    # when it places a buy limit below the price (held venue: a real account)
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("95")),
    )
    # then
    order.refresh_from_db()
    assert order.status == "accepted"
    assert order.venue == "held"
    assert order.estimated_price == D("95")
    assert not [c for c in order.checks if c["severity"] == "block"]
    assert _statuses(order) == [("", "new"), ("new", "accepted")]


def test_a_blocked_order_is_stored_rejected_with_the_reason(in_tenant_a):
    user, account = trader_make(in_tenant_a, cash=D("500"))
    stock = stock_make("100")
    order = order_submit(
        user=user, tenant=in_tenant_a, ticket=ticket(account, stock, quantity=D(10))
    )
    assert order.status == "rejected"
    assert "The order costs 1001.00 USD with commission" in order.reason
    assert "buying power is 500.00" in order.reason
    assert _statuses(order) == [("", "new"), ("new", "rejected")]


def test_unconfirmed_warnings_store_nothing_and_confirmed_ones_are_kept(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    first = order_submit(user=user, tenant=in_tenant_a, ticket=ticket(account, stock))
    count = Order.objects.count()
    # when the same order again, unconfirmed
    with pytest.raises(ConfirmationRequired) as refused:
        order_submit(user=user, tenant=in_tenant_a, ticket=ticket(account, stock))
    assert [w.code for w in refused.value.warnings] == ["duplicate_order"]
    assert f"#{first.pk}" in refused.value.warnings[0].reason
    assert Order.objects.count() == count
    # then confirmed
    second = order_submit(
        user=user, tenant=in_tenant_a, ticket=ticket(account, stock), confirmed=["duplicate_order"]
    )
    assert second.status == "accepted"
    assert [c["code"] for c in second.confirmations] == ["duplicate_order"]


def test_fills_move_the_order_and_book_the_execution(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("99")),
    )
    order_fill(order=order, quantity=D(4), price=D("98"))
    order_fill(order=order, quantity=D(6), price=D("99"))
    order.refresh_from_db()
    assert order.status == "filled"
    assert order.filled_quantity == D(10)
    assert order.avg_fill_price == D("98.6")
    assert Position.objects.get(account=account, instrument=stock).quantity == D(10)
    assert _statuses(order) == [
        ("", "new"),
        ("new", "accepted"),
        ("accepted", "partially_filled"),
        ("partially_filled", "filled"),
    ]
    with pytest.raises(TransitionRefused):
        order_fill(order=order, quantity=D(1), price=D("99"))
    with pytest.raises(TransitionRefused):
        order_cancel(order=order)


def test_cancel_while_open_and_not_after(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("95")),
    )
    order_cancel(order=order, actor=user)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert _statuses(order)[-1] == ("accepted", "cancelled")
    with pytest.raises(TransitionRefused):
        order_cancel(order=order, actor=user)


def test_cancel_replace_keeps_the_fills_and_places_the_rest_with_new_terms(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("95")),
    )
    order_fill(order=order, quantity=D(3), price=D("95"))
    new = order_replace(
        order=order,
        user=user,
        tenant=in_tenant_a,
        limit_price=D("97"),
        confirmed=["duplicate_order"],
    )
    order.refresh_from_db()
    assert order.status == "replaced"
    assert order.filled_quantity == D(3)
    assert new.replaces_id == order.pk
    assert new.status == "accepted"
    assert new.quantity == D(7)
    assert new.limit_price == D("97")


def test_a_replace_that_is_blocked_leaves_the_old_order_working(in_tenant_a):
    user, account = trader_make(in_tenant_a, cash=D("1100"))
    stock = stock_make("100")
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("95")),
    )
    new = order_replace(order=order, user=user, tenant=in_tenant_a, quantity=D(50))
    order.refresh_from_db()
    assert new.status == "rejected"
    assert order.status == "accepted"


def test_bracket_children_wait_for_the_parent_and_cancel_each_other(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    parent = bracket_submit(user, in_tenant_a, account, stock, limit="99", take="105", stop="95")
    take, stop = parent.children.order_by("id")
    assert (take.bracket_role, take.side, take.order_type, take.limit_price) == (
        "take_profit",
        "sell",
        "limit",
        D("105"),
    )
    assert (stop.bracket_role, stop.order_type, stop.stop_price) == ("stop_loss", "stop", D("95"))
    assert {take.status, stop.status} == {"new"}
    with pytest.raises(TransitionRefused):
        order_fill(order=take, quantity=D(10), price=D("105"))
    order_fill(order=parent, quantity=D(10), price=D("99"))
    take.refresh_from_db()
    stop.refresh_from_db()
    assert (take.status, stop.status) == ("accepted", "accepted")
    order_fill(order=take, quantity=D(10), price=D("105"))
    stop.refresh_from_db()
    assert stop.status == "cancelled"
    assert Position.objects.get(account=account, instrument=stock).quantity == 0


def test_a_bracket_with_prices_on_the_wrong_side_is_refused(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    with pytest.raises(ValidationError) as refused:
        order_submit(
            user=user,
            tenant=in_tenant_a,
            ticket=ticket(
                account,
                stock,
                order_type="limit",
                limit_price=D("99"),
                take_profit_price=D("95"),
                stop_loss_price=D("105"),
            ),
        )
    assert "take_profit_price" in refused.value.message_dict


def test_cancelling_a_bracket_parent_cancels_its_children(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    parent = bracket_submit(user, in_tenant_a, account, stock, limit="99", take="105", stop="95")
    order_cancel(order=parent)
    assert set(parent.children.values_list("status", flat=True)) == {"cancelled"}


def test_day_orders_of_past_sessions_expire(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("95"), time_in_force="day"),
        confirmed=["market_closed"],
    )
    gtc = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("96")),
    )
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        assert orders_expire() == 1
    order.refresh_from_db()
    gtc.refresh_from_db()
    assert (order.status, gtc.status) == ("expired", "accepted")
