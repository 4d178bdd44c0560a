"""Paper accounts and the simulated venue: the account opened with paper cash, fills against
the market data through the ledger's execution path, and paper left out of statements and
exception reports."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import tenant_context

from branding.statements.selectors import run_accounts
from ledger.access import account_allows
from ledger.models import CashBalance, JournalEntry, Position
from ledger.selectors.oversight import dormant_accounts_for, negative_cash_for
from ledger.services.market import PriceRow, prices_load

from ..models import Fill, Order
from ..services import order_submit, paper_account_open
from .factories import settings_set, stock_make, ticket, trader_make

D = Decimal


def _paper(tenant):
    user, real = trader_make(tenant)
    return user, real, paper_account_open(user=user, tenant=tenant)


def _cash(account):
    return CashBalance.objects.get(account=account, currency="USD").quantity


def _price(instrument, close, volume=None):
    prices_load(
        rows=[
            PriceRow(
                on=timezone.localdate(),
                close=D(close),
                conid=None,
                symbol=instrument.symbol,
                volume=None if volume is None else D(volume),
            )
        ]
    )


def test_a_client_opens_one_paper_account_with_paper_cash(in_tenant_a):
    user, real, paper = _paper(in_tenant_a)
    assert paper.is_paper and paper.pk != real.pk
    assert paper.title.endswith("(paper)")
    assert _cash(paper) == D("1000000")
    assert account_allows(user=user, tenant=in_tenant_a, account=paper, need="trade")
    assert not account_allows(user=user, tenant=in_tenant_a, account=paper, need="fund")
    assert paper_account_open(user=user, tenant=in_tenant_a).pk == paper.pk


def test_a_market_order_fills_at_the_last_price_with_the_slippage(in_tenant_a):
    user, _, paper = _paper(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(user=user, tenant=in_tenant_a, ticket=ticket(paper, stock, quantity=D(10)))
    order.refresh_from_db()
    assert (order.status, order.venue, order.is_paper) == ("filled", "simulated", True)
    [fill] = order.fills.all()
    assert fill.price == D("100.05")  # 5 bps worse
    assert fill.commission == D("1.00")
    entry = JournalEntry.objects.get(pk=fill.journal_entry_id)
    assert entry.execution_id == fill.execution_id
    assert Position.objects.get(account=paper, instrument=stock).quantity == D(10)
    assert _cash(paper) == D("1000000") - D("1000.50") - D("1.00")


def test_a_limit_order_fills_when_a_price_load_crosses_it(in_tenant_a):
    user, _, paper = _paper(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(paper, stock, order_type="limit", limit_price=D("95")),
    )
    assert order.status == "accepted"
    _price(stock, "96")
    order.refresh_from_db()
    assert order.status == "accepted"
    _price(stock, "94.5")
    order.refresh_from_db()
    assert (order.status, order.avg_fill_price) == ("filled", D("94.5"))
    assert Position.objects.get(account=paper, instrument=stock).quantity == D(10)


def test_a_stop_triggers_once_crossed_and_fills_as_market(in_tenant_a):
    user, _, paper = _paper(in_tenant_a)
    stock = stock_make("100")
    order_submit(user=user, tenant=in_tenant_a, ticket=ticket(paper, stock, quantity=D(10)))
    stop = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(paper, stock, side="sell", order_type="stop", stop_price=D("92")),
    )
    _price(stock, "93")
    stop.refresh_from_db()
    assert (stop.status, stop.triggered) == ("accepted", False)
    _price(stock, "91")
    stop.refresh_from_db()
    assert stop.status == "filled"
    assert stop.avg_fill_price == D("90.9545")  # 91 less 5 bps
    assert Position.objects.get(account=paper, instrument=stock).quantity == 0


def test_an_order_above_the_share_of_the_days_volume_fills_in_parts(in_tenant_a):
    user, _, paper = _paper(in_tenant_a)
    stock = stock_make("100")
    settings_set(paper_volume_share_pct=D("10"))
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(paper, stock, quantity=D(100), order_type="limit", limit_price=D("99")),
    )
    _price(stock, "98", volume=400)
    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == ("partially_filled", D(40))
    _price(stock, "98.5", volume=1000)
    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == ("filled", D(100))
    assert [f.quantity for f in Fill.objects.filter(order=order)] == [D(40), D(60)]
    assert order.avg_fill_price == D("98.3")


def test_real_accounts_orders_are_not_filled_by_the_simulated_venue(in_tenant_a):
    user, real = trader_make(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(user=user, tenant=in_tenant_a, ticket=ticket(real, stock))
    _price(stock, "90")
    order.refresh_from_db()
    assert (order.status, order.venue) == ("accepted", "held")
    assert not order.fills.exists()


def test_a_price_load_fills_each_tenants_paper_orders_in_its_own_schema(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        stock = stock_make("100")
        user_a, _, paper_a = _paper(tenant_a)
        order_a = order_submit(
            user=user_a,
            tenant=tenant_a,
            ticket=ticket(paper_a, stock, order_type="limit", limit_price=D("95")),
        )
    with tenant_context(tenant_b):
        user_b, _, paper_b = _paper(tenant_b)
        order_b = order_submit(
            user=user_b,
            tenant=tenant_b,
            ticket=ticket(paper_b, stock, order_type="limit", limit_price=D("90")),
        )
    _price(stock, "94")
    with tenant_context(tenant_a):
        assert Order.objects.get(pk=order_a.pk).status == "filled"
    with tenant_context(tenant_b):
        assert Order.objects.get(pk=order_b.pk).status == "accepted"


def test_paper_accounts_are_left_out_of_statements_and_exceptions(in_tenant_a):
    user, real, paper = _paper(in_tenant_a)
    runs = set(run_accounts(tenant=in_tenant_a).values_list("pk", flat=True))
    assert real.pk in runs and paper.pk not in runs
    CashBalance.objects.filter(account=paper).update(quantity=D("-5"))
    assert paper.pk not in {r.account_id for r in negative_cash_for(tenant=in_tenant_a)}
    since = timezone.localdate() + timedelta(days=400)
    assert paper.pk not in {
        r.account_id for r in dormant_accounts_for(tenant=in_tenant_a, since=since)
    }
