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
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class CashInput:
    currency: str
    balance: Decimal  # trade-date
    settled: Decimal
    withdrawable: Decimal  # settled less pending debits
    fx: Decimal = Decimal(1)


@dataclass(frozen=True)
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
) -> Valuation:
    values = [position_value(p) for p in positions]
    cash = list(cash)
    total_cash = sum((c.balance * c.fx for c in cash), ZERO)
    settled = sum((c.settled * c.fx for c in cash), ZERO)
    withdrawable = sum((c.withdrawable * c.fx for c in cash), ZERO)
    long_value = sum((v.market_value for v in values if v.market_value > 0), ZERO)
    short_value = sum((v.market_value for v in values if v.market_value < 0), ZERO)
    nlv = total_cash + long_value + short_value
    if margin_type == "reg_t":
        initial = maintenance = ZERO
        for v in values:
            rate_init, rate_long, rate_short = MARGIN_RATES.get(v.asset_class, NO_LOAN_VALUE)
            initial += abs(v.market_value) * rate_init
            maintenance += abs(v.market_value) * (rate_long if v.quantity > 0 else rate_short)
        buying_power = max(ZERO, (nlv - initial) / REG_T_INITIAL)
    else:
        initial = maintenance = sum((abs(v.market_value) for v in values), ZERO)
        buying_power = max(ZERO, withdrawable)
    return _rounded(
        Valuation(
            base_currency=base_currency,
            cash=total_cash,
            settled_cash=settled,
            long_value=long_value,
            short_value=short_value,
            nlv=nlv,
            initial_margin=initial,
            maintenance_margin=maintenance,
            excess_liquidity=nlv - maintenance,
            buying_power=buying_power,
            unrealized_pnl=sum((v.unrealized_pnl for v in values), ZERO),
            realized_pnl=realized_pnl,
            daily_pnl=sum((v.daily_pnl for v in values), ZERO),
            positions=tuple(values),
        )
    )


def consolidate(*, base_currency: str, parts: Iterable[tuple[Valuation, Decimal]]) -> Valuation:
    """Sum of valuations, each converted with its fx (base units per unit of its base)."""
    totals = dict.fromkeys(MONEY_FIELDS, ZERO)
    for valuation, fx in parts:
        for name in MONEY_FIELDS:
            totals[name] += getattr(valuation, name) * fx
    return _rounded(Valuation(base_currency=base_currency, **totals))


def _rounded(valuation: Valuation) -> Valuation:
    """Money to 8 decimal places (the scale of the ledger's amounts)."""
    return replace(
        valuation, **{name: getattr(valuation, name).quantize(Q8) for name in MONEY_FIELDS}
    )
