"""The commission of an order under the firm's schedule, after IBKR's fixed pricing
(https://www.interactivebrokers.com/en/pricing/commissions-stocks.php): stocks a rate per
share with a minimum per order and a cap in percent of the trade value; options a rate per
contract with the same minimum. Pure arithmetic."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
OPTIONS = frozenset({"OPT", "FOP"})


def commission_estimate(
    *,
    asset_class: str,
    quantity: Decimal,
    value: Decimal,
    per_share: Decimal,
    per_contract: Decimal,
    minimum: Decimal,
    max_pct: Decimal,
) -> Decimal:
    """Commission in the instrument's currency for `quantity` units worth `value`."""
    quantity, value = abs(quantity), abs(value)
    if quantity == 0:
        return Decimal("0.00")
    if asset_class in OPTIONS:
        amount = max(minimum, quantity * per_contract)
    else:
        amount = max(minimum, quantity * per_share)
        cap = value * max_pct / 100
        if cap > 0:
            amount = min(amount, cap)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def commission_for(settings, *, asset_class: str, quantity: Decimal, value: Decimal) -> Decimal:
    return commission_estimate(
        asset_class=asset_class,
        quantity=quantity,
        value=value,
        per_share=settings.commission_per_share,
        per_contract=settings.commission_per_contract,
        minimum=settings.commission_minimum,
        max_pct=settings.commission_max_pct,
    )
