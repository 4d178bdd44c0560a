"""Worked examples of the journal, lots and cash rules."""

from datetime import date
from decimal import Decimal

import pytest

from ledger.errors import InsufficientFunds, LedgerError, ShortSaleRefused
from ledger.models import JournalEntry, Position, Posting, RealizedGain, TaxLot
from ledger.selectors import cash_balances_for
from ledger.services import account_open, cash_deposit, cash_withdraw, entry_reverse, trade_book
from ledger.tests.factories import account_make, instrument_make

D = Decimal
MON = date(2026, 3, 2)


def _cash(tenant, account, currency="USD"):
    rows = cash_balances_for(tenant=tenant, account_ids=[account.pk], as_of=date(2099, 1, 1))
    return {r.currency: r.balance for r in rows}.get(currency, D(0))


def test_account_numbers_are_readable(tenant_a):
    # given / when
    client = account_make(tenant_a)
    master = account_open(tenant=tenant_a, title="Adv", account_type="master")
    sub = account_open(tenant=tenant_a, title="Sub", account_type="sub", parent=master)
    # then
    assert client.number[0] == "U" and len(client.number) == 8
    assert master.number[0] == "F"
    assert sub.number[0] == "U" and sub.parent == master and sub.account_type == "sub"


def test_deposit_is_idempotent(tenant_a):
    # given
    account = account_make(tenant_a)
    # when
    first = cash_deposit(account=account, amount=D("100"), currency="USD", idempotency_key="d1")
    second = cash_deposit(account=account, amount=D("100"), currency="USD", idempotency_key="d1")
    # then
    assert first.pk == second.pk
    assert _cash(tenant_a, account) == D("100")
    assert Posting.objects.filter(entry=first).count() == 2


def test_withdrawal_beyond_cash_is_refused_and_books_nothing(tenant_a):
    # given
    account = account_make(tenant_a)
    cash_deposit(account=account, amount=D("100"), currency="USD", idempotency_key="d2")
    entries = JournalEntry.objects.count()
    # when
    with pytest.raises(InsufficientFunds) as refused:
        cash_withdraw(account=account, amount=D("100.01"), currency="USD", idempotency_key="w2")
    # then
    assert "100.00 USD of withdrawable cash; 100.01 USD were requested" in str(refused.value)
    assert JournalEntry.objects.count() == entries
    assert _cash(tenant_a, account) == D("100")


def test_fifo_realized_pnl_with_partial_closes(tenant_a):
    """FIFO worked example (IRS Publication 550, "Identifying the shares sold": the first
    shares bought are the first sold): buy 100 @ 10, buy 100 @ 12, sell 150 @ 15
    → 100 × (15 − 10) + 50 × (15 − 12) = 650; then sell 30 @ 11 → 30 × (11 − 12) = −30."""
    # given
    account = account_make(tenant_a, margin_type="reg_t")
    stock = instrument_make()
    cash_deposit(account=account, amount=D("10000"), currency="USD", idempotency_key="f0")
    trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(100),
        price=D(10),
        trade_date=MON,
        idempotency_key="f1",
    )
    trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(100),
        price=D(12),
        trade_date=MON,
        idempotency_key="f2",
    )
    # when
    sell = trade_book(
        account=account,
        instrument=stock,
        side="SELL",
        quantity=D(150),
        price=D(15),
        trade_date=MON,
        idempotency_key="f3",
    )
    second = trade_book(
        account=account,
        instrument=stock,
        side="SELL",
        quantity=D(30),
        price=D(11),
        trade_date=MON,
        idempotency_key="f4",
    )
    # then
    gains = list(RealizedGain.objects.filter(account=account).order_by("id"))
    assert [(g.closed_by_id, g.quantity, g.pnl) for g in gains] == [
        (sell.pk, D(100), D(500)),
        (sell.pk, D(50), D(150)),
        (second.pk, D(30), D(-30)),
    ]
    lots = list(TaxLot.objects.filter(account=account))
    assert [(lot.quantity, lot.price) for lot in lots] == [(D(20), D(12))]
    position = Position.objects.get(account=account, instrument=stock)
    assert (position.quantity, position.cost, position.realized_pnl) == (D(20), D(240), D(620))
    assert _cash(tenant_a, account) == D(10000) - 1000 - 1200 + 2250 + 330


def test_cash_account_cannot_sell_short(tenant_a):
    # given
    account = account_make(tenant_a)
    stock = instrument_make()
    cash_deposit(account=account, amount=D("1000"), currency="USD", idempotency_key="s0")
    entries = JournalEntry.objects.count()
    # when
    with pytest.raises(ShortSaleRefused):
        trade_book(
            account=account,
            instrument=stock,
            side="SELL",
            quantity=D(1),
            price=D(10),
            trade_date=MON,
            idempotency_key="s1",
        )
    # then
    assert JournalEntry.objects.count() == entries
    assert not Position.objects.filter(account=account).exclude(quantity=0).exists()


def test_reversal_of_a_buy_removes_its_lot(tenant_a):
    # given
    account = account_make(tenant_a)
    stock = instrument_make()
    cash_deposit(account=account, amount=D("1000"), currency="USD", idempotency_key="r0")
    buy = trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(10),
        price=D(20),
        trade_date=MON,
        idempotency_key="r1",
    )
    # when
    reversal = entry_reverse(entry=buy, idempotency_key="r2")
    # then
    assert reversal.reverses_id == buy.pk
    assert Position.objects.get(account=account, instrument=stock).quantity == 0
    assert not TaxLot.objects.filter(account=account).exists()
    assert _cash(tenant_a, account) == D(1000)


def test_trade_on_a_closed_market_day_is_refused_unless_the_settle_date_is_given(tenant_a):
    # given: a US stock; Thursday 26 November 2026 is Thanksgiving (NYSE closed)
    account = account_make(tenant_a, margin_type="reg_t")
    stock = instrument_make("XTHX", exchange="NYSE")
    cash_deposit(account=account, amount=D("1000"), currency="USD", idempotency_key="h0")
    entries = JournalEntry.objects.count()
    order = {"account": account, "instrument": stock, "side": "BUY", "quantity": D(1)}
    # when
    with pytest.raises(LedgerError) as refused:
        trade_book(**order, price=D(10), trade_date=date(2026, 11, 26), idempotency_key="h1")
    # then
    assert refused.value.message == (
        "Trade date 2026-11-26 (Thursday) is a closed day of XNYS: XTHX does not trade that day."
        " Book it on a trading day, or give the settle date the broker confirmed."
    )
    assert JournalEntry.objects.count() == entries
    assert not Position.objects.filter(account=account).exists()
    # and the day before settles on Friday; a given settle date is booked as given
    wednesday = trade_book(
        **order, price=D(10), trade_date=date(2026, 11, 25), idempotency_key="h2"
    )
    given = trade_book(
        **order,
        price=D(10),
        trade_date=date(2026, 11, 26),
        settle_date=date(2026, 11, 27),
        idempotency_key="h3",
    )
    assert (wednesday.settle_date, given.settle_date) == (date(2026, 11, 27), date(2026, 11, 27))
