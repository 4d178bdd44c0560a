"""A statement's data, gathered from the ledger's selectors (tenant-scoped) into `layout.Statement`.

Values are in the account's base currency except where a row names its own currency (cash by
currency, trades, cash transactions). For an advisor master the statement is consolidated over
the master and its sub-accounts.

Change in NAV: starting and ending value are the ledger's valuation (NLV) at the close of the
day before the period and of its last day. Deposits and withdrawals, dividends, interest,
commissions, fees and realized P&L are summed from the period's journal entries; mark-to-market
is the price effect, i.e. what remains of the change after those (IBKR's "Mark-to-Market" line
is defined the same way), so the section always reconciles.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from branding.statements.data_reads import (
    BENCHMARK_SYMBOL,
    LedgerReads,
    account_scopes,
    holder_names,
    ledger_reads,
)
from branding.statements.layout import (
    AccountInfo,
    CashBalance,
    CashTransaction,
    NavChange,
    NavPoint,
    Performance,
    Position,
    Statement,
    Trade,
)
from ledger import selectors as ledger_selectors
from ledger.domain.fx import fx_factor
from ledger.domain.lots import lots_cost, pair_events_replay
from ledger.domain.performance import DayPoint, benchmark_return, history_points, mwr, twr
from ledger.domain.valuation import Valuation
from ledger.models import Account

ZERO = Decimal(0)
CASH_KINDS = {
    "deposit": "deposit",
    "withdrawal": "withdrawal",
    "dividend": "dividend",
    "withholding_tax": "withholding",
    "interest": "interest",
    "fee": "fee",
}


def _holder_name(account: Account) -> str:
    """The client's name (a client user granted the account, in this tenant's schema), else the
    account's title."""
    return holder_names([account])[account.pk]


@dataclass(frozen=True)
class Gathered:
    """Statements by account id, and the accounts whose statement could not be gathered."""

    statements: dict[int, Statement]
    failures: dict[int, Exception]


def statement_gather(
    *, tenant=None, account: Account, period_kind: str, period_start: dt.date, period_end: dt.date
) -> Statement:
    """Everything the statement of `account` over the period shows (`tenant` defaults to the
    account's tenant)."""
    gathered = statements_gather(
        tenant=tenant or account.tenant,
        account_ids=[account.pk],
        period_kind=period_kind,
        period_start=period_start,
        period_end=period_end,
    )
    if account.pk in gathered.failures:
        raise gathered.failures[account.pk]
    return gathered.statements[account.pk]


def statements_gather(
    *, tenant, account_ids, period_kind: str, period_start: dt.date, period_end: dt.date
) -> Gathered:
    """The statements of the tenant's accounts `account_ids` over one period, gathered
    set-based: each ledger read is made once for the batch (a master's statement covers its
    subs too). An account of another tenant, or one whose figures cannot be computed (an
    FX rate missing, a master over several base currencies), is reported in `failures`;
    the others are not held back by it."""
    wanted = list(dict.fromkeys(account_ids))
    accounts = {a.pk: a for a in ledger_selectors.accounts_for(tenant=tenant, account_ids=wanted)}
    failures: dict[int, Exception] = {
        pk: Account.DoesNotExist("Not an account of this tenant.")
        for pk in wanted
        if pk not in accounts
    }
    scopes = account_scopes(tenant, [accounts[pk] for pk in wanted if pk in accounts])
    if not scopes:
        return Gathered({}, failures)
    batch = ledger_reads(tenant, scopes, period_start, period_end)
    statements = {}
    for pk, scope in scopes.items():
        try:
            statements[pk] = _statement_build(batch, scope, period_kind)
        except (LookupError, ValueError, ArithmeticError) as exc:
            failures[pk] = exc
    return Gathered(statements, failures)


def _valuation(batch: LedgerReads, scope: list[Account], *, before: bool) -> Valuation:
    """The ledger's valuation of the statement's account (`account_valuation`): a master's
    is the consolidation of the master and its subs in the master's base currency."""
    account = scope[0]
    valuation = batch.before if before else batch.after
    if account.account_type != Account.Type.MASTER:
        return valuation.by_account[account.pk]
    return valuation.consolidated([a.pk for a in scope], base_currency=account.base_currency)


