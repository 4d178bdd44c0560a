"""What-if preview of an order before it is submitted (as IBKR's `whatif` and Alpaca's order
estimation): the estimated commission under the firm's schedule, the cost or proceeds, the
buying power and excess liquidity before and after, and the checks' blocks and warnings, each
warning to be confirmed. Nothing is stored; the submission keeps the preview shown with the
order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..checks import run_checks
from ..facts import facts
from ..intent import CheckResult, OrderIntent, Side
from .orders import Ticket, intent_for

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass
class Preview:
    intent: OrderIntent
    results: list[CheckResult]
    symbol: str
    currency: str
    base_currency: str
    quantity: Decimal
    price: Decimal
    value: Decimal  # in the instrument's currency
    commission: Decimal
    total: Decimal  # cost (buy) or proceeds (sell), in the base currency, commission included
    buying_power_before: Decimal | None
    buying_power_after: Decimal | None
    excess_liquidity_before: Decimal | None
    excess_liquidity_after: Decimal | None

    @property
    def blocks(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocks]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.severity == CheckResult.WARN]

    @property
    def is_buy(self) -> bool:
        return self.intent.side in (Side.BUY, Side.BUY_TO_COVER)

    def as_record(self) -> dict:
        """What the order keeps of the preview shown."""
        figures = {
            "quantity": self.quantity,
            "price": self.price,
            "value": self.value,
            "commission": self.commission,
            "total": self.total,
            "buying_power_before": self.buying_power_before,
            "buying_power_after": self.buying_power_after,
            "excess_liquidity_before": self.excess_liquidity_before,
            "excess_liquidity_after": self.excess_liquidity_after,
        }
        return {k: None if v is None else str(v) for k, v in figures.items()}


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


def order_preview(*, user, tenant, ticket: Ticket, replaces=None, lock: bool = False) -> Preview:
    """The what-if of `ticket` for `user`; refuses a malformed ticket (ValidationError).
    `lock`: the account row is locked for update as its facts are read (the submission)."""
    intent = intent_for(ticket=ticket, user=user, replaces=replaces, lock=lock)
    results = run_checks(intent)
    f = facts(intent)
    fx = f.fx_to_base if f.account is not None else None
    commission = f.commission
    value = f.value
    signed = (
        (value + commission)
        if intent.side in (Side.BUY, Side.BUY_TO_COVER)
        else -(value - commission)
    )
    total = _money(abs(signed) * fx) if fx is not None else None
    before = after = el_before = el_after = None
    valuation = f.valuation if f.account is not None else None
    if valuation is not None and fx is not None:
        reserved = f.reserved_by_open_orders * fx
        before = _money(valuation.buying_power - reserved)
        el_before = _money(valuation.excess_liquidity)
        if intent.side in (Side.BUY, Side.BUY_TO_COVER):
            after = _money(before - signed * fx)
            el_after = _money(valuation.excess_liquidity - commission * fx)
        else:
            # A sale's proceeds settle before they can be spent in a cash account
            # (Regulation T, 12 CFR 220.8: free-riding), so buying power does not rise now.
            after = before if f.account.margin_type == "cash" else _money(before - commission * fx)
            el_after = _money(valuation.excess_liquidity - commission * fx)
    return Preview(
        intent=intent,
        results=results,
        symbol=f.instrument.symbol,
        currency=f.instrument.currency,
        base_currency=f.account.base_currency if f.account else f.instrument.currency,
        quantity=intent.quantity,
        price=intent.estimated_price,
        value=_money(value),
        commission=commission,
        total=total or ZERO,
        buying_power_before=before,
        buying_power_after=after,
        excess_liquidity_before=el_before,
        excess_liquidity_after=el_after,
    )
