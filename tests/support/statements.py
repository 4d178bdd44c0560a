"""Synthetic statements for the renderer tests and the statement bench (no database)."""

import datetime as dt
from decimal import Decimal as D

from branding.statements.layout import (
    AccountInfo,
    BrandStyle,
    CashBalance,
    CashTransaction,
    NavChange,
    NavPoint,
    Performance,
    Position,
    Statement,
    Trade,
)

HOLDER = "Zoë Łukasiewicz"
BRAND = BrandStyle(
    name="Northwind Securities",
    legal_name="Northwind Securities LLC",
    footer="Northwind Securities LLC · Member FINRA/SIPC",
    legal_texts=("Securities are not FDIC insured. José Müller, Compliance.",),
)


def trade_rows(count: int, *, start: dt.date = dt.date(2026, 10, 1)):
    for i in range(count):
        buy = i % 2 == 0
        quantity = D(10 + i % 7) * (1 if buy else -1)
        price = D("190.25") + D(i % 13) / 4
        yield Trade(
            trade_id=f"X{i:06d}",
            trade_date=start + dt.timedelta(days=i % 28),
            settle_date=start + dt.timedelta(days=i % 28 + 1),
            symbol="AAPL" if i % 3 else "MSFT",
            description="Apple Inc." if i % 3 else "Microsoft Corp.",
            asset_class="STK",
            side="BUY" if buy else "SELL",
            quantity=quantity,
            price=price,
            proceeds=-quantity * price,
            commission=D("-1.00"),
            currency="USD",
            realized_pnl=D("0") if buy else D("12.34"),
            trade_time=dt.time(14, 30, i % 60),
        )


def statement_make(*, trades: int = 20, holder: str = HOLDER) -> Statement:
    return Statement(
        account=AccountInfo("U1000001", holder, holder, "Individual", "USD"),
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        period_kind="monthly",
        generated_at=dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC),
        nav_change=NavChange(
            starting_value=D("100000"),
            ending_value=D("105234.56"),
            deposits_withdrawals=D("5000"),
            mark_to_market=D("246.56"),
            commissions=D("-12.00"),
        ),
        cash=(CashBalance("USD", D("50000"), D("52000.5"), D("51000.25"), D("5000")),),
        positions=(
            Position(
                "AAPL",
                "Apple Inc.",
                "STK",
                "USD",
                D(100),
                D("190.25"),
                D("19025"),
                D("18000"),
                D("1025"),
            ),
            Position(
                "TLT",
                "Treasury ETF",
                "BOND",
                "USD",
                D(50),
                D("90"),
                D("4500"),
                D("4600"),
                D("-100"),
            ),
        ),
        trades=list(trade_rows(trades)),
        cash_transactions=(
            CashTransaction("C1", dt.date(2026, 10, 3), "deposit", "Wire in", "USD", D("5000")),
            CashTransaction(
                "C2", dt.date(2026, 10, 15), "dividend", "AAPL dividend", "USD", D("24.00")
            ),
        ),
        performance=Performance(D("0.0123"), D("0.0119"), "S&P 500", D("0.02")),
        nav_history=tuple(
            NavPoint(dt.date(2026, 10, 1) + dt.timedelta(days=i), D(100000 + i * 170))
            for i in range(31)
        ),
    )
