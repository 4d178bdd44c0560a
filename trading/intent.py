"""What a pre-trade check is asked about: an order as a person means it, before it exists.

The ticket, the API and an advisor's group order all build an `OrderIntent`; every check in
`trading.checks` takes one and answers with `CheckResult`s, so the preview, the submission and
the API show the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


class Side:
    BUY = "buy"
    SELL = "sell"
    SELL_SHORT = "sell_short"
    BUY_TO_COVER = "buy_to_cover"
    CHOICES = [
        (BUY, "Buy"),
        (SELL, "Sell"),
        (SELL_SHORT, "Sell short"),
        (BUY_TO_COVER, "Buy to cover"),
    ]
    OPENING = frozenset({BUY, SELL_SHORT})


@dataclass(frozen=True)
class OrderIntent:
    """An order to be checked. `quantity` is in units (after a cash amount was turned into units
    for a fractional instrument); `estimated_price` is the price the checks value it at (the limit
    price, else the stop price, else the last price), in the instrument's currency."""

    account_id: int
    instrument_id: int
    side: str
    quantity: Decimal
    estimated_price: Decimal
    order_type: str = "market"
    time_in_force: str = "day"
    user_id: int | None = None
    # Open orders of the same account already counted against buying power are found by the
    # checks themselves; this names the order being replaced (cancel/replace) so it is not.
    replaces_order_id: int | None = None
    # Facts the checks share for this one intent (the account, its position, the last price,
    # the firm's settings), read once by `trading.facts`; not part of what the intent means.
    context: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def opening(self) -> bool:
        return self.side in Side.OPENING

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.estimated_price


@dataclass
class CheckResult:
    """One check's answer. `severity` is "block" (the order cannot be submitted), "warn" (the
    person must confirm it; the confirmation is stored with the order) or "info". `code` is
    stable (for the API and tests), `reason` is what the person reads, `figures` the numbers
    behind it (Decimal values, for the screen and the order's record)."""

    code: str
    severity: str
    reason: str
    figures: dict[str, Decimal | str] = field(default_factory=dict)

    BLOCK = "block"
    WARN = "warn"
    INFO = "info"

    @property
    def blocks(self) -> bool:
        return self.severity == self.BLOCK
