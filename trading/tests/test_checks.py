"""Each pre-trade check with its reason and figures, and the what-if preview."""

from datetime import UTC, datetime
from decimal import Decimal

import time_machine
from guardian.shortcuts import remove_perm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.selectors.valuation import valuations_for_accounts
from ledger.services.accounts import account_status_set
from ledger.services.cash import cash_deposit

from ..checks import run_checks
from ..models import AccountProducts
from ..services import order_fill, order_submit
from ..services.orders import intent_for
from ..services.preview import order_preview
from .factories import settings_set, stock_make, ticket, trader_make

D = Decimal


def _results(user, account, instrument, **kwargs):
    return run_checks(intent_for(ticket=ticket(account, instrument, **kwargs), user=user))


def _codes(results, severity=None):
    return [r.code for r in results if severity is None or r.severity == severity]


def test_a_clean_order_passes_every_check(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    assert _results(user, account, stock) == []


def test_no_trade_right_blocks(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    remove_perm("ledger.trade_account", user, account)
    stock = stock_make("100")
    [result] = [r for r in _results(user, account, stock) if r.code == "trade_right"]
    assert result.blocks
    assert result.reason == f"You may not trade in account {account.number}."


def test_options_need_the_options_level(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    option = stock_make("2.50", asset_class="OPT", multiplier=100)
    results = _results(user, account, option, quantity=D(1))
    [block] = [r for r in results if r.blocks]
    assert block.code == "options_not_permitted"
    assert "needs options level 2, the account has level 0" in block.reason
    assert "options_risk" in _codes(results, "warn")
    # given level 2 set by staff, the same order only warns
    AccountProducts.objects.create(account=account, options_level=2)
    results = _results(user, account, option, quantity=D(1))
    assert _codes(results, "block") == []
    assert _codes(results, "warn") == ["options_risk"]


def test_futures_and_crypto_need_their_permission(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    future = stock_make("50", asset_class="FUT")
    [block] = [r for r in _results(user, account, future, quantity=D(1)) if r.blocks]
    assert block.reason == f"Account {account.number} is not permitted to trade futures."


def test_a_cash_account_cannot_sell_short_nor_sell_more_than_it_holds(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    assert _codes(_results(user, account, stock, side="sell_short"), "block") == [
        "short_needs_margin"
    ]
    [block] = [r for r in _results(user, account, stock, side="sell") if r.blocks]
    assert block.code == "sell_exceeds_position"
    assert block.figures == {"position": D(0), "quantity": D(10)}


def test_a_restricted_account_takes_closing_orders_only(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(user=user, tenant=in_tenant_a, ticket=ticket(account, stock))
    order_fill(order=order, quantity=D(10), price=D("100"))
    account_status_set(tenant=in_tenant_a, account=account, status="restricted")
    [block] = [r for r in _results(user, account, stock, quantity=D(1)) if r.blocks]
    assert block.code == "account_restricted"
    assert "restricted to closing orders" in block.reason
    assert _codes(_results(user, account, stock, side="sell", quantity=D(10)), "block") == []
    assert "account_restricted" in _codes(
        _results(user, account, stock, side="sell", quantity=D(11)), "block"
    )


def test_the_fat_finger_limits_of_the_firm(in_tenant_a):
    user, account = trader_make(in_tenant_a, cash=D("100000"))
    stock = stock_make("100")
    settings_set(max_order_value=D("5000"), max_price_deviation_pct=D("10"))
    [block] = [r for r in _results(user, account, stock, quantity=D(60)) if r.blocks]
    assert block.code == "order_value_limit"
    assert block.figures == {"value": D("6000.00"), "limit": D("5000")}
    [block] = [
        r
        for r in _results(user, account, stock, order_type="limit", limit_price=D("111"))
        if r.blocks
    ]
    assert block.code == "price_far_from_last"
    assert block.figures["deviation_pct"] == D("11.00")
    assert _codes(_results(user, account, stock, order_type="limit", limit_price=D("110"))) == []


def test_buying_power_counts_the_open_orders(in_tenant_a):
    # given 1,000 USD and an open buy of 5 @ 100 (500 held)
    user, account = trader_make(in_tenant_a, cash=D("1000"))
    stock = stock_make("100")
    order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, quantity=D(5), order_type="limit", limit_price=D("100")),
    )
    fits = _results(user, account, stock, quantity=D(4), order_type="limit", limit_price=D("99"))
    assert "buying_power" not in _codes(fits)
    over = _results(user, account, stock, quantity=D(6), order_type="limit", limit_price=D("99"))
    [block] = [r for r in over if r.code == "buying_power"]
    assert block.figures == {
        "cost": D("595.00"),
        "buying_power": D("1000.00"),
        "reserved": D("500.00"),
        "available": D("500.00"),
    }
    assert block.reason == (
        "The order costs 595.00 USD with commission; your buying power is 1000.00, of which "
        "open orders hold 500.00, leaving 500.00."
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cash=st.integers(min_value=0, max_value=5000),
    quantity=st.integers(min_value=1, max_value=60),
    price=st.integers(min_value=90, max_value=110),
)
def test_the_buying_power_check_agrees_with_the_valuation(in_tenant_a, cash, quantity, price):
    user, account = trader_make(in_tenant_a, cash=D(cash))
    stock = stock_make("100")
    valuation = valuations_for_accounts(tenant=in_tenant_a, account_ids=[account])[account.pk]
    results = _results(
        user, account, stock, quantity=D(quantity), order_type="limit", limit_price=D(price)
    )
    value = D(quantity * price)
    commission = max(D("1.00"), min(D(quantity) * D("0.005"), value / 100)).quantize(D("0.01"))
    blocked = "buying_power" in _codes(results, "block")
    assert blocked == (value + commission > valuation.buying_power)


@time_machine.travel(datetime(2026, 11, 26, 15, 0, tzinfo=UTC), tick=False)
def test_a_day_order_on_a_holiday_works_from_the_next_open_until_the_early_close(in_tenant_a):
    # Thanksgiving 2026: NYSE closed; the Friday after closes early at 13:00 New York time
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    [warning] = [
        r for r in _results(user, account, stock, time_in_force="day") if r.severity == "warn"
    ]
    assert warning.code == "market_closed"
    assert warning.figures == {
        "opens_at": "2026-11-27T14:30:00+00:00",
        "closes_at": "2026-11-27T18:00:00+00:00",
    }
    assert _results(user, account, stock, time_in_force="gtc") == []


@time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=False)
def test_a_day_order_while_the_market_is_open_has_no_warning(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    assert _results(user, account, stock, time_in_force="day") == []
    order = order_submit(
        user=user, tenant=in_tenant_a, ticket=ticket(account, stock, time_in_force="day")
    )
    assert str(order.session_date) == "2026-11-30"


def test_the_preview_shows_commission_cost_and_buying_power_change(in_tenant_a):
    user, account = trader_make(in_tenant_a, cash=D("50000"))
    stock = stock_make("20")
    preview = order_preview(
        user=user, tenant=in_tenant_a, ticket=ticket(account, stock, quantity=D(1000))
    )
    assert preview.commission == D("5.00")
    assert preview.value == D("20000.00")
    assert preview.total == D("20005.00")
    assert preview.buying_power_before == D("50000.00")
    assert preview.buying_power_after == D("29995.00")
    assert preview.blocks == [] and preview.warnings == []
    small = order_preview(
        user=user, tenant=in_tenant_a, ticket=ticket(account, stock, quantity=D(3))
    )
    assert small.commission == D("0.60")  # the 1 % cap under the 1.00 minimum


def test_a_cash_amount_buys_fractional_units(in_tenant_a):
    user, account = trader_make(in_tenant_a)
    stock = stock_make("300")
    preview = order_preview(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, quantity=None, cash_amount=D("1000")),
    )
    assert preview.quantity == D("3.3333")


def test_settings_of_another_cash_deposit_raise_buying_power(in_tenant_a):
    user, account = trader_make(in_tenant_a, cash=D("100"))
    stock = stock_make("100")
    assert "buying_power" in _codes(_results(user, account, stock, quantity=D(1)))
    cash_deposit(account=account, amount=D("1000"), currency="USD", idempotency_key="more")
    assert "buying_power" not in _codes(_results(user, account, stock, quantity=D(1)))
