"""Legacy pattern-day-trader rules (FINRA Rule 4210(f)(8)(B)), a tenant setting for the phase-in
until 2027-10-20: day trades counted from the ledger's executions over five NYSE sessions; the
fourth day trade under USD 25,000 is warned, and once executed the account is restricted."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import time_machine

from ledger.models import Account
from ledger.selectors import Execution
from trading.checks import run_checks
from trading.daytrades import business_days_ending, day_trades_count, day_trades_for
from trading.intent import OrderIntent, Side
from trading.margin_models import DayTradeRestriction, MarginSettings
from trading.tests.margin_factories import margin_account_make, stock_make, trade

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def _legacy(on: bool = True):
    settings = MarginSettings.load()
    settings.regime = "legacy_pdt" if on else "intraday"
    settings.save()


def _round_trip(account, stock, on):
    trade(account, stock, "BUY", 10, "100", on)
    trade(account, stock, "SELL", 10, "100", on)


@pytest.fixture
def three_day_trades(in_tenant_a, django_capture_on_commit_callbacks):
    """A Reg T account with 10,000 USD and one day trade on each of Nov 20 (outside the window),
    Nov 23, 24 and 25, 2026. Five NYSE sessions ending Monday Nov 30 are Nov 23, 24, 25, 27
    and 30: Thanksgiving (Nov 26) is closed."""
    with time_machine.travel(NOW, tick=False):
        tenant = in_tenant_a
        with django_capture_on_commit_callbacks(execute=True):
            stock = stock_make(on=MONDAY, close="100")
            account = margin_account_make(tenant, cash="10000", on=date(2026, 11, 20))
            for day in (20, 23, 24, 25):
                _round_trip(account, stock, date(2026, 11, day))
        yield tenant, account, stock


def test_five_business_days_follow_the_nyse_calendar():
    assert business_days_ending(MONDAY) == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 27),
        date(2026, 11, 30),
    ]


def test_the_count_reads_the_ledgers_executions(three_day_trades):
    tenant, account, stock = three_day_trades
    with time_machine.travel(NOW, tick=False):
        count = day_trades_for(tenant=tenant, account=account)
    assert (count.day_trades, count.trades) == (3, 6)
    assert (count.window_start, count.window_end) == (date(2026, 11, 23), MONDAY)
    assert not count.pattern


def test_the_fourth_day_trade_under_25000_is_warned_then_restricted(
    three_day_trades, django_capture_on_commit_callbacks
):
    tenant, account, stock = three_day_trades
    with time_machine.travel(NOW, tick=False):
        _legacy()
        # given a purchase today (opening: no day trade yet, nothing warned)
        buy = OrderIntent(account.pk, stock.pk, Side.BUY, D(10), D(100))
        assert "pattern_day_trader" not in {r.code for r in run_checks(buy)}
        with django_capture_on_commit_callbacks(execute=True):
            trade(account, stock, "BUY", 10, "100", MONDAY)
        # when the client asks to sell it the same day
        sell = OrderIntent(account.pk, stock.pk, Side.SELL, D(10), D(100))
        [warning] = [r for r in run_checks(sell) if r.code == "pattern_day_trader"]
        # then the fourth day trade is warned with the count and the equity
        assert warning.severity == "warn"
        assert warning.figures["day_trades"] == D(3)
        assert warning.figures["day_trades_after"] == D(4)
        assert warning.figures["equity_usd"] == D("10000.00")
        assert (warning.figures["window_start"], warning.figures["window_end"]) == (
            "2026-11-23",
            "2026-11-30",
        )
        assert "2027-10-20" in warning.reason
        # and once it executes the account is restricted to closing orders
        assert not DayTradeRestriction.objects.filter(account=account).exists()
        with django_capture_on_commit_callbacks(execute=True):
            trade(account, stock, "SELL", 10, "100", MONDAY)
        [restriction] = DayTradeRestriction.objects.filter(account=account)
        assert (restriction.day_trades, restriction.until) == (4, date(2027, 2, 28))
        account.refresh_from_db()
        assert account.status == Account.Status.RESTRICTED
        again = OrderIntent(account.pk, stock.pk, Side.BUY, D(1), D(100))
        assert "day_trade_restricted" in {r.code for r in run_checks(again) if r.blocks}


def test_the_intraday_standard_neither_warns_nor_restricts(
    three_day_trades, django_capture_on_commit_callbacks
):
    tenant, account, stock = three_day_trades
    with time_machine.travel(NOW, tick=False):
        _legacy(on=False)
        with django_capture_on_commit_callbacks(execute=True):
            trade(account, stock, "BUY", 10, "100", MONDAY)
        sell = OrderIntent(account.pk, stock.pk, Side.SELL, D(10), D(100))
        assert "pattern_day_trader" not in {r.code for r in run_checks(sell)}
        with django_capture_on_commit_callbacks(execute=True):
            trade(account, stock, "SELL", 10, "100", MONDAY)
        assert not DayTradeRestriction.objects.filter(account=account).exists()


def test_equity_of_25000_is_not_warned(three_day_trades, django_capture_on_commit_callbacks):
    tenant, account, stock = three_day_trades
    with time_machine.travel(NOW, tick=False):
        _legacy()
        from ledger.services import cash_deposit

        with django_capture_on_commit_callbacks(execute=True):
            cash_deposit(
                account=account, amount=D("15000"), currency="USD", idempotency_key="pdt-25k"
            )
            trade(account, stock, "BUY", 10, "100", MONDAY)
        sell = OrderIntent(account.pk, stock.pk, Side.SELL, D(10), D(100))
        assert "pattern_day_trader" not in {r.code for r in run_checks(sell)}


def test_the_legacy_setting_ends_with_the_phase_in(in_tenant_a):
    _legacy()
    settings = MarginSettings.load()
    assert settings.legacy_pdt_on(date(2027, 10, 20))
    assert not settings.legacy_pdt_on(date(2027, 10, 21))


def _e(n, day, quantity, instrument=1):
    return Execution(n, date(2026, 11, day), instrument, D(quantity))


def test_finra_counting_examples():
    # buy, buy, sell = one; buy, sell, buy, sell = two; sell, buy = one; another day or
    # another security does not pair
    assert day_trades_count([_e(1, 23, 100), _e(2, 23, 100), _e(3, 23, -200)]) == 1
    assert day_trades_count([_e(1, 23, 1), _e(2, 23, -1), _e(3, 23, 1), _e(4, 23, -1)]) == 2
    assert day_trades_count([_e(1, 23, -5), _e(2, 23, 5)]) == 1
    assert day_trades_count([_e(1, 23, 5), _e(2, 24, -5), _e(3, 24, 5, instrument=2)]) == 0
