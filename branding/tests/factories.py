"""Factories for the branding tests: ledger books for the reports (call inside tenant_context)
and the PDF text they are read by."""

import io
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from ledger.services import account_open, cash_deposit, nav_snapshots_rebuild, trade_book
from ledger.tests.factories import instrument_make, price_set

D = Decimal
START, END = date(2026, 10, 1), date(2026, 10, 30)
TRADE_DAY = date(2026, 10, 5)


def pdf_text(pdf: bytes) -> str:
    """All pages' text, whitespace collapsed (as the statement tests read PDFs)."""
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def pdf_pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def funded_account(
    tenant, *, title="Zoë Łukasiewicz", amount=1_000_000, parent=None, margin_type="cash"
):
    account = account_open(
        tenant=tenant,
        title=title,
        margin_type=margin_type,
        account_type="sub" if parent else "individual",
        parent=parent,
    )
    cash_deposit(
        account=account,
        amount=D(amount),
        currency="USD",
        idempotency_key=f"fund-{account.pk}",
        value_date=date(2025, 1, 2),
    )
    return account


def trade(account, instrument, side, quantity, price, on, *, key, commission=0, fees=0):
    return trade_book(
        account=account,
        instrument=instrument,
        side=side,
        quantity=D(quantity),
        price=D(price),
        trade_date=on,
        idempotency_key=f"{key}-{account.pk}",
        commission=D(commission),
        fees=D(fees),
        execution_id=f"{key}-{account.pk}",
    )


def master_with_subs(tenant, *, moves, benchmark_prices=("400", "412")):
    """An advisor master with one funded sub per (title, buy price, end price) in `moves`, each
    buying 100 shares of its own stock on 5 October; NAV history 30 Sep – 30 Oct 2026 and a
    benchmark instrument priced at both ends. Returns (master, subs, benchmark)."""
    master = account_open(tenant=tenant, title="Advisor master", account_type="master")
    benchmark = instrument_make(description="Benchmark index ETF", asset_class="ETF")
    price_set(benchmark, date(2026, 9, 30), benchmark_prices[0])
    price_set(benchmark, END, benchmark_prices[1])
    subs = []
    for title, buy, end in moves:
        sub = account_open(tenant=tenant, title=title, account_type="sub", parent=master)
        cash_deposit(
            account=sub,
            amount=D(10000),
            currency="USD",
            idempotency_key=f"pd-{sub.pk}",
            value_date=date(2026, 9, 1),
        )
        stock = instrument_make(description=f"{title} stock")
        price_set(stock, date(2026, 9, 30), buy)
        price_set(stock, TRADE_DAY, buy)
        price_set(stock, END, end)
        trade(sub, stock, "BUY", 100, buy, TRADE_DAY, key="pb", commission="1")
        subs.append(sub)
    # A deposit in the period, so that TWR and MWR differ for the first sub.
    cash_deposit(
        account=subs[0],
        amount=D(5000),
        currency="USD",
        idempotency_key=f"pd2-{subs[0].pk}",
        value_date=date(2026, 10, 15),
    )
    nav_snapshots_rebuild(
        start=date(2026, 9, 30), end=END, account_ids=[master.pk, *(s.pk for s in subs)]
    )
    return master, subs, benchmark


OCTOBER_2026 = {
    "period_kind": "monthly",
    "period_start": date(2026, 10, 1),
    "period_end": date(2026, 10, 31),
}


def statement_issued(tenant, *, title="Zoë Łukasiewicz"):
    """An account with 500 USD deposited on 2 October 2026 and its October statement issued."""
    from branding.statements.services import statement_issue

    account = account_open(tenant=tenant, title=title, account_type="individual")
    cash_deposit(
        account=account,
        amount=D(500),
        currency="USD",
        idempotency_key=f"issued-{account.pk}",
        value_date=date(2026, 10, 2),
    )
    statement, _ = statement_issue(account=account, **OCTOBER_2026)
    return account, statement
