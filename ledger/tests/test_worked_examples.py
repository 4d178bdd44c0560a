"""Worked examples: a short sale, a 2-for-1 split, Reg T buying power and margin."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from ledger.models import Position, Posting, RealizedGain, TaxLot
from ledger.selectors import account_valuation
from ledger.services import cash_deposit, split_book, trade_book
from ledger.tests.factories import account_make, instrument_make, price_set

D = Decimal
DAY = date(2026, 3, 2)


def test_short_sale_and_cover(tenant_a):
    """Short 100 @ 50, cover 100 @ 40: realized (40 − 50) × (−100) = +1,000
    (Hull, Options, Futures and Other Derivatives, 10th ed., §5.2 "Short selling")."""
    # given
    account = account_make(tenant_a, margin_type="reg_t")
    stock = instrument_make()
    cash_deposit(account=account, amount=D(10000), currency="USD", idempotency_key="ss0")
    # when
    trade_book(
        account=account,
        instrument=stock,
        side="SELL",
        quantity=D(100),
        price=D(50),
        trade_date=DAY,
        idempotency_key="ss1",
    )
    lot = TaxLot.objects.get(account=account)
    cover = trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(100),
        price=D(40),
        trade_date=DAY,
        idempotency_key="ss2",
    )
    # then
    assert (lot.quantity, lot.price) == (D(-100), D(50))
    gain = RealizedGain.objects.get(account=account)
    assert (gain.closed_by_id, gain.quantity, gain.pnl) == (cover.pk, D(-100), D(1000))
    assert Position.objects.get(account=account, instrument=stock).quantity == 0


def test_two_for_one_split_keeps_cost_and_halves_price(tenant_a):
    """A 2-for-1 split doubles the shares and halves the per-share basis; total basis is
    unchanged (IRS Publication 550, "Stock splits")."""
    # given
    account = account_make(tenant_a)
    stock = instrument_make()
    cash_deposit(account=account, amount=D(10000), currency="USD", idempotency_key="sp0")
    trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(100),
        price=D(50),
        trade_date=DAY,
        idempotency_key="sp1",
    )
    # when
    split = split_book(instrument=stock, ratio=D(2), trade_date=DAY, idempotency_key="sp2")
    sell = trade_book(
        account=account,
        instrument=stock,
        side="SELL",
        quantity=D(200),
        price=D(30),
        trade_date=DAY,
        idempotency_key="sp3",
    )
    # then
    legs = {(p.account.number, p.quantity) for p in Posting.objects.filter(entry=split)}
    assert legs == {(account.number, D(100)), ("P-CORPACT", D(-100))}
    gain = RealizedGain.objects.get(account=account)
    assert (gain.closed_by_id, gain.quantity, gain.open_price, gain.pnl) == (
        sell.pk,
        D(200),
        D(25),
        D(1000),
    )


def test_reg_t_buying_power_and_margin(tenant_a):
    """Reg T: 50 % initial margin (12 CFR 220.12), 25 % maintenance on long stock (FINRA
    Rule 4210(c)). 10,000 cash buys up to 20,000 of stock. After buying 200 @ 100 on margin:
    NLV 10,000, initial 10,000, maintenance 5,000, excess liquidity 5,000, buying power 0. At
    70: NLV 4,000, maintenance 3,500, excess liquidity 500; the margin call price is
    debit / (shares × (1 − 25 %)) = 10,000 / 150 = 66.67."""
    # given
    account = account_make(tenant_a, margin_type="reg_t")
    stock = instrument_make()
    price_set(stock, DAY, 100)
    cash_deposit(
        account=account, amount=D(10000), currency="USD", idempotency_key="rt0", value_date=DAY
    )
    before = account_valuation(tenant=tenant_a, account=account)
    # when
    trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(200),
        price=D(100),
        trade_date=DAY,
        idempotency_key="rt1",
    )
    after = account_valuation(tenant=tenant_a, account=account)
    price_set(stock, date(2026, 3, 3), 70)
    fallen = account_valuation(tenant=tenant_a, account=account)
    # then
    assert before.buying_power == D(20000)
    assert (after.nlv, after.initial_margin, after.maintenance_margin) == (
        D(10000),
        D(10000),
        D(5000),
    )
    assert (after.excess_liquidity, after.buying_power) == (D(5000), D(0))
    assert (fallen.nlv, fallen.maintenance_margin, fallen.excess_liquidity) == (
        D(4000),
        D(3500),
        D(500),
    )
    assert fallen.unrealized_pnl == D(-6000) and fallen.daily_pnl == D(-6000)


def test_cash_account_buying_power_is_settled_cash_less_pending(tenant_a):
    # given: 1,000 deposited; a buy of 300 that has not settled yet (T+1 in the future)
    account = account_make(tenant_a)
    stock = instrument_make()
    price_set(stock, DAY, 30)
    cash_deposit(
        account=account, amount=D(1000), currency="USD", idempotency_key="cb0", value_date=DAY
    )
    trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(10),
        price=D(30),
        trade_date=date(2099, 1, 5),
        idempotency_key="cb1",
        settle_date=date(2099, 1, 6),
    )
    # when
    valuation = account_valuation(tenant=tenant_a, account=account)
    # then
    assert valuation.settled_cash == D(1000)
    assert valuation.cash == D(700)
    assert valuation.buying_power == D(700)
    assert valuation.nlv == D(1000)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_posting SET quantity = quantity * 2 WHERE entry_id = %s AND leg = %s",
        "DELETE FROM ledger_posting WHERE entry_id = %s AND leg = %s",
        "UPDATE ledger_journalentry SET memo = 'x' WHERE id = %s AND %s >= 0",
    ],
)
def test_raw_sql_cannot_change_posted_rows(tenant_a, sql):
    # given
    account = account_make(tenant_a)
    entry = cash_deposit(account=account, amount=D(5), currency="USD", idempotency_key="im0")
    posting = Posting.objects.filter(entry=entry).first()
    # when
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [posting.entry_id, posting.leg])
    # then
    assert "posted journal rows are immutable" in str(refused.value)
    assert Posting.objects.get(pk=posting.pk).quantity == D(5)


def test_block_allocation_moves_position_and_cash_at_average_price(tenant_a):
    """A block bought in a master in two fills (100 @ 10, 100 @ 12) is allocated to two subs
    at the average price 11: each sub opens a lot of 100 @ 11 and pays 1,100; the master ends
    flat with (11 − 10) × 100 + (11 − 12) × 100 = 0 realized."""
    from ledger.journal import PostingLine, journal_post
    from ledger.services import account_open

    # given
    master = account_open(tenant=tenant_a, title="Adv", account_type="master", margin_type="reg_t")
    subs = [
        account_open(tenant=tenant_a, title=f"S{i}", account_type="sub", parent=master)
        for i in range(2)
    ]
    stock = instrument_make()
    for sub in subs:
        cash_deposit(account=sub, amount=D(2000), currency="USD", idempotency_key=f"ba{sub.pk}")
    for n, fill_price in enumerate((10, 12)):
        trade_book(
            account=master,
            instrument=stock,
            side="BUY",
            quantity=D(100),
            price=D(fill_price),
            trade_date=DAY,
            idempotency_key=f"bf{n}",
        )
    lines = []
    for sub in subs:
        lines += [
            PostingLine(account=master, instrument=stock, quantity=D(-100), price=D(11)),
            PostingLine(account=sub, instrument=stock, quantity=D(100), price=D(11)),
            PostingLine(account=sub, currency="USD", quantity=D(-1100)),
            PostingLine(account=master, currency="USD", quantity=D(1100)),
        ]
    # when
    entry = journal_post(
        kind="position_transfer", lines=lines, idempotency_key="alloc-1", trade_date=DAY
    )
    # then
    master_position = Position.objects.get(account=master, instrument=stock)
    assert (master_position.quantity, master_position.realized_pnl) == (D(0), D(0))
    assert sorted(
        RealizedGain.objects.filter(closed_by=entry).values_list("open_price", "pnl")
    ) == [(D(10), D(100)), (D(12), D(-100))]
    for sub in subs:
        lot = TaxLot.objects.get(account=sub)
        assert (lot.quantity, lot.price, lot.opened_by_id) == (D(100), D(11), entry.pk)