def _statement_build(batch: LedgerReads, scope: list[Account], period_kind: str) -> Statement:
    account = scope[0]
    ids = [a.pk for a in scope]
    base = account.base_currency
    rates = batch.rates
    start_value = _valuation(batch, scope, before=True)
    end_value = _valuation(batch, scope, before=False)

    def to_base(amount: Decimal, currency: str) -> Decimal:
        return (
            amount if currency == base else amount * fx_factor(rates, currency=currency, base=base)
        )

    activity = [row for pk in ids for row in batch.activity.get(pk, ())]
    realized_by_entry: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    realized = ZERO
    for pk in ids:
        for gain in batch.realized.get(pk, ()):
            realized_by_entry[(gain.closed_by_id, gain.account_id)] += gain.pnl
            realized += to_base(gain.pnl, gain.instrument.currency)
    instruments = batch.instruments

    trades: list[Trade] = []
    transactions: list[CashTransaction] = []
    flows = defaultdict(lambda: defaultdict(lambda: ZERO))  # currency -> component -> amount
    for row in sorted(activity, key=lambda a: (a.trade_date, a.entry_id, a.account_id)):
        if row.kind == "trade" and row.symbol:
            instrument = instruments[row.symbol]
            trades.append(
                Trade(
                    trade_id=row.execution_id or str(row.entry_id),
                    trade_date=row.trade_date,
                    settle_date=row.settle_date,
                    symbol=row.symbol,
                    description=instrument.description,
                    asset_class=_flex_asset_class(instrument.asset_class),
                    side="BUY" if row.quantity > 0 else "SELL",
                    quantity=row.quantity,
                    price=row.price or ZERO,
                    proceeds=row.amount,
                    commission=-row.commission,
                    currency=row.currency,
                    realized_pnl=realized_by_entry.get((row.entry_id, row.account_id), ZERO),
                    multiplier=instrument.multiplier,
                )
            )
            flows[row.currency]["trades"] += row.amount
            flows[row.currency]["commissions"] -= row.commission
        elif row.kind in CASH_KINDS:
            kind = CASH_KINDS[row.kind]
            amount = row.amount - row.commission
            transactions.append(
                CashTransaction(
                    transaction_id=str(row.entry_id),
                    date=row.trade_date,
                    kind=kind,
                    description=row.memo or kind.capitalize(),
                    currency=row.currency,
                    amount=amount,
                )
            )
            component = {
                "deposit": "deposits",
                "withdrawal": "deposits",
                "dividend": "dividends",
                "withholding": "fees",
            }.get(kind, kind + "s" if kind == "fee" else kind)
            flows[row.currency][component] += amount

    def total(component: str) -> Decimal:
        return sum((to_base(v[component], ccy) for ccy, v in flows.items()), ZERO)

    components = {
        "deposits_withdrawals": total("deposits"),
        "dividends": total("dividends"),
        "interest": total("interest"),
        "commissions": total("commissions"),
        "fees": total("fees"),
        "realized": realized,
    }
    mark_to_market = end_value.nlv - start_value.nlv - sum(components.values(), ZERO)
    nav_change = NavChange(
        starting_value=start_value.nlv,
        ending_value=end_value.nlv,
        mark_to_market=mark_to_market,
        **components,
    )

    cash = _cash_report(batch, ids, flows, to_base)
    positions = _positions(batch, scope)
    performance, history = _performance(batch, scope)
    master = account.parent.number if account.parent_id else ""
    return Statement(
        account=AccountInfo(
            number=account.number,
            title=account.title,
            holder_name=batch.holders[account.pk],
            account_type=account.get_account_type_display(),
            base_currency=base,
            master_number=master,
            sub_accounts=tuple(a.number for a in scope[1:]),
            opened_on=timezone.localdate(account.opened_at) if account.opened_at else None,
        ),
        period_start=batch.start,
        period_end=batch.end,
        period_kind=period_kind,
        generated_at=timezone.now(),
        nav_change=nav_change,
        cash=cash,
        positions=positions,
        trades=trades,
        cash_transactions=tuple(transactions),
        performance=performance,
        nav_history=history,
    )


