"""Account valuation: pure functions, no Django import. All results are in the account's base
currency; `fx` is base units per unit of the position's or cash's currency.

Formulas
- market value = quantity × price × multiplier × fx; NLV = cash + Σ market value.
- unrealized P&L = market value − cost (open lots' quantity × price × multiplier × fx).
- daily P&L = Σ quantity × multiplier × (price × fx − prior close × prior fx) over held positions.
- Cash accounts: positions are fully paid, so initial = maintenance margin = Σ |market value|;
  buying power = settled cash less pending debits ("withdrawable"), never below zero.
- Reg T margin accounts: initial margin 50 % of |market value| of stock (12 CFR 220.12(a),(c));
  maintenance 25 % of long and 30 % of short stock value (FINRA Rule 4210(c)(1), (c)(2)(C));
  options, funds and crypto have no loan value (100 %); futures use a flat 10 % / 8 % of notional
  in place of exchange SPAN margin. Excess liquidity = NLV − maintenance margin; buying power
  = (NLV − initial margin) / 50 %, i.e. twice the excess equity (overnight Reg T).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)
Q8 = Decimal("0.00000001")
REG_T_INITIAL = Decimal("0.50")
MARGIN_RATES: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    # asset class: (initial, maintenance long, maintenance short)
    "STK": (REG_T_INITIAL, Decimal("0.25"), Decimal("0.30")),
    "ETF": (REG_T_INITIAL, Decimal("0.25"), Decimal("0.30")),
    "BOND": (Decimal("0.10"), Decimal("0.10"), Decimal("0.10")),
    "FUT": (Decimal("0.10"), Decimal("0.08"), Decimal("0.08")),
    "CASH": (ZERO, ZERO, ZERO),
}
NO_LOAN_VALUE = (Decimal(1), Decimal(1), Decimal(1))


@dataclass(slots=True)
class PositionInput:
    symbol: str
    asset_class: str
    quantity: Decimal
    price: Decimal
    multiplier: Decimal = Decimal(1)
    fx: Decimal = Decimal(1)
    cost: Decimal = ZERO  # Σ open lot quantity × price, instrument currency, before multiplier
    prior_price: Decimal | None = None
    prior_fx: Decimal | None = None


@dataclass(slots=True)
class CashInput:
    currency: str
    balance: Decimal  # trade-date
    settled: Decimal
    withdrawable: Decimal  # settled less pending debits
    fx: Decimal = Decimal(1)


@dataclass(slots=True)
class PositionValue:
    symbol: str
    asset_class: str
    quantity: Decimal
    price: Decimal
    market_value: Decimal
    cost: Decimal
    unrealized_pnl: Decimal
    daily_pnl: Decimal


@dataclass(frozen=True)
class Valuation:
    base_currency: str
    cash: Decimal = ZERO
    settled_cash: Decimal = ZERO
    long_value: Decimal = ZERO
    short_value: Decimal = ZERO
    nlv: Decimal = ZERO
    initial_margin: Decimal = ZERO
    maintenance_margin: Decimal = ZERO
    excess_liquidity: Decimal = ZERO
    buying_power: Decimal = ZERO
    unrealized_pnl: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    daily_pnl: Decimal = ZERO
    positions: tuple[PositionValue, ...] = field(default=(), compare=False)

    @property
    def positions_value(self) -> Decimal:
        return self.long_value + self.short_value


MONEY_FIELDS = tuple(
    f.name for f in fields(Valuation) if f.name not in ("base_currency", "positions")
)


def position_value(p: PositionInput) -> PositionValue:
    if p.multiplier == 1 and p.fx == 1 and p.prior_fx in (None, 1):
        # The common case (multiplier 1, in the base currency): the same figures without the
        # multiplications by one.
        market = p.quantity * p.price
        prior_price = p.price if p.prior_price is None else p.prior_price
        return PositionValue(
            p.symbol,
            p.asset_class,
            p.quantity,
            p.price,
            market,
            p.cost,
            market - p.cost,
            p.quantity * (p.price - prior_price),
        )
    market = p.quantity * p.price * p.multiplier * p.fx
    cost = p.cost * p.multiplier * p.fx
    prior_price = p.price if p.prior_price is None else p.prior_price
    prior_fx = p.fx if p.prior_fx is None else p.prior_fx
    daily = p.quantity * p.multiplier * (p.price * p.fx - prior_price * prior_fx)
    return PositionValue(
        p.symbol, p.asset_class, p.quantity, p.price, market, cost, market - cost, daily
    )


def account_value(
    *,
    base_currency: str,
    margin_type: str,
    positions: Iterable[PositionInput],
    cash: Iterable[CashInput],
    realized_pnl: Decimal = ZERO,
    with_positions: bool = True,
) -> Valuation:
    """`with_positions=False` leaves out the per-position detail (for consolidations)."""
    values = [position_value(p) for p in positions]
    total_cash = settled = withdrawable = ZERO
    for c in cash:
        total_cash += c.balance * c.fx
        settled += c.settled * c.fx
        withdrawable += c.withdrawable * c.fx
    long_value = short_value = unrealized = daily = gross = initial = maintenance = ZERO
    reg_t = margin_type == "reg_t"
    for v in values:
        market = v.market_value
        if market > 0:
            long_value += market
        else:
            short_value += market
        unrealized += v.unrealized_pnl
        daily += v.daily_pnl
        size = abs(market)
        gross += size
        if reg_t:
            rate_init, rate_long, rate_short = MARGIN_RATES.get(v.asset_class, NO_LOAN_VALUE)
            initial += size * rate_init
            maintenance += size * (rate_long if v.quantity > 0 else rate_short)
    nlv = total_cash + long_value + short_value
    if reg_t:
        buying_power = max(ZERO, (nlv - initial) / REG_T_INITIAL)
    else:
        initial = maintenance = gross
        buying_power = max(ZERO, withdrawable)
    return Valuation(
        base_currency,
        total_cash.quantize(Q8),
        settled.quantize(Q8),
        long_value.quantize(Q8),
        short_value.quantize(Q8),
        nlv.quantize(Q8),
        initial.quantize(Q8),
        maintenance.quantize(Q8),
        (nlv - maintenance).quantize(Q8),
        buying_power.quantize(Q8),
        unrealized.quantize(Q8),
        realized_pnl.quantize(Q8),
        daily.quantize(Q8),
        tuple(values) if with_positions else (),
    )


def consolidate(*, base_currency: str, parts: Iterable[tuple[Valuation, Decimal]]) -> Valuation:
    """Sum of valuations, each converted with its fx (base units per unit of its base)."""
    totals: dict[str, Any] = dict.fromkeys(MONEY_FIELDS, ZERO)
    for valuation, fx in parts:
        for name in MONEY_FIELDS:
            totals[name] += getattr(valuation, name) * fx
    return _rounded(Valuation(base_currency=base_currency, **totals))


def _rounded(valuation: Valuation) -> Valuation:
    """Money to 8 decimal places (the scale of the ledger's amounts)."""
    rounded: dict[str, Any] = {name: getattr(valuation, name).quantize(Q8) for name in MONEY_FIELDS}
    return Valuation(valuation.base_currency, positions=valuation.positions, **rounded)
