"""FX conversion through USD rates: pure, no Django import."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

ONE = Decimal(1)

# currency → (USD per unit on the day, the rate of the day before), as
# `ledger.selectors.market.usd_rates_as_of` reads them.
UsdRates = Mapping[str, tuple[Decimal, Decimal]]


def fx_factor(rates: UsdRates, *, currency: str, base: str, prior: bool = False) -> Decimal:
    """Base units per unit of `currency`."""
    if currency == base:
        return ONE
    index = 1 if prior else 0
    try:
        return rates[currency][index] / rates[base][index]
    except KeyError:
        raise LookupError(f"No FX rate for {currency}/{base}.") from None
