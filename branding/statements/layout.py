"""A statement's data and its layout into sections; no Django here.

`Statement` is everything one statement shows, gathered by `data.py` from the ledger selectors.
`statement_sections()` turns it into titled tables of formatted text that the PDF and CSV
renderers share, so both show the same figures in the same order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True)
class BrandStyle:
    """What a renderer needs of the tenant's brand."""

    name: str
    legal_name: str = ""
    primary_colour: str = "#1F3A5F"
    accent_colour: str = "#C8A24A"
    text_colour: str = "#1A1A1A"
    logo_png: bytes | None = None
    footer: str = ""
    legal_texts: tuple[str, ...] = ()
    contact: str = ""


@dataclass(frozen=True)
class AccountInfo:
    number: str
    title: str
    holder_name: str
    account_type: str
    base_currency: str
    master_number: str = ""
    sub_accounts: tuple[str, ...] = ()
    opened_on: dt.date | None = None
    email: str = ""


@dataclass(frozen=True)
class NavChange:
    """Change in NAV over the period, in the base currency."""

    starting_value: Decimal
    ending_value: Decimal
    deposits_withdrawals: Decimal = ZERO
    mark_to_market: Decimal = ZERO
    realized: Decimal = ZERO
    dividends: Decimal = ZERO
    interest: Decimal = ZERO
    commissions: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def other(self) -> Decimal:
        """What the listed components leave unexplained (FX translation, rounding): zero for
        a statement whose components reconcile."""
        return self.ending_value - self.starting_value - sum(self.components().values(), ZERO)

    def components(self) -> dict[str, Decimal]:
        return {
            "Deposits & withdrawals": self.deposits_withdrawals,
            "Mark-to-market": self.mark_to_market,
            "Realized P&L": self.realized,
            "Dividends": self.dividends,
            "Interest": self.interest,
            "Commissions": self.commissions,
            "Fees": self.fees,
        }


@dataclass(frozen=True)
class CashBalance:
    currency: str
    starting: Decimal
    ending: Decimal
    ending_settled: Decimal
    deposits_withdrawals: Decimal = ZERO
    trades_net: Decimal = ZERO
    dividends: Decimal = ZERO
    interest: Decimal = ZERO
    commissions: Decimal = ZERO
    fees: Decimal = ZERO
    ending_base: Decimal | None = None  # the ending balance in the account's base currency


@dataclass(frozen=True)
class Position:
    symbol: str
    description: str
    asset_class: str  # Flex codes: STK, OPT, FUT, BOND, FUND, CASH ...
    currency: str
    quantity: Decimal
    mark_price: Decimal
    market_value: Decimal
    cost_basis: Decimal
    unrealized_pnl: Decimal
    multiplier: Decimal = Decimal(1)
    market_value_base: Decimal | None = None


@dataclass(frozen=True)
class Trade:
    trade_id: str
    trade_date: dt.date
    settle_date: dt.date
    symbol: str
    description: str
    asset_class: str
    side: str  # BUY / SELL
    quantity: Decimal  # signed: negative for sells
    price: Decimal
    proceeds: Decimal  # signed cash effect before commission: -quantity * price * multiplier
    commission: Decimal  # negative: a charge
    currency: str
    realized_pnl: Decimal = ZERO
    multiplier: Decimal = Decimal(1)
    trade_time: dt.time | None = None


@dataclass(frozen=True)
class CashTransaction:
    transaction_id: str
    date: dt.date
    kind: str  # deposit, withdrawal, dividend, interest, fee
    description: str
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Performance:
    twr: Decimal | None  # for the period (statements' periods are not annualized)
    mwr: Decimal | None  # for the period; None when there is no history or it is not meaningful
    benchmark_name: str = ""
    benchmark_return: Decimal | None = None
    mwr_not_meaningful: bool = False  # the flows give no rate, or go all one way: "n/m"


@dataclass(frozen=True)
class NavPoint:
    date: dt.date
    nav: Decimal


@dataclass(frozen=True)
class Statement:
    account: AccountInfo
    period_start: dt.date
    period_end: dt.date
    period_kind: str  # daily, monthly, annual, custom
    generated_at: dt.datetime
    nav_change: NavChange
    cash: tuple[CashBalance, ...] = ()
    positions: tuple[Position, ...] = ()
    trades: Sequence[Trade] = ()
    cash_transactions: tuple[CashTransaction, ...] = ()
    performance: Performance = field(default_factory=lambda: Performance(None, None))
    nav_history: tuple[NavPoint, ...] = ()
    title: str = "Activity Statement"


