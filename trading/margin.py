"""Intraday margin: the standard of FINRA's amendments to Rule 4210 that replace the
pattern-day-trader regime (approved by the SEC on 2026-04-15, effective 2026-06-04, phase-in
until 2027-10-20). Margin excess is checked at the time of each opening transaction, and a
transaction that would create or increase an intraday margin deficit is blocked.

Figures, in the account's base currency:
- equity = the account's net liquidation value (`ledger.domain.valuation`);
- positions requirement = its maintenance margin: 25 % of long and 30 % of short stock value
  (FINRA Rule 4210(c)), 100 % where a security has no loan value (options, funds, crypto);
- open orders requirement = the same rates on the unfilled part of the account's open opening
  orders (buy, sell short) at their estimated prices: what they would add once filled;
- this order's requirement, at the same rates;
- intraday margin excess = equity − (positions + open orders [+ this order]) requirement;
  its negative is the intraday margin deficit.

An opening order is blocked when the deficit after it would be larger than before it (it would
create one, or increase one). Closing orders reduce the requirement and are never blocked here.
Under the legacy regime (`MarginSettings.regime`) the same figure is the day-trading buying
power of FINRA Rule 4210(f)(8)(B)(iv)(c) — four times the maintenance margin excess of stock —
so the check applies in both regimes. The excess liquidity of the ledger (equity less
maintenance on positions alone) is what the margin monitor calls on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from ledger.domain.fx import fx_factor
from ledger.domain.valuation import MARGIN_RATES, NO_LOAN_VALUE, Valuation
from ledger.models import Account, Instrument
from ledger.selectors import instrument_get, usd_rates_as_of, valuations_for_accounts

from .checks import pre_trade_check
from .intent import CheckResult, OrderIntent, Side

ZERO = Decimal(0)
CENT = Decimal("0.01")


def maintenance_rate(asset_class: str, *, short: bool) -> Decimal:
    """FINRA Rule 4210(c) maintenance rate of a position (`ledger.domain.valuation`'s rates)."""
    _, rate_long, rate_short = MARGIN_RATES.get(asset_class, NO_LOAN_VALUE)
    return rate_short if short else rate_long


@dataclass(frozen=True, slots=True)
class Exposure:
    """An order's effect on the requirement once filled: its value in the base currency."""

    asset_class: str
    short: bool
    value: Decimal  # |quantity × price × multiplier × fx|

    @property
    def requirement(self) -> Decimal:
        return self.value * maintenance_rate(self.asset_class, short=self.short)


@dataclass(frozen=True)
class IntradayFigures:
    """The intraday margin of an account before and after one order (pure arithmetic)."""

    currency: str
    equity: Decimal
    positions_requirement: Decimal
    open_orders_requirement: Decimal
    order_requirement: Decimal = ZERO

    @property
    def requirement_before(self) -> Decimal:
        return self.positions_requirement + self.open_orders_requirement

    @property
    def requirement_after(self) -> Decimal:
        return self.requirement_before + self.order_requirement

    @property
    def excess_before(self) -> Decimal:
        return self.equity - self.requirement_before

    @property
    def excess_after(self) -> Decimal:
        return self.equity - self.requirement_after

    @property
    def deficit_before(self) -> Decimal:
        return max(ZERO, -self.excess_before)

    @property
    def deficit_after(self) -> Decimal:
        return max(ZERO, -self.excess_after)

    @property
    def blocks(self) -> bool:
        """The order would create or increase an intraday margin deficit."""
        return self.deficit_after > self.deficit_before

    def as_figures(self) -> dict[str, Decimal | str]:
        def money(value: Decimal) -> Decimal:
            return value.quantize(CENT)

        return {
            "currency": self.currency,
            "equity": money(self.equity),
            "positions_requirement": money(self.positions_requirement),
            "open_orders_requirement": money(self.open_orders_requirement),
            "order_requirement": money(self.order_requirement),
            "requirement_after": money(self.requirement_after),
            "excess_before": money(self.excess_before),
            "excess_after": money(self.excess_after),
            "deficit_before": money(self.deficit_before),
            "deficit_after": money(self.deficit_after),
        }


def intraday_figures(
    *, valuation: Valuation, open_orders: Iterable[Exposure], order: Exposure | None = None
) -> IntradayFigures:
    return IntradayFigures(
        currency=valuation.base_currency,
        equity=valuation.nlv,
        positions_requirement=valuation.maintenance_margin,
        open_orders_requirement=sum((e.requirement for e in open_orders), ZERO),
        order_requirement=order.requirement if order is not None else ZERO,
    )


def _fx(rates, currency: str, base: str) -> Decimal:
    return fx_factor(rates, currency=currency, base=base)


def open_order_exposures(
    *, accounts: list[Account], exclude_order_id: int | None = None
) -> dict[int, list[Exposure]]:
    """account id → the unfilled part of its open opening orders, valued at their estimated
    price (limit, else stop, else last close when the order was checked): one query for the
    orders, one for the FX rates when one is in another currency than its account."""
    try:
        from trading.models import Order
        from trading.states import OPEN
    except ImportError:  # the order book is not installed yet
        return {}
    by_id = {a.pk: a for a in accounts}
    orders = (
        Order.objects.filter(
            account_id__in=list(by_id), status__in=list(OPEN), side__in=list(Side.OPENING)
        )
        .exclude(pk=exclude_order_id)
        .select_related("instrument")
        .only(
            "account_id",
            "side",
            "quantity",
            "filled_quantity",
            "estimated_price",
            "limit_price",
            "stop_price",
            "instrument__asset_class",
            "instrument__currency",
            "instrument__multiplier",
        )
    )
    out: dict[int, list[Exposure]] = {}
    rates = None
    for order in orders:
        account = by_id[order.account_id]
        instrument = order.instrument
        row = (
            order.side,
            order.quantity,
            order.filled_quantity,
            order.estimated_price,
            order.limit_price,
            order.stop_price,
            instrument.asset_class,
            instrument.currency,
            instrument.multiplier,
        )
        if rates is None and instrument.currency != account.base_currency:
            rates = usd_rates_as_of(as_of=timezone.localdate())
        table = rates
        out.setdefault(account.pk, []).extend(
            exposures_from([row], account=account, rates=lambda table=table: table)
        )
    return out


def exposures_from(rows, *, account: Account, rates) -> list[Exposure]:
    """The exposures of open orders given as rows of (side, quantity, filled quantity,
    estimated, limit and stop price, asset class, currency, multiplier): the unfilled part at
    the estimated price (limit, else stop, else last close when the order was checked), in the
    account's base currency (`rates()` gives the USD rates, asked for only when needed)."""
    out = []
    table = None
    for side, quantity, filled, estimated, limit, stop, asset_class, currency, multiplier in rows:
        price = estimated or limit or stop or ZERO
        remaining = quantity - filled
        if remaining <= 0 or price <= 0:
            continue
        fx = Decimal(1)
        if currency != account.base_currency:
            table = table if table is not None else rates()
            fx = _fx(table, currency, account.base_currency)
        value = abs(remaining * price * multiplier * fx)
        out.append(Exposure(asset_class, side == Side.SELL_SHORT, value))
    return out


def intent_exposure(
    *, intent: OrderIntent, account: Account, instrument: Instrument, rates=None
) -> Exposure:
    fx = Decimal(1)
    if instrument.currency != account.base_currency:
        rates = rates if rates is not None else usd_rates_as_of(as_of=timezone.localdate())
        fx = _fx(rates, instrument.currency, account.base_currency)
    value = abs(intent.quantity * intent.estimated_price * instrument.multiplier * fx)
    return Exposure(instrument.asset_class, intent.side == Side.SELL_SHORT, value)


def intraday_margin_for(
    *,
    tenant,
    account: Account,
    intent: OrderIntent | None = None,
    valuation: Valuation | None = None,
    instrument: Instrument | None = None,
    exposures: list[Exposure] | None = None,
    rates=None,
) -> IntradayFigures:
    """The account's intraday margin now (positions and open orders) and, with `intent`, after
    it. The account was reached through `ledger.access` or the tenant's selectors; a valuation,
    instrument, open orders' exposures and USD rates already read (the pre-trade checks'
    facts) are used as given."""
    if valuation is None:
        valuation = valuations_for_accounts(
            tenant=tenant, account_ids=[account], with_positions=False
        )[account.pk]
    if exposures is None:
        exposures = open_order_exposures(
            accounts=[account], exclude_order_id=intent.replaces_order_id if intent else None
        ).get(account.pk, [])
    order = None
    if intent is not None and intent.opening:
        instrument = instrument or instrument_get(tenant=tenant, instrument_id=intent.instrument_id)
        order = intent_exposure(intent=intent, account=account, instrument=instrument, rates=rates)
    return intraday_figures(valuation=valuation, open_orders=exposures, order=order)


def _amount(value: Decimal, currency: str) -> str:
    return f"{value.quantize(CENT):,} {currency}"


def intraday_block_reason(figures: IntradayFigures) -> str:
    c = figures.currency
    what = "increase the account's" if figures.deficit_before > 0 else "create an"
    return (
        f"This opening order would {what} intraday margin deficit "
        f"(to {_amount(figures.deficit_after, c)}): equity {_amount(figures.equity, c)}, "
        f"requirement after the order {_amount(figures.requirement_after, c)} (positions "
        f"{_amount(figures.positions_requirement, c)}, open orders "
        f"{_amount(figures.open_orders_requirement, c)}, this order "
        f"{_amount(figures.order_requirement, c)}). FINRA Rule 4210 blocks an opening "
        "transaction that creates or increases an intraday margin deficit; close positions or "
        "deposit funds first."
    )


@pre_trade_check
def intraday_margin_check(intent: OrderIntent) -> list[CheckResult]:
    """Opening orders of Reg T margin accounts: blocked when they would create or increase an
    intraday margin deficit; warned when they leave less excess than the firm's threshold."""
    if not intent.opening:
        return []
    from .facts import facts

    f = facts(intent)
    account = f.account
    if account is None or f.instrument is None or account.margin_type != Account.MarginType.REG_T:
        return []
    try:
        figures = intraday_margin_for(
            tenant=f.tenant,
            account=account,
            intent=intent,
            valuation=f.valuation,
            instrument=f.instrument,
            exposures=f.book.open_exposures,
            rates=f.ledger.rates,
        )
    except LookupError as missing:
        return [
            CheckResult(
                "intraday_margin_unknown",
                CheckResult.BLOCK,
                f"The account's margin cannot be computed ({missing}); the order waits for "
                "the missing price or FX rate.",
            )
        ]
    if figures.blocks:
        return [
            CheckResult(
                "intraday_margin_deficit",
                CheckResult.BLOCK,
                intraday_block_reason(figures),
                figures.as_figures(),
            )
        ]
    threshold = figures.equity * f.margin_settings.warn_excess_pct / 100
    if figures.excess_after < threshold:
        c = figures.currency
        return [
            CheckResult(
                "intraday_margin_low",
                CheckResult.WARN,
                f"After this order the account's intraday margin excess would be "
                f"{_amount(figures.excess_after, c)} of equity {_amount(figures.equity, c)}: a "
                "price move against the positions could create a margin deficit and a margin "
                "call.",
                figures.as_figures(),
            )
        ]
    return [
        CheckResult(
            "intraday_margin",
            CheckResult.INFO,
            f"Intraday margin excess after this order: "
            f"{_amount(figures.excess_after, figures.currency)}.",
            figures.as_figures(),
        )
    ]


@pre_trade_check
def margin_restriction_check(intent: OrderIntent) -> list[CheckResult]:
    """While a margin call is open, or a legacy pattern-day-trader restriction is in force,
    the account may only close positions."""
    if not intent.opening:
        return []
    from .facts import facts

    f = facts(intent)
    account = f.account
    # Both restrict the account (unless staff had restricted it already): an open account has
    # neither, and costs no query here.
    if account is None or account.status != Account.Status.RESTRICTED:
        return []
    call = f.book.margin_call
    restriction = f.book.day_trade_restriction
    out = []
    if call is not None:
        out.append(
            CheckResult(
                "margin_call_open",
                CheckResult.BLOCK,
                f"The account has a margin call of {_amount(call.current_amount, call.currency)}"
                f" due {timezone.localtime(call.deadline):%Y-%m-%d %H:%M}; until it is met only "
                "closing orders are accepted.",
                {"amount": call.current_amount, "currency": call.currency},
            )
        )
    if restriction is not None:
        out.append(
            CheckResult(
                "day_trade_restricted",
                CheckResult.BLOCK,
                f"The account is restricted to closing orders until {restriction.until} "
                f"({restriction.day_trades} day trades in five business days with equity under "
                "USD 25,000; legacy pattern-day-trader rules, FINRA Rule 4210(f)(8)(B), kept "
                "until 2027-10-20).",
                {"day_trades": Decimal(restriction.day_trades), "until": str(restriction.until)},
            )
        )
    return out
