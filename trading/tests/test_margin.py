"""Intraday margin (FINRA Rule 4210 as amended, 2026): the pre-trade check blocks an opening
order that would create or increase an intraday margin deficit, with the figures."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import time_machine

from trading.checks import run_checks
from trading.intent import OrderIntent, Side
from trading.margin import Exposure, IntradayFigures, intraday_margin_for
from trading.margin_models import MarginCall, MarginSettings
from trading.tests.margin_factories import margin_account_make, stock_make, trade

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 30)  # a Monday, NYSE open
NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


MARGIN_CODES = {"intraday_margin_deficit", "intraday_margin_unknown", "margin_call_open"}


def _by_code(results):
    return {r.code: r for r in results}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def margin_desk(in_tenant_a, frozen):
    """A Reg T account: 10,000 USD deposited, 100 shares bought at 100 (close 100). Equity
    10,000; maintenance 25 % of 10,000 = 2,500; intraday excess 7,500."""
    tenant = in_tenant_a
    stock = stock_make(on=DAY, close="100")
    account = margin_account_make(tenant, cash="10000", on=DAY)
    trade(account, stock, "BUY", 100, "100", DAY)
    other = stock_make(on=DAY, close="50")
    return tenant, account, stock, other


def _intent(account, instrument, side, quantity, price, **kw):
    return OrderIntent(
        account_id=account.pk,
        instrument_id=instrument.pk,
        side=side,
        quantity=D(quantity),
        estimated_price=D(price),
        **kw,
    )


def test_figures_are_the_ledgers_equity_and_maintenance_margin(margin_desk):
    tenant, account, stock, other = margin_desk
    # when
    figures = intraday_margin_for(tenant=tenant, account=account)
    # then
    assert figures.equity == D(10000)
    assert figures.positions_requirement == D(2500)
    assert figures.open_orders_requirement == D(0)
    assert figures.excess_before == D(7500)


def test_an_opening_order_within_the_excess_passes_with_its_figures(margin_desk):
    tenant, account, stock, other = margin_desk
    # given an order for 600 shares at 50: requirement 25 % of 30,000 = 7,500, the whole excess
    intent = _intent(account, other, Side.BUY, 600, "50")
    # when
    results = _by_code(run_checks(intent))
    # then it is not blocked; it leaves no excess, so it is warned
    assert "intraday_margin_deficit" not in results
    warned = results["intraday_margin_low"]
    assert warned.severity == "warn"
    assert warned.figures["order_requirement"] == D("7500.00")
    assert warned.figures["excess_after"] == D("0.00")


def test_an_opening_order_that_would_create_a_deficit_is_blocked_with_the_figures(margin_desk):
    tenant, account, stock, other = margin_desk
    # given one share more: 601 × 50 × 25 % = 7,512.50 against an excess of 7,500
    intent = _intent(account, other, Side.BUY, 601, "50")
    # when
    results = _by_code(run_checks(intent))
    # then
    blocked = results["intraday_margin_deficit"]
    assert blocked.blocks
    assert blocked.figures == {
        "currency": "USD",
        "equity": D("10000.00"),
        "positions_requirement": D("2500.00"),
        "open_orders_requirement": D("0.00"),
        "order_requirement": D("7512.50"),
        "requirement_after": D("10012.50"),
        "excess_before": D("7500.00"),
        "excess_after": D("-12.50"),
        "deficit_before": D("0.00"),
        "deficit_after": D("12.50"),
    }
    assert "create an intraday margin deficit (to 12.50 USD)" in blocked.reason
    assert "FINRA Rule 4210" in blocked.reason


def test_a_short_sale_counts_the_short_maintenance_rate(margin_desk):
    tenant, account, stock, other = margin_desk
    # 30 % of 250 × 100 = 7,500 fits; 251 shares do not
    fits = _by_code(run_checks(_intent(account, stock, Side.SELL_SHORT, 250, "100")))
    refused = _by_code(run_checks(_intent(account, stock, Side.SELL_SHORT, 251, "100")))
    assert "intraday_margin_deficit" not in fits
    assert refused["intraday_margin_deficit"].figures["order_requirement"] == D("7530.00")


def test_closing_orders_and_cash_accounts_are_not_checked(margin_desk):
    tenant, account, stock, other = margin_desk
    cash_account = margin_account_make(tenant, cash="100", on=DAY, margin_type="cash")
    # a sale of the whole position, however large, and an order of a cash account
    sell = run_checks(_intent(account, stock, Side.SELL, 100_000, "100"))
    cash_buy = run_checks(_intent(cash_account, stock, Side.BUY, 100_000, "100"))
    assert not [r for r in sell if r.code.startswith("intraday")]
    assert not [r for r in cash_buy if r.code.startswith("intraday")]


def test_an_account_in_deficit_may_not_increase_it_but_may_close(margin_desk):
    tenant, account, stock, other = margin_desk
    # given the account buys 300 more on margin (requirement 10,000 = equity) and the price
    # falls to 90: equity 40,000 × 0.9 − 30,000 = 6,000, requirement 9,000, deficit 3,000
    trade(account, stock, "BUY", 300, "100", DAY)
    from ledger.tests.factories import price_set

    price_set(stock, DAY, "90")
    # when
    one_more = _by_code(run_checks(_intent(account, other, Side.BUY, 1, "50")))
    closing = _by_code(run_checks(_intent(account, stock, Side.SELL, 10, "90")))
    # then
    blocked = one_more["intraday_margin_deficit"]
    assert blocked.figures["deficit_before"] == D("3000.00")
    assert blocked.figures["deficit_after"] == D("3012.50")
    assert "increase the account's intraday margin deficit" in blocked.reason
    assert not [r for r in closing.values() if r.blocks and r.code in MARGIN_CODES]


def test_an_open_margin_call_allows_closing_orders_only(margin_desk):
    tenant, account, stock, other = margin_desk
    MarginCall.objects.create(
        account=account,
        currency="USD",
        amount=D("100"),
        current_amount=D("100"),
        equity=D(1),
        maintenance_margin=D(1),
        opened_at=NOW,
        deadline=NOW,
        cause="test",
    )
    from ledger.services import account_status_set

    account_status_set(tenant=tenant, account=account, status="restricted")
    opening = _by_code(run_checks(_intent(account, other, Side.BUY, 1, "50")))
    closing = _by_code(run_checks(_intent(account, stock, Side.SELL, 1, "100")))
    assert opening["margin_call_open"].blocks
    assert "margin_call_open" not in closing


def test_the_warning_threshold_is_the_firms(margin_desk):
    tenant, account, stock, other = margin_desk
    settings = MarginSettings.load()
    settings.warn_excess_pct = D("60")
    settings.save()
    # excess after 7,500 − 2,500 = 5,000, under 60 % of equity 10,000
    results = _by_code(run_checks(_intent(account, other, Side.BUY, 200, "50")))
    assert results["intraday_margin_low"].figures["excess_after"] == D("5000.00")
    settings.warn_excess_pct = D("10")
    settings.save()
    results = _by_code(run_checks(_intent(account, other, Side.BUY, 200, "50")))
    assert results["intraday_margin"].severity == "info"


def test_figures_arithmetic():
    figures = IntradayFigures(
        currency="USD",
        equity=D(1000),
        positions_requirement=D(900),
        open_orders_requirement=D(200),
        order_requirement=Exposure("STK", False, D(400)).requirement,
    )
    assert figures.deficit_before == D(100)
    assert figures.deficit_after == D(200)
    assert figures.blocks
    assert Exposure("OPT", False, D(400)).requirement == D(400)