@dataclass(frozen=True)
class Column:
    name: str
    numeric: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[str, ...]]
    total: tuple[str, ...] | None = None


# --- formatting ---------------------------------------------------------------------------------


def money(value: Decimal) -> str:
    """`-1234.5` -> `-1,234.50`: two places, banker's rounding, thousands separators."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,.2f}"


def quantity(value: Decimal) -> str:
    """Whole quantities without decimals, fractional ones as given (trailing zeros dropped)."""
    if value == value.to_integral_value():
        return f"{value.to_integral_value():,.0f}"
    text = f"{value.normalize():,f}"
    return text


def price(value: Decimal) -> str:
    """Prices keep up to four places, at least two."""
    places = max(2, min(4, -value.normalize().as_tuple().exponent))
    return f"{value:,.{places}f}"


def percent(value: Decimal | None) -> str:
    """A fraction as a percentage with two places; a dash when there is nothing to show."""
    if value is None:
        return "–"
    return f"{(value * 100).quantize(CENT, rounding=ROUND_HALF_EVEN):,.2f}%"


def plain(value: Decimal) -> str:
    """Machine-readable: no separators, no exponent (`1234.5`, `-0.25`)."""
    return format(value, "f")


@dataclass(frozen=True)
class Formats:
    """How numbers are written: for people (PDF) or for programs (CSV)."""

    money: Callable[[Decimal], str]
    quantity: Callable[[Decimal], str]
    price: Callable[[Decimal], str]


DISPLAY = Formats(money=money, quantity=quantity, price=price)
PLAIN = Formats(money=plain, quantity=plain, price=plain)


def period_label(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()} – {end.isoformat()}"


# --- analysis -----------------------------------------------------------------------------------


def allocation_by_asset_class(
    positions: Iterable[Position], cash: Iterable[CashBalance] = ()
) -> list[tuple[str, Decimal]]:
    """Absolute market value per asset class, largest first (ties by name). Cash counts as the
    class CASH with its ending balances in the base currency when they add up to a credit (a
    margin loan is no holding)."""
    totals: dict[str, Decimal] = {}
    for position in positions:
        value = position.market_value_base
        if value is None:
            value = position.market_value
        totals[position.asset_class] = totals.get(position.asset_class, ZERO) + abs(value)
    cash_total = sum((c.ending if c.ending_base is None else c.ending_base for c in cash), ZERO)
    if cash_total > 0:
        totals["CASH"] = totals.get("CASH", ZERO) + cash_total
    return sorted(
        ((name, value) for name, value in totals.items() if value), key=lambda kv: (-kv[1], kv[0])
    )


# --- sections -----------------------------------------------------------------------------------

ASSET_CLASS_NAMES = {
    "STK": "Stocks",
    "OPT": "Options",
    "FUT": "Futures",
    "BOND": "Bonds",
    "FUND": "Funds",
    "CASH": "Cash",
}


def statement_sections(statement: Statement, f: Formats = DISPLAY) -> list[Section]:
    """The statement's tables in the order every format shows them."""
    return [
        _account_section(statement),
        _nav_section(statement.nav_change, statement.account.base_currency, f),
        _performance_section(statement.performance),
        _cash_section(statement.cash, f),
        _positions_section(statement.positions, f),
        _trades_section(statement.trades, f),
        _cash_transactions_section(statement.cash_transactions, f),
    ]


def _account_section(statement: Statement) -> Section:
    account = statement.account
    rows = [
        ("Name", account.holder_name),
        ("Account", account.number),
        ("Account title", account.title),
        ("Account type", account.account_type),
        ("Base currency", account.base_currency),
        ("Period", period_label(statement.period_start, statement.period_end)),
    ]
    if account.master_number:
        rows.append(("Master account", account.master_number))
    if account.sub_accounts:
        rows.append(("Consolidated accounts", ", ".join(account.sub_accounts)))
    return Section("account", "Account Information", (Column("Field"), Column("Value")), rows)


