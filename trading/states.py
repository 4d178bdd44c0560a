"""The order state machine, without database access: which status may follow which, and the fill
arithmetic. `trading.services.orders` is the only writer and asks here before every change.

    new ─► accepted ─► partially_filled ─► filled
     │        │              │
     │        └──────────────┴─► cancelled | expired | replaced
     └─► rejected | cancelled

`new` is an order checked and stored but not yet working at a venue (a bracket's children
wait there for their parent to fill). Final statuses have no way out.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import TextChoices


class Status(TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    PARTIALLY_FILLED = "partially_filled", "Partially filled"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    REPLACED = "replaced", "Replaced"


OPEN = frozenset({Status.NEW, Status.ACCEPTED, Status.PARTIALLY_FILLED})
FINAL = frozenset(
    {Status.FILLED, Status.CANCELLED, Status.REJECTED, Status.EXPIRED, Status.REPLACED}
)
WORKING = frozenset({Status.ACCEPTED, Status.PARTIALLY_FILLED})

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ACCEPTED, Status.REJECTED, Status.CANCELLED}),
    Status.ACCEPTED: frozenset(
        {
            Status.PARTIALLY_FILLED,
            Status.FILLED,
            Status.CANCELLED,
            Status.EXPIRED,
            Status.REPLACED,
        }
    ),
    Status.PARTIALLY_FILLED: frozenset(
        {
            Status.PARTIALLY_FILLED,
            Status.FILLED,
            Status.CANCELLED,
            Status.EXPIRED,
            Status.REPLACED,
        }
    ),
}
for _final in FINAL:
    TRANSITIONS[_final] = frozenset()


class TransitionRefused(Exception):
    """A change the state machine does not allow; the message says why, for the person."""


def transition_check(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        if current in FINAL:
            raise TransitionRefused(
                f"The order is {Status(current).label.lower()}; it can no longer change."
            )
        raise TransitionRefused(
            f"An order that is {Status(current).label.lower()} cannot become "
            f"{Status(target).label.lower()}."
        )


def fill_apply(
    *,
    status: str,
    quantity: Decimal,
    filled: Decimal,
    avg_price: Decimal | None,
    fill_quantity: Decimal,
    fill_price: Decimal,
) -> tuple[str, Decimal, Decimal]:
    """(status, filled quantity, average price) after a fill of `fill_quantity` at
    `fill_price`. Refused when the order is not working or the fill is larger than what
    remains."""
    if fill_quantity <= 0:
        raise TransitionRefused("A fill has a positive quantity.")
    if status not in WORKING:
        raise TransitionRefused(
            f"The order is {Status(status).label.lower()}; it cannot take a fill."
        )
    if filled + fill_quantity > quantity:
        raise TransitionRefused(
            f"A fill of {fill_quantity} is more than the {quantity - filled} that remain."
        )
    new_filled = filled + fill_quantity
    previous = (avg_price or Decimal(0)) * filled
    average = (previous + fill_price * fill_quantity) / new_filled
    new_status = Status.FILLED if new_filled == quantity else Status.PARTIALLY_FILLED
    return new_status, new_filled, average.quantize(Decimal("0.0000000001"))
