"""Legacy pattern-day-trader rules, kept as a tenant setting (`MarginSettings.regime`) only for
the phase-in of FINRA's Rule 4210 amendments, which ends on 2027-10-20 (approved by the SEC on
2026-04-15, effective 2026-06-04; after the phase-in the intraday margin standard of
`trading.margin` alone applies).

FINRA Rule 4210(f)(8)(B): a day trade is the purchasing and selling, or the selling and
purchasing, of the same security on the same day in a margin account; a pattern day trader
executes four or more day trades within five business days, provided they are more than six
percent of the account's trades in that period; a pattern day trader's equity must be at least
USD 25,000 on any day it day trades, and an account that is not is restricted (here: to
closing orders for 90 days, or until its equity is back at the minimum).

Counting (FINRA's day-trading FAQ): within a day and a security, the first execution sets the
direction; each later change to the other direction after one or more executions of the first
counts one day trade (buy, buy, sell = 1; buy, sell, buy, sell = 2; sell, buy = 1). Business
days are sessions of the NYSE calendar (`exchange-calendars` XNYS, through
`ledger.domain.settlement.sessions_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from ledger.domain.fx import fx_factor
from ledger.domain.settlement import sessions_of
from ledger.models import Account
from ledger.selectors import (
    Execution,
    executions_in_range_for,
    usd_rates_as_of,
)

from .checks import pre_trade_check
from .intent import CheckResult, OrderIntent, Side

CALENDAR = "XNYS"
WINDOW_DAYS = 5
PATTERN_DAY_TRADES = 4
PATTERN_SHARE = Decimal("0.06")
MINIMUM_EQUITY_USD = Decimal("25000")
RESTRICTION_DAYS = 90


def business_days_ending(on: date, count: int = WINDOW_DAYS) -> list[date]:
    """The `count` NYSE sessions ending on `on` (or before it, when it is not a session),
    oldest first."""
    sessions = sessions_of(CALENDAR)
    days: list[date] = []
    day = on
    while len(days) < count:
        if sessions.is_open(day):
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def business_days_after(on: date, count: int) -> date:
    """The `count`-th NYSE session after `on`."""
    sessions = sessions_of(CALENDAR)
    day, found = on, 0
    while found < count:
        day += timedelta(days=1)
        if sessions.is_open(day):
            found += 1
    return day


def _direction(quantity: Decimal) -> int:
    return 1 if quantity > 0 else -1


def day_trades_count(executions: Iterable[Execution]) -> int:
    """Day trades among `executions` (in booking order), by FINRA's counting."""
    count = 0
    state: dict[tuple[date, int], tuple[int, int]] = {}  # (day, security) → (first, last)
    for e in executions:
        key = (e.trade_date, e.instrument_id)
        d = _direction(e.quantity)
        if key not in state:
            state[key] = (d, d)
            continue
        first, last = state[key]
        if d != first and last == first:
            count += 1
        state[key] = (first, d)
    return count


def completes_day_trade(
    executions: Iterable[Execution], *, on: date, instrument_id: int, side: str
) -> bool:
    """Whether an execution of `side` in the security on `on` would count one more day trade."""
    d = 1 if side in (Side.BUY, Side.BUY_TO_COVER) else -1
    same = [e for e in executions if e.trade_date == on and e.instrument_id == instrument_id]
    if not same:
        return False
    first, last = _direction(same[0].quantity), _direction(same[-1].quantity)
    return d != first and last == first


@dataclass(frozen=True)
class DayTradeCount:
    day_trades: int
    trades: int
    window_start: date
    window_end: date
    executions: tuple[Execution, ...]

    @property
    def pattern(self) -> bool:
        """Four or more day trades, more than 6 % of the trades (FINRA Rule 4210(f)(8)(B)(ii))."""
        return self.day_trades >= PATTERN_DAY_TRADES and (
            Decimal(self.day_trades) > PATTERN_SHARE * self.trades
        )


def day_trades_for(*, tenant, account: Account, on: date | None = None) -> DayTradeCount:
    """The account's day trades in the five NYSE sessions ending on `on` (default today), from
    the ledger's executions: one query."""
    on = on or timezone.localdate()
    days = business_days_ending(on)
    executions = executions_in_range_for(
        tenant=tenant, account_id=account.pk, start=days[0], end=days[-1]
    )
    sessions = set(days)
    executions = [e for e in executions if e.trade_date in sessions]
    return DayTradeCount(
        day_trades=day_trades_count(executions),
        trades=len(executions),
        window_start=days[0],
        window_end=days[-1],
        executions=tuple(executions),
    )


def equity_usd(*, account: Account, nlv: Decimal, on: date) -> Decimal:
    if account.base_currency == "USD":
        return nlv
    rates = usd_rates_as_of(as_of=on)
    return nlv * fx_factor(rates, currency=account.base_currency, base="USD")


def legacy_pdt_applies(on: date) -> bool:
    from .margin_models import MarginSettings

    return MarginSettings.load().legacy_pdt_on(on)


@pre_trade_check
def pattern_day_trader_check(intent: OrderIntent) -> list[CheckResult]:
    """Under the legacy regime only: an order that would be the account's fourth (or later) day
    trade in five business days with equity under USD 25,000 is warned with the count; the
    margin monitor restricts the account once it is executed."""
    from .facts import facts

    f = facts(intent)
    account, tenant = f.account, f.tenant
    if account is None or account.margin_type != Account.MarginType.REG_T:
        return []
    today = timezone.localdate()
    if not f.margin_settings.legacy_pdt_on(today):
        return []
    count = day_trades_for(tenant=tenant, account=account, on=today)
    if not completes_day_trade(
        count.executions, on=today, instrument_id=intent.instrument_id, side=intent.side
    ):
        return []
    after = DayTradeCount(
        count.day_trades + 1, count.trades + 1, count.window_start, count.window_end, ()
    )
    if not after.pattern:
        return []
    equity = equity_usd(account=account, nlv=f.valuation.nlv, on=today)
    if equity >= MINIMUM_EQUITY_USD:
        return []
    return [
        CheckResult(
            "pattern_day_trader",
            CheckResult.WARN,
            f"This order would be day trade number {after.day_trades} in the five business "
            f"days {count.window_start} to {count.window_end}, with equity of "
            f"{equity.quantize(Decimal('0.01')):,} USD under the USD 25,000 minimum. Once it "
            f"executes the account is restricted to closing orders for {RESTRICTION_DAYS} days "
            "or until its equity reaches USD 25,000 (legacy pattern-day-trader rules, FINRA "
            "Rule 4210(f)(8)(B), kept by the firm during the phase-in until 2027-10-20).",
            {
                "day_trades": Decimal(count.day_trades),
                "day_trades_after": Decimal(after.day_trades),
                "window_start": str(count.window_start),
                "window_end": str(count.window_end),
                "equity_usd": equity.quantize(Decimal("0.01")),
                "minimum_equity_usd": MINIMUM_EQUITY_USD,
            },
        )
    ]
