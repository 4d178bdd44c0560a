"""Statements gathered from the ledger: the PDF, CSV and Flex figures equal the ledger's own."""

import io
import shutil
import subprocess
import warnings
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from ibflex import parser
from pypdf import PdfReader

from branding.statements.data import statement_gather, statements_gather
from branding.statements.flex_xml import statements_flex_write
from branding.statements.layout import money, percent
from branding.statements.pdf import statement_pdf
from branding.tests.test_statements_pdf import PAGES_DIR
from branding.tests.test_statements_run import _client
from ledger.models import Account
from ledger.selectors import (
    account_valuation,
    activity_for,
    cash_balances_for,
    performance_for,
)
from ledger.services import (
    account_open,
    cash_deposit,
    dividend_book,
    nav_snapshots_rebuild,
    trade_book,
)
from ledger.tests.factories import instrument_make, price_set
from tests.support.statements import BRAND

D = Decimal
START, END = date(2026, 10, 1), date(2026, 10, 31)


def _book_month(tenant, *, title="Zoë Łukasiewicz", extra_trades=0):
    account = account_open(tenant=tenant, title=title, account_type="individual")
    apple = instrument_make(description="Apple Inc.")
    bond = instrument_make(description="Treasury Bond ETF", asset_class="ETF")
    for instrument, before, after in ((apple, "180", "205.5"), (bond, "90", "91.25")):
        price_set(instrument, date(2026, 9, 30), before)
        price_set(instrument, END, after)
    cash_deposit(
        account=account,
        amount=D("2000000"),
        currency="USD",
        idempotency_key=f"d-{account.pk}",
        value_date=START,
    )
    trade_book(
        account=account,
        instrument=apple,
        side="BUY",
        quantity=D(100),
        price=D("190"),
        trade_date=date(2026, 10, 5),
        idempotency_key=f"t1-{account.pk}",
        commission=D("1.50"),
        execution_id=f"E1-{account.pk}",
    )
    trade_book(
        account=account,
        instrument=bond,
        side="BUY",
        quantity=D(50),
        price=D("90.10"),
        trade_date=date(2026, 10, 6),
        idempotency_key=f"t2-{account.pk}",
        commission=D("1.00"),
        execution_id=f"E2-{account.pk}",
    )
    trade_book(
        account=account,
        instrument=apple,
        side="SELL",
        quantity=D(40),
        price=D("200"),
        trade_date=date(2026, 10, 20),
        idempotency_key=f"t3-{account.pk}",
        commission=D("1.50"),
        execution_id=f"E3-{account.pk}",
    )
    for i in range(extra_trades):
        side = "BUY" if i % 2 == 0 else "SELL"
        trade_book(
            account=account,
            instrument=apple,
            side=side,
            quantity=D(1),
            price=D("195") + D(i % 10) / 10,
            trade_date=date(2026, 10, 12 + i % 5),  # the trading days of one week
            idempotency_key=f"x{i}-{account.pk}",
            commission=D("0.10"),
            execution_id=f"X{i}-{account.pk}",
        )
    dividend_book(
        account=account,
        instrument=apple,
        amount=D("24.00"),
        trade_date=date(2026, 10, 15),
        idempotency_key=f"div-{account.pk}",
    )
    nav_snapshots_rebuild(start=date(2026, 9, 30), end=END, account_ids=[account.pk])
    return account, apple, bond