def _nav_section(nav: NavChange, currency: str, f: Formats) -> Section:
    rows = [("Starting value", f.money(nav.starting_value))]
    rows += [(name, f.money(value)) for name, value in nav.components().items()]
    if nav.other:
        rows.append(("Other", f.money(nav.other)))
    rows.append(("Ending value", f.money(nav.ending_value)))
    return Section(
        "change_in_nav",
        f"Change in NAV ({currency})",
        (Column("Item"), Column("Amount", numeric=True)),
        rows,
    )


def _performance_section(performance: Performance) -> Section:
    rows = [
        ("Time-weighted return (TWR)", percent(performance.twr)),
        (
            "Money-weighted return (MWR)",
            "n/m" if performance.mwr_not_meaningful else percent(performance.mwr),
        ),
    ]
    if performance.benchmark_name:
        rows.append(
            (f"Benchmark: {performance.benchmark_name}", percent(performance.benchmark_return))
        )
    return Section(
        "performance", "Performance", (Column("Measure"), Column("Return", numeric=True)), rows
    )


def _cash_section(cash: Sequence[CashBalance], f: Formats) -> Section:
    columns = (
        Column("Currency"),
        Column("Starting", True),
        Column("Deposits & withdrawals", True),
        Column("Trades (net)", True),
        Column("Dividends", True),
        Column("Interest", True),
        Column("Commissions & fees", True),
        Column("Ending", True),
        Column("Ending settled", True),
    )
    rows = [
        (
            c.currency,
            f.money(c.starting),
            f.money(c.deposits_withdrawals),
            f.money(c.trades_net),
            f.money(c.dividends),
            f.money(c.interest),
            f.money(c.commissions + c.fees),
            f.money(c.ending),
            f.money(c.ending_settled),
        )
        for c in cash
    ]
    return Section("cash_report", "Cash Report", columns, rows)


def _positions_section(positions: Sequence[Position], f: Formats) -> Section:
    columns = (
        Column("Symbol"),
        Column("Description"),
        Column("Class"),
        Column("Currency"),
        Column("Quantity", True),
        Column("Price", True),
        Column("Market value", True),
        Column("Cost basis", True),
        Column("Unrealized P&L", True),
    )
    rows = [
        (
            p.symbol,
            p.description,
            p.asset_class,
            p.currency,
            f.quantity(p.quantity),
            f.price(p.mark_price),
            f.money(p.market_value),
            f.money(p.cost_basis),
            f.money(p.unrealized_pnl),
        )
        for p in positions
    ]
    total = None
    if positions and len({p.currency for p in positions}) == 1:
        total = (
            "Total",
            "",
            "",
            positions[0].currency,
            "",
            "",
            f.money(sum((p.market_value for p in positions), ZERO)),
            f.money(sum((p.cost_basis for p in positions), ZERO)),
            f.money(sum((p.unrealized_pnl for p in positions), ZERO)),
        )
    return Section("open_positions", "Open Positions", columns, rows, total)


class _TradeRows(Sequence):
    """Formats trade rows on demand, so a statement with many trades is not held twice."""

    def __init__(self, trades: Sequence[Trade], f: Formats):
        self._trades = trades
        self._f = f

    def __len__(self) -> int:
        return len(self._trades)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [_trade_row(t, self._f) for t in self._trades[index]]
        return _trade_row(self._trades[index], self._f)


def _trade_row(t: Trade, f: Formats) -> tuple[str, ...]:
    return (
        t.trade_date.isoformat(),
        t.symbol,
        t.side,
        f.quantity(t.quantity),
        f.price(t.price),
        f.money(t.proceeds),
        f.money(t.commission),
        f.money(t.realized_pnl),
        t.currency,
    )


def _trades_section(trades: Sequence[Trade], f: Formats) -> Section:
    columns = (
        Column("Date"),
        Column("Symbol"),
        Column("Side"),
        Column("Quantity", True),
        Column("Price", True),
        Column("Proceeds", True),
        Column("Commission", True),
        Column("Realized P&L", True),
        Column("Currency"),
    )
    return Section("trades", "Trades", columns, _TradeRows(trades, f))


def _cash_transactions_section(transactions: Sequence[CashTransaction], f: Formats) -> Section:
    columns = (
        Column("Date"),
        Column("Type"),
        Column("Description"),
        Column("Currency"),
        Column("Amount", True),
    )
    rows = [
        (t.date.isoformat(), t.kind.capitalize(), t.description, t.currency, f.money(t.amount))
        for t in transactions
    ]
    return Section("cash_transactions", "Cash Transactions", columns, rows)
