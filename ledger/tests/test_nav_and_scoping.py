"""NAV history, performance from it, and tenant scoping of every selector."""

from datetime import date
from decimal import Decimal

import pytest

from ledger.models import Account, NavSnapshot
from ledger.selectors import (
    account_get,
    account_valuation,
    accounts_for,
    activity_for,
    cash_balances_for,
    lots_for,
    nav_history_for,
    performance_for,
    positions_for,
    realized_for,
)
from ledger.services import account_open, cash_deposit, cash_withdraw, trade_book
from ledger.tasks import nav_history_rebuild
from ledger.tests.factories import account_make, instrument_make, price_set

D = Decimal
MON, TUE, WED = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)


@pytest.fixture
def history(tenant_a):
    account = account_make(tenant_a)
    stock = instrument_make()
    for day, close in ((MON, 10), (TUE, 11), (WED, 12)):
        price_set(stock, day, close)
    cash_deposit(
        account=account, amount=D(1000), currency="USD", idempotency_key="n0", value_date=MON
    )
    trade_book(
        account=account,
        instrument=stock,
        side="BUY",
        quantity=D(50),
        price=D(10),
        trade_date=MON,
        idempotency_key="n1",
    )
    cash_deposit(
        account=account, amount=D(550), currency="USD", idempotency_key="n2", value_date=WED
    )
    return account, stock


def test_nav_history_rebuild_gives_nav_flows_and_pnl(tenant_a, history):
    # given
    account, _ = history
    # when
    written = nav_history_rebuild.delay(MON.isoformat(), WED.isoformat()).get()
    rows = list(NavSnapshot.objects.filter(account=account).order_by("date"))
    # then
    assert written >= 3
    assert [(r.date, r.nav, r.flows, r.pnl) for r in rows] == [
        (MON, D(1000), D(1000), D(0)),
        (TUE, D(1050), D(0), D(50)),
        (WED, D(1650), D(550), D(50)),
    ]
    # and when: a rebuild of the same range replaces, not duplicates
    nav_history_rebuild(MON.isoformat(), WED.isoformat())
    assert NavSnapshot.objects.filter(account=account).count() == 3


def test_performance_from_nav_history(tenant_a, history):
    # given
    account, stock = history
    nav_history_rebuild(MON.isoformat(), WED.isoformat())
    # when
    report = performance_for(
        tenant=tenant_a, account_ids=[account.pk], start=MON, end=WED, benchmark_symbol=stock.symbol
    )
    # then: TUE 1050/1000 − 1 = 5 %; WED 1650/(1050 + 550) − 1 = 3.125 %
    assert [s.daily_return for s in report.twr.steps] == [D("0.05"), D("0.03125")]
    assert report.twr.cumulative == D("0.0828125")
    assert report.benchmark.cumulative == D("0.2")
    assert report.mwr.cash_flows == ((MON, D(-1000)), (WED, D(1100)))
    # contribution: the stock made 50 × (12 − 10) = 100 over an average capital of
    # 1000 + 550 / 2 = 1275 (Modified Dietz); cash made nothing
    assert report.contribution_by_position == {stock.symbol: D("0.078431372549")}
    assert report.contribution_by_asset_class == {
        "STK": D("0.078431372549"),
        "Cash and other": D(0),
    }


def test_another_tenants_account_gives_nothing(tenant_a, tenant_b, history):
    # given: an account of tenant A with cash, a position, a lot and history
    account, _ = history
    cash_withdraw(
        account=account, amount=D(1), currency="USD", idempotency_key="n3", value_date=WED
    )
    nav_history_rebuild(MON.isoformat(), WED.isoformat())
    ids = [account.pk]
    # when / then: tenant B sees none of it
    assert not accounts_for(tenant=tenant_b, account_ids=ids).exists()
    with pytest.raises(Account.DoesNotExist):
        account_get(tenant=tenant_b, account_id=account.pk)
    with pytest.raises(Account.DoesNotExist):
        account_valuation(tenant=tenant_b, account=account)
    assert not accounts_for(tenant=tenant_b).filter(number=account.number).exists()
    assert list(positions_for(tenant=tenant_b, account_ids=ids)) == []
    assert cash_balances_for(tenant=tenant_b, account_ids=ids) == []
    assert list(lots_for(tenant=tenant_b, account_ids=ids)) == []
    assert list(realized_for(tenant=tenant_b, account_ids=ids)) == []
    assert activity_for(tenant=tenant_b, account_ids=ids) == []
    assert list(nav_history_for(tenant=tenant_b, account_ids=ids, start=MON, end=WED)) == []
    # and tenant A sees it all
    assert [p.quantity for p in positions_for(tenant=tenant_a, account_ids=ids)] == [D(50)]
    kinds = [a.kind for a in activity_for(tenant=tenant_a, account_ids=ids)]
    assert sorted(kinds) == ["deposit", "deposit", "trade", "withdrawal"]


def test_master_valuation_consolidates_its_subs(tenant_a):
    # given
    master = account_open(tenant=tenant_a, title="Adv", account_type="master")
    subs = [
        account_open(tenant=tenant_a, title=f"S{i}", account_type="sub", parent=master)
        for i in range(3)
    ]
    for i, sub in enumerate(subs, start=1):
        cash_deposit(account=sub, amount=D(100 * i), currency="USD", idempotency_key=f"m{i}")
    # when
    total = account_valuation(tenant=tenant_a, account=master)
    # then
    assert (total.nlv, total.cash, total.buying_power) == (D(600), D(600), D(600))
