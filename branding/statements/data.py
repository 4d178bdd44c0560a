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
from decimal import Decimal

from django.utils import timezone

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
from ledger.market import fx_factor, usd_rates_as_of
from ledger.models import Account, Instrument
from ledger.selectors_valuation import cash_as_of, valuations_for_accounts

ZERO = Decimal(0)
# The benchmark shown beside the account's returns when the ledger has its prices.
BENCHMARK_SYMBOL = "SPY"
CASH_KINDS = {
    "deposit": "deposit",
    "withdrawal": "withdrawal",
    "dividend": "dividend",
    "withholding_tax": "withholding",
    "interest": "interest",
    "fee": "fee",
}


def _scope(tenant, account: Account) -> list[Account]:
    accounts = ledger_selectors.accounts_for(tenant=tenant)
    if account.account_type == Account.Type.MASTER:
        return list(accounts.filter(pk=account.pk) | accounts.filter(parent_id=account.pk))
    return list(accounts.filter(pk=account.pk))


def _holder_name(account: Account) -> str:
    """The client's name (a client user granted the account, in this tenant's schema), else the
    account's title."""
    from guardian.shortcuts import get_users_with_perms

    from tenants.roles import CLIENT

    users = get_users_with_perms(account, only_with_perms_in=["view_account"])
    client = users.filter(groups__name=CLIENT, is_active=True).order_by("pk").first()
    return (client.get_full_name() if client else "") or account.title


def _performance(tenant, ids, start, end) -> tuple[Performance, tuple[NavPoint, ...]]:
    """TWR and MWR for the period from the ledger's NAV history (from the close before the
    period), and the daily NAV summed over the statement's accounts for the chart."""
    day_before = start - dt.timedelta(days=1)
    report = ledger_selectors.performance_for(
        tenant=tenant,
        account_ids=ids,
        start=day_before,
        end=end,
        benchmark_symbol=BENCHMARK_SYMBOL,
    )
    totals: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for row in ledger_selectors.nav_history_for(
        tenant=tenant, account_ids=ids, start=start, end=end
    ):
        totals[row.date] += row.nav
    return (
        Performance(
            twr=report.twr.cumulative if report.twr else None,
            mwr=report.mwr.period_return if report.mwr else None,
            benchmark_name=BENCHMARK_SYMBOL if report.benchmark else "",
            benchmark_return=report.benchmark.cumulative if report.benchmark else None,
        ),
        tuple(NavPoint(day, nav) for day, nav in sorted(totals.items())),
    )


def statement_gather(
    *, tenant=None, account: Account, period_kind: str, period_start: dt.date, period_end: dt.date
) -> Statement:
    """Everything the statement of `account` over the period shows (`tenant` defaults to the
    account's tenant)."""
    tenant = tenant or account.tenant
    accounts = _scope(tenant, account)
    ids = [a.pk for a in accounts]
    if account.pk not in ids:
        raise Account.DoesNotExist("Not an account of this tenant.")
    base = account.base_currency
    day_before = period_start - dt.timedelta(days=1)

    start_value = ledger_selectors.account_valuation(
        tenant=tenant, account=account, as_of=day_before
    )
    end_value = ledger_selectors.account_valuation(tenant=tenant, account=account, as_of=period_end)
    rates = usd_rates_as_of(as_of=period_end)

    def to_base(amount: Decimal, currency: str) -> Decimal:
        return (
            amount if currency == base else amount * fx_factor(rates, currency=currency, base=base)
        )

    activity = ledger_selectors.activity_for(
        tenant=tenant, account_ids=ids, start=period_start, end=period_end
    )
    realized_by_entry: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    realized = ZERO
    for gain in ledger_selectors.realized_for(
        tenant=tenant, account_ids=ids, start=period_start, end=period_end
    ):
        realized_by_entry[(gain.closed_by_id, gain.account_id)] += gain.pnl
        realized += to_base(gain.pnl, gain.instrument.currency)
    symbols = {a.symbol for a in activity if a.symbol}
    instruments = {i.symbol: i for i in Instrument.objects.filter(symbol__in=symbols)}

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

    cash = _cash_report(ids, day_before, period_end, flows)
    positions = _positions(accounts, period_end)
    performance, history = _performance(tenant, ids, period_start, period_end)
    master = account.parent.number if account.parent_id else ""
    return Statement(
        account=AccountInfo(
            number=account.number,
            title=account.title,
            holder_name=_holder_name(account),
            account_type=account.get_account_type_display(),
            base_currency=base,
            master_number=master,
            sub_accounts=tuple(a.number for a in accounts if a.pk != account.pk),
            opened_on=timezone.localdate(account.opened_at) if account.opened_at else None,
        ),
        period_start=period_start,
        period_end=period_end,
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


def _flex_asset_class(asset_class: str) -> str:
    # Flex has no ETF class: ETFs are stocks there.
    return "STK" if asset_class == "ETF" else asset_class


def _cash_report(ids, day_before, period_end, flows) -> tuple[CashBalance, ...]:
    start = defaultdict(list)
    for rows in cash_as_of(ids, day_before).values():
        for row in rows:
            start[row.currency].append(row)
    end = defaultdict(list)
    for rows in cash_as_of(ids, period_end).values():
        for row in rows:
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
            )
        )
    return tuple(out)


def _positions(accounts, period_end) -> tuple[Position, ...]:
    """Open positions at the close of the period, valued by the ledger (`market_value` in the
    base currency), summed per instrument over a master's accounts."""
    valuations = valuations_for_accounts(accounts, as_of=period_end)
    held = defaultdict(lambda: [ZERO, ZERO, ZERO])  # symbol -> quantity, value, price
    for valuation in valuations.values():
        for p in valuation.positions:
            row = held[p.symbol]
            row[0] += p.quantity
            row[1] += p.market_value
            row[2] = p.price
    instruments = {i.symbol: i for i in Instrument.objects.filter(symbol__in=list(held))}
    costs = _costs_as_of(accounts, instruments, period_end)
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


def _costs_as_of(accounts, instruments, as_of: dt.date) -> dict[str, Decimal]:
    """Open-lot cost per symbol at the close of `as_of` (instrument currency, before the
    multiplier): the current lots for a period ending today, else the FIFO replay of the
    journal up to that day with the ledger's own lot functions."""
    from ledger.lots import lots_cost
    from ledger.projections import pair_events_load, pair_events_replay

    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for account in accounts:
        for symbol, instrument in instruments.items():
            events = [e for e in pair_events_load(account.pk, instrument.pk) if e.on <= as_of]
            if events:
                lots, _ = pair_events_replay(events, multiplier=instrument.multiplier)
                out[symbol] += lots_cost(lots)
    return out