def _performance(
    batch: LedgerReads, scope: list[Account]
) -> tuple[Performance, tuple[NavPoint, ...]]:
    """TWR and MWR for the period from the ledger's NAV history (from the last close on or
    before the day before the period; from a NAV of 0 for accounts opened inside it), as
    `ledger.selectors.performance_for` computes them, and the daily NAV summed over the
    statement's accounts for the chart."""
    if len({a.base_currency for a in scope}) > 1:
        raise ValueError("Performance over accounts of different base currencies is not summed.")
    navs: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    flows: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for a in scope:
        for day, nav, flow in batch.nav_rows.get(a.pk, ()):
            navs[day] += nav
            flows[day] += flow
    points = [DayPoint(day, navs[day], flows[day]) for day in sorted(navs)]
    history = tuple(NavPoint(p.date, p.nav) for p in points if p.date >= batch.start)
    opening_known = bool(points) and points[0].date <= batch.day_before
    points = history_points(points, opening_known=opening_known)
    time_weighted = money_weighted = None
    if len(points) >= 2:
        time_weighted, money_weighted = twr(points), mwr(points)
    benchmark = benchmark_return(batch.benchmark) if len(batch.benchmark) >= 2 else None
    return (
        Performance(
            twr=time_weighted.cumulative if time_weighted else None,
            mwr=money_weighted.period_return if money_weighted else None,
            mwr_not_meaningful=money_weighted is not None and not money_weighted.meaningful,
            benchmark_name=BENCHMARK_SYMBOL if benchmark else "",
            benchmark_return=benchmark.cumulative if benchmark else None,
        ),
        history,
    )


def _flex_asset_class(asset_class: str) -> str:
    # Flex has no ETF class: ETFs are stocks there.
    return "STK" if asset_class == "ETF" else asset_class


def _cash_report(batch: LedgerReads, ids: list[int], flows, to_base) -> tuple[CashBalance, ...]:
    start = defaultdict(list)
    end = defaultdict(list)
    for pk in ids:
        for row in batch.cash_before.get(pk, ()):
            start[row.currency].append(row)
        for row in batch.cash_after.get(pk, ()):
            end[row.currency].append(row)
    out = []
    for currency in sorted(set(start) | set(end) | set(flows)):
        f = flows.get(currency, {})
        ending = sum((r.balance for r in end.get(currency, ())), ZERO)
        starting = sum((r.balance for r in start.get(currency, ())), ZERO)
        if not (ending or starting or any(f.values())):
            continue
        out.append(
            CashBalance(
                currency=currency,
                starting=starting,
                ending=ending,
                ending_settled=sum((r.settled for r in end.get(currency, ())), ZERO),
                deposits_withdrawals=f.get("deposits", ZERO),
                trades_net=f.get("trades", ZERO),
                dividends=f.get("dividends", ZERO),
                interest=f.get("interest", ZERO),
                commissions=f.get("commissions", ZERO),
                fees=f.get("fees", ZERO),
                ending_base=to_base(ending, currency),
            )
        )
    return tuple(out)


def _positions(batch: LedgerReads, scope: list[Account]) -> tuple[Position, ...]:
    """Open positions at the close of the period, valued by the ledger (`market_value` in the
    base currency), summed per instrument over a master's accounts."""
    held = defaultdict(lambda: [ZERO, ZERO, ZERO])  # symbol -> quantity, value, price
    for account in scope:
        for p in batch.after.by_account[account.pk].positions:
            row = held[p.symbol]
            row[0] += p.quantity
            row[1] += p.market_value
            row[2] = p.price
    instruments = {symbol: batch.instruments[symbol] for symbol in held}
    costs = _costs_as_of(batch, scope, instruments)
    out = []
    for symbol in sorted(held):
        quantity, value, price = held[symbol]
        if not quantity:
            continue
        instrument = instruments[symbol]
        native = quantity * price * instrument.multiplier
        fx = value / native if native else Decimal(1)
        cost = costs.get(symbol, ZERO) * instrument.multiplier * fx
        out.append(
            Position(
                symbol=symbol,
                description=instrument.description,
                asset_class=_flex_asset_class(instrument.asset_class),
                currency=instrument.currency,
                quantity=quantity,
                mark_price=price,
                market_value=value,
                cost_basis=cost,
                unrealized_pnl=value - cost,
                multiplier=instrument.multiplier,
            )
        )
    return tuple(out)


def _costs_as_of(batch: LedgerReads, scope: list[Account], instruments) -> dict[str, Decimal]:
    """Open-lot cost per symbol at the close of the period (instrument currency, before the
    multiplier): the FIFO replay of the journal up to that day with the ledger's own lot
    functions."""
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for account in scope:
        for symbol, instrument in instruments.items():
            events = [
                e
                for e in batch.pair_events.get((account.pk, instrument.pk), ())
                if e.on <= batch.end
            ]
            if events:
                lots, _ = pair_events_replay(events, multiplier=instrument.multiplier)
                out[symbol] += lots_cost(lots)
    return out
