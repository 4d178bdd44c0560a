"""Fills of a block allocated as they come, keeping each account's fair share of the block so
far. Pure, no Django; builds on `allocations.engine`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from allocations.engine import Allocation, AllocationError, Member, Method, allocate

# Methods whose weights do not move when earlier fills are booked (NLV, equity and positions do).
STATIC_WEIGHTS = frozenset(
    {Method.EQUAL, Method.PERCENTAGES, Method.RATIOS, Method.FIXED_SHARES, Method.CASH_AMOUNT}
)


@dataclass(frozen=True, slots=True)
class Increment:
    """The allocation of a further fill of a block: `quantities` per member (summing to the
    fill), and the allocation of the whole block so far when it was used (`cumulative`)."""

    quantities: list[Decimal]
    allocation: Allocation
    cumulative: bool


def allocate_increment(
    *,
    quantity: Decimal,
    previous: dict[str, Decimal],
    members: Sequence[Member],
    method: Method | str,
    **kwargs,
) -> Increment:
    """Allocate a further fill of `quantity` when `previous` (account → quantity) was already
    allocated from earlier fills of the same block by the same group.

    The block so far (previous + this fill) is allocated as a whole and what each account
    already has is subtracted, so rounding does not pile up on the accounts first in the
    remainder queue fill after fill: every account stays within one step of its fair share of
    the block. If that would take shares back from an account (largest remainder is not
    house-monotone: the Alabama paradox), or the weights move with bookings, the fill is
    allocated on its own instead.
    """
    method = Method(method)
    if previous and method in STATIC_WEIGHTS:
        before = sum(previous.values(), Decimal(0))
        try:
            whole = allocate(quantity=quantity + before, members=members, method=method, **kwargs)
        except AllocationError:
            whole = None
        if whole is not None:
            increments = [
                q - previous.get(m.account, Decimal(0))
                for m, q in zip(members, whole.quantities, strict=True)
            ]
            if all(i >= 0 for i in increments):
                return Increment(quantities=increments, allocation=whole, cumulative=True)
    alone = allocate(quantity=quantity, members=members, method=method, **kwargs)
    return Increment(quantities=list(alone.quantities), allocation=alone, cumulative=False)