def _text(pdf: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def test_pdf_figures_equal_the_ledgers_valuation_for_the_period(tenant_a):
    with tenant_context(tenant_a):
        # given
        account, apple, bond = _book_month(tenant_a)
        start_value = account_valuation(tenant=tenant_a, account=account, as_of=date(2026, 9, 30))
        end_value = account_valuation(tenant=tenant_a, account=account, as_of=END)
        performance = performance_for(
            tenant=tenant_a, account_ids=[account.pk], start=date(2026, 9, 30), end=END
        )
        # when
        statement = statement_gather(
            tenant=tenant_a,
            account=account,
            period_kind="monthly",
            period_start=START,
            period_end=END,
        )
        text = _text(statement_pdf(statement, BRAND))
    # then: the text shows the ledger's own figures
    assert f"Starting value {money(start_value.nlv)}" in text
    assert f"Ending value {money(end_value.nlv)}" in text
    values = {p.symbol: p.market_value for p in end_value.positions}
    assert f"{apple.symbol} Apple Inc. STK USD 60 205.50 {money(values[apple.symbol])}" in text
    assert f"{bond.symbol} Treasury Bond ETF STK USD 50 91.25 {money(values[bond.symbol])}" in text
    assert "Dividends 24.00" in text
    assert "Commissions -4.00" in text
    assert "Zoë Łukasiewicz" in text
    assert f"Time-weighted return (TWR) {percent(performance.twr.cumulative)}" in text
    assert f"Money-weighted return (MWR) {percent(performance.mwr.period_return)}" in text
    # and the change in NAV reconciles: ending = starting + the listed components
    assert statement.nav_change.other == 0
    assert statement.nav_change.deposits_withdrawals == D("2000000")
    # commissions in the lots (Pub. 550): the sale's 1.50, and 40/100 of the buy's 1.50
    assert statement.nav_change.realized == D(40) * (D(200) - D(190)) - D("1.5") - D("0.6")


def test_flex_export_round_trips_the_ledgers_positions_trades_and_ending_cash(tenant_a):
    with tenant_context(tenant_a):
        # given
        account, apple, bond = _book_month(tenant_a, title="José Müller")
        statement = statement_gather(
            tenant=tenant_a,
            account=account,
            period_kind="monthly",
            period_start=START,
            period_end=END,
        )
        valuation = account_valuation(tenant=tenant_a, account=account, as_of=END)
        activity = activity_for(tenant=tenant_a, account_ids=[account.pk], start=START, end=END)
        (cash,) = cash_balances_for(
            tenant=tenant_a, account_ids=[account.pk], as_of=date(2099, 1, 1)
        )
        out = io.BytesIO()
        # when
        statements_flex_write(out, [statement], count=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (flex,) = parser.parse(out.getvalue()).FlexStatements
    # then
    assert {(p.symbol, p.position, p.positionValue) for p in flex.OpenPositions} == {
        (p.symbol, p.quantity, p.market_value) for p in valuation.positions
    }
    trades = sorted((a for a in activity if a.kind == "trade"), key=lambda a: a.entry_id)
    assert [
        (t.ibExecID or t.tradeID, t.quantity, t.tradePrice, t.proceeds, -t.ibCommission)
        for t in flex.Trades
    ] == [(a.execution_id, a.quantity, a.price, a.amount, a.commission) for a in trades]
    assert flex.CashReport[0].endingCash == cash.balance
    assert flex.ChangeInNAV.endingValue == valuation.nlv
    assert flex.AccountInformation.name == "José Müller"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_2000_trade_account_paginates_and_page_images_are_written(tenant_a):
    with tenant_context(tenant_a):
        # given: an account with 2,000 trades in the month
        account, _, _ = _book_month(tenant_a, extra_trades=1997)
        statement = statement_gather(
            tenant=tenant_a,
            account=account,
            period_kind="monthly",
            period_start=START,
            period_end=END,
        )
        # when
        pdf = statement_pdf(statement, BRAND)
    # then
    assert len(statement.trades) == 2000
    reader = PdfReader(io.BytesIO(pdf))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    header = "Date Symbol Side Quantity Price Proceeds Commission Realized P&L Currency"
    trade_pages = [t for t in pages if " BUY " in t or " SELL " in t]
    assert len(trade_pages) > 20
    assert all(header in t for t in trade_pages)
    assert "Zoë Łukasiewicz" in pages[0]
    target = PAGES_DIR / "ledger-account-2000-trades"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    (target / "statement.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(target / "statement.pdf"), str(target / "page")],
        check=True,
    )
    assert len(list(target.glob("page-*.png"))) == len(reader.pages)


def test_master_statement_is_consolidated_over_its_subs(tenant_a):
    with tenant_context(tenant_a):
        # given: an advisor master with two funded sub-accounts holding the same stock
        master = account_open(tenant=tenant_a, title="Advisor master", account_type="master")
        stock = instrument_make(description="Consolidated Co.")
        price_set(stock, date(2026, 9, 30), "50")
        price_set(stock, END, "55")
        for index in (1, 2):
            sub = account_open(
                tenant=tenant_a, title=f"Sub {index}", account_type="sub", parent=master
            )
            cash_deposit(
                account=sub,
                amount=D(10000),
                currency="USD",
                idempotency_key=f"cd{sub.pk}",
                value_date=START,
            )
            trade_book(
                account=sub,
                instrument=stock,
                side="BUY",
                quantity=D(10 * index),
                price=D(50),
                trade_date=date(2026, 10, 5),
                idempotency_key=f"ct{sub.pk}",
            )
        consolidated = account_valuation(tenant=tenant_a, account=master, as_of=END)
        # when
        statement = statement_gather(
            tenant=tenant_a,
            account=master,
            period_kind="monthly",
            period_start=START,
            period_end=END,
        )
    # then
    assert statement.nav_change.ending_value == consolidated.nlv == D(20000) + 30 * D(5)
    assert [(p.symbol, p.quantity, p.market_value) for p in statement.positions] == [
        (stock.symbol, D(30), D(1650))
    ]
    assert len(statement.account.sub_accounts) == 2
    assert len(statement.trades) == 2


def test_a_batch_gathers_each_statement_as_alone_and_reports_foreign_accounts(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        foreign = account_open(tenant=tenant_b, title="Other tenant", account_type="individual")
    with tenant_context(tenant_a):
        # given: a funded account with trades, a client's account, and an empty account
        traded, _, _ = _book_month(tenant_a)
        client_account = account_open(tenant=tenant_a, title="Titled", account_type="individual")
        cash_deposit(
            account=client_account,
            amount=D("750.25"),
            currency="USD",
            idempotency_key=f"batch-{client_account.pk}",
            value_date=date(2026, 10, 9),
        )
        _client(client_account, username="batchclient")
        empty = account_open(tenant=tenant_a, title="Empty", account_type="individual")
        accounts = [traded, client_account, empty]
        period = {"period_kind": "monthly", "period_start": START, "period_end": END}
        alone = {a.pk: statement_gather(tenant=tenant_a, account=a, **period) for a in accounts}
        # when
        gathered = statements_gather(
            tenant=tenant_a, account_ids=[foreign.pk, *(a.pk for a in accounts)], **period
        )
    # then: the same statements as one at a time (but for the time they were generated)
    assert set(gathered.statements) == {a.pk for a in accounts}
    for pk, statement in gathered.statements.items():
        assert replace(statement, generated_at=None) == replace(alone[pk], generated_at=None)
    assert gathered.statements[client_account.pk].account.holder_name == "Zoë Łukasiewicz"
    assert gathered.statements[client_account.pk].nav_change.ending_value == D("750.25")
    assert gathered.statements[empty.pk].account.holder_name == "Empty"
    assert len(gathered.statements[traded.pk].trades) == 3
    assert gathered.statements[traded.pk].performance.twr is not None
    # and another tenant's account is a failure, never a statement
    assert list(gathered.failures) == [foreign.pk]
    assert isinstance(gathered.failures[foreign.pk], Account.DoesNotExist)


def test_allocation_chart_counts_the_cash_an_account_holds(tenant_a):
    """An account that holds 73 % cash: the statement's "Allocation by asset class" shows it."""
    with tenant_context(tenant_a):
        # given 100,000 USD deposited and 27,000 of it in one stock, valued at cost at the end
        account = account_open(tenant=tenant_a, title="Mostly cash", account_type="individual")
        stock = instrument_make(description="Cash-test stock")
        price_set(stock, date(2026, 9, 30), "270")
        price_set(stock, END, "270")
        cash_deposit(
            account=account,
            amount=D("100000"),
            currency="USD",
            idempotency_key=f"d-{account.pk}",
            value_date=START,
        )
        trade_book(
            account=account,
            instrument=stock,
            side="BUY",
            quantity=D(100),
            price=D("270"),
            trade_date=date(2026, 10, 5),
            idempotency_key=f"t-{account.pk}",
            execution_id=f"C1-{account.pk}",
        )
        nav_snapshots_rebuild(start=date(2026, 9, 30), end=END, account_ids=[account.pk])
        # when
        statement = statement_gather(
            tenant=tenant_a,
            account=account,
            period_kind="monthly",
            period_start=START,
            period_end=END,
        )
        text = _text(statement_pdf(statement, BRAND))
    # then: cash is the larger slice, with the stock's share beside it
    assert "Allocation by asset class" in text
    assert "Cash 73%" in text
    assert "Stocks 27%" in text
    assert "Stocks 100%" not in text
