"""The allocation engine: split a block quantity over the accounts of a group. Pure, no Django.

Every method reduces to non-negative integer weights w_i; account i's exact share is
Q · w_i / Σw. The shares are floored to the group's step (whole shares, a lot size or a fraction
step) and the lots that are left over go one at a time to the accounts with the largest
fractional part, ties by priority (lower first) then account number: Hamilton's largest-remainder
method. If Q itself is not a multiple of the step (an odd lot, e.g. a partial fill), the residual
below one step goes to the next account in that same order. So the total is always exactly Q, no
quantity is negative and every account ends within one step of its exact share.

The arithmetic is exact and integer-only: quantities are scaled to integers in units of 10^-k and
the remainders are compared as integers over the common denominator Σw · step, so 10,000 accounts
cost a handful of integer operations each and the result is fully deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, Inexact, localcontext
from enum import StrEnum
from fractions import Fraction

HUNDRED = Decimal(100)


class AllocationError(ValueError):
    """The inputs cannot be allocated; the message says why."""


class Method(StrEnum):
    EQUAL = "equal", "Equal quantity"
    NET_LIQUIDATION = "net_liquidation", "Net liquidation value"
    AVAILABLE_EQUITY = "available_equity", "Available equity"
    PERCENTAGES = "percentages", "Percentages"
    RATIOS = "ratios", "Ratios"
    FIXED_SHARES = "fixed_shares", "Fixed shares"
    CASH_AMOUNT = "cash_amount", "Cash amount"
    PCT_CHANGE = "pct_change", "% change of position"

    def __new__(cls, value: str, label: str) -> Method:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


# Methods that give each account a target quantity the block may not exceed.
CAPPED = frozenset({Method.FIXED_SHARES, Method.CASH_AMOUNT, Method.PCT_CHANGE})


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class Member:
    """One account of the group. `value` is what the method weighs: NLV, available equity,
    percentage, ratio, fixed quantity, cash amount or current position (signed)."""

    account: str
    priority: int = 0
    value: Decimal = Decimal(0)


@dataclass(slots=True)
class Line:
    account: str
    priority: int
    weight: int
    quantity: Decimal
    floor_quantity: Decimal
    # exact share = numerator / denominator, in units of 10^-scale
    numerator: int
    denominator: int
    scale: int
    remainder_rank: int | None = None  # 1-based position in the remainder queue, if it got one
    odd_lot: Decimal | None = None
    note: str = ""

    @property
    def exact_share(self) -> Fraction:
        return Fraction(self.numerator, self.denominator * 10**self.scale)

    @property
    def explanation(self) -> str:
        exact = Decimal(self.numerator) / Decimal(self.denominator) / Decimal(10) ** self.scale
        shown = exact.quantize(Decimal("0.0001")).normalize()
        share = f"exact share {shown:f}" if shown == exact else f"exact share ≈ {shown:f}"
        parts = [share, f"rounded down {self.floor_quantity:f}"]
        if self.odd_lot is not None:
            parts.append(f"odd-lot residual {self.odd_lot:f} (next in remainder order)")
        elif self.remainder_rank is not None:
            parts.append(
                f"+1 lot of the remainder (rank {self.remainder_rank} by fractional part, "
                "then priority, then account number)"
            )
        if self.note:
            parts.append(self.note)
        return "; ".join(parts) + f" → {self.quantity:f}"


class Allocation:
    """The result: `quantities` (in member order) at once, per-account `lines` with their
    explanation built on demand (a 10,000-account preview needs the numbers, a screen the text)."""

    __slots__ = (
        "method",
        "quantity",
        "step",
        "members",
        "quantities",
        "_weights",
        "_lots",
        "_total_weight",
        "_q_units",
        "_s_units",
        "_scale",
        "_ranks",
        "_odd_index",
        "_odd",
        "_notes",
    )

    def __init__(self, **kwargs) -> None:
        for name, value in kwargs.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Decimal]:
        return {m.account: q for m, q in zip(self.members, self.quantities, strict=True)}

    @property
    def lines(self) -> list[Line]:
        scale, s_units = self._scale, self._s_units
        return [
            Line(
                account=member.account,
                priority=member.priority,
                weight=self._weights[i],
                quantity=self.quantities[i],
                floor_quantity=_decimal(self._lots[i] * s_units, scale),
                numerator=self._q_units * self._weights[i],
                denominator=self._total_weight,
                scale=scale,
                remainder_rank=self._ranks.get(i),
                odd_lot=_decimal(self._odd, scale) if i == self._odd_index else None,
                note=self._notes.get(i, ""),
            )
            for i, member in enumerate(self.members)
        ]


def _places(values: Sequence[Decimal]) -> int:
    """The number of decimal places needed to write every value as an integer."""
    places = 0
    for value in values:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            places = -exponent
    return places


def _as_ints(values: Sequence[Decimal]) -> list[int]:
    """Exact integer weights in the same proportion as `values`.

    An exact Decimal sum carries the smallest exponent of its terms, so it tells how many places
    to shift by; the Inexact trap guarantees nothing was rounded on the way.
    """
    with localcontext() as context:
        context.prec = 60
        context.traps[Inexact] = True
        try:
            exponent = sum(values).as_tuple().exponent
            places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            if not places:
                return [int(value) for value in values]
            factor = Decimal(10) ** places
            return [int(value * factor) for value in values]
        except Inexact:
            ratios = [value.as_integer_ratio() for value in values]
            common = math.lcm(*(d for _, d in ratios))
            return [n * (common // d) for n, d in ratios]


def _remainder_queue(remainders: list[int], members: Sequence[Member], needed: int) -> list[int]:
    """Indexes of the `needed` accounts first in line: largest remainder, then priority, then
    account number. Sorting plain ints and fixing up only the tied runs keeps 10,000 accounts
    cheap."""
    order = sorted(range(len(remainders)), key=remainders.__getitem__, reverse=True)
    start = 0
    while start < needed:
        value = remainders[order[start]]
        end = start + 1
        while end < len(order) and remainders[order[end]] == value:
            end += 1
        if end - start > 1:
            order[start:end] = sorted(
                order[start:end], key=lambda i: (members[i].priority, members[i].account)
            )
        start = end
    return order[:needed]


def _as_int(value: Decimal, places: int) -> int:
    return int(value.scaleb(places)) if places else int(value)


def _decimal(units: int, scale: int) -> Decimal:
    return Decimal(units).scaleb(-scale) if scale else Decimal(units)


def _check_finite(value: Decimal, what: str) -> None:
    if not value.is_finite():
        raise AllocationError(f"{what} must be a finite number")


def _targets(
    method: Method,
    members: Sequence[Member],
    *,
    step: Decimal,
    price: Decimal | None,
    side: Side,
    pct: Decimal | None,
) -> tuple[list[Decimal], dict[int, str]]:
    """Per-account weights as Decimals (quantities for the capped methods) and notes."""
    notes: dict[int, str] = {}
    if method is Method.EQUAL:
        return [], notes
    values = [m.value for m in members]
    for value in values:
        _check_finite(value, "A member value")
    if method in (Method.NET_LIQUIDATION, Method.AVAILABLE_EQUITY):
        zero = Decimal(0)
        weights = [value if value > zero else zero for value in values]
        for i in (i for i, value in enumerate(values) if value <= zero):
            notes[i] = "non-positive value, no share"
        return weights, notes
    if method in (Method.PERCENTAGES, Method.RATIOS, Method.FIXED_SHARES, Method.CASH_AMOUNT):
        if any(value < 0 for value in values):
            raise AllocationError(f"{method.label}: values must not be negative")
        if method is Method.PERCENTAGES and sum(values) != HUNDRED:
            raise AllocationError(f"Percentages must sum to 100, not {sum(values)}")
        if method is Method.CASH_AMOUNT:
            if price is None or not price.is_finite() or price <= 0:
                raise AllocationError("Cash amount allocation needs a positive price")
            return [(value / price // step) * step for value in values], notes
        return values, notes
    if method is Method.PCT_CHANGE:
        if pct is None or not pct.is_finite() or pct == 0:
            raise AllocationError("% change of position needs a non-zero percentage")
        # Buy +% grows longs, buy -% covers shorts; sell -% reduces longs, sell +% grows shorts.
        grows = pct > 0
        wants_long = (side is Side.BUY) == grows
        if not grows and -pct > HUNDRED:
            raise AllocationError("A position cannot shrink by more than 100%")
        weights = []
        for i, position in enumerate(values):
            eligible = position > 0 if wants_long else position < 0
            if not eligible:
                notes[i] = "position on the other side or flat, not changed"
            weights.append(abs(pct) / HUNDRED * abs(position) if eligible else Decimal(0))
        return weights, notes
    raise AllocationError(f"Unknown method {method!r}")


def allocate(
    *,
    quantity: Decimal,
    members: Sequence[Member],
    method: Method | str,
    step: Decimal = Decimal(1),
    price: Decimal | None = None,
    side: Side | str = Side.BUY,
    pct: Decimal | None = None,
) -> Allocation:
    """Allocate `quantity` over `members` by `method`, rounding to `step`.

    Capped methods (fixed shares, cash amount, % change) give each account a target; a block
    smaller than the sum of targets (a partial fill) is shared in proportion to the targets, a
    larger one is refused.
    """
    method = Method(method)
    side = Side(side)
    _check_finite(quantity, "The quantity")
    _check_finite(step, "The step")
    # 300.00000000 from a NUMERIC column is 300: work in as few decimal places as needed.
    quantity, step = quantity.normalize(), step.normalize()
    if quantity <= 0:
        raise AllocationError("The block quantity must be positive")
    if step <= 0:
        raise AllocationError("The lot size / fraction step must be positive")
    if not members:
        raise AllocationError("The group has no accounts")
    accounts = [m.account for m in members]
    if len(set(accounts)) != len(accounts):
        raise AllocationError("An account appears twice in the group")

    targets, notes = _targets(method, members, step=step, price=price, side=side, pct=pct)
    if method is Method.EQUAL:
        weights = [1] * len(members)
    else:
        total_target = sum(targets)
        if total_target <= 0:
            raise AllocationError(f"{method.label}: no account has anything to weigh")
        if method in CAPPED and quantity > total_target:
            raise AllocationError(
                f"{method.label}: the block of {quantity:f} exceeds the accounts' targets "
                f"of {total_target:f}"
            )
        weights = _as_ints(targets)
    total_weight = sum(weights)

    scale = _places((quantity, step))
    q_units = _as_int(quantity, scale)
    s_units = _as_int(step, scale)
    denominator = total_weight * s_units

    pairs = [divmod(q_units * w, denominator) for w in weights]
    lots = [lot for lot, _ in pairs]
    leftover = q_units - s_units * sum(lots)
    extra_lots, odd = divmod(leftover, s_units)

    units = [lot * s_units for lot in lots]
    ranks: dict[int, int] = {}
    odd_index = -1
    if leftover:
        needed = extra_lots + (1 if odd else 0)
        first = _remainder_queue([rest for _, rest in pairs], members, needed)
        for rank, i in enumerate(first[:extra_lots], start=1):
            units[i] += s_units
            ranks[i] = rank
        if odd:
            odd_index = first[needed - 1]
            units[odd_index] += odd

    if scale:
        quantities = [Decimal(u).scaleb(-scale) for u in units]
    else:
        quantities = [Decimal(u) for u in units]
    return Allocation(
        method=method,
        quantity=quantity,
        step=step,
        members=list(members),
        quantities=quantities,
        _weights=weights,
        _lots=lots,
        _total_weight=total_weight,
        _q_units=q_units,
        _s_units=s_units,
        _scale=scale,
        _ranks=ranks,
        _odd_index=odd_index,
        _odd=odd,
        _notes=notes,
    )


def split_in_proportion(
    *, amount: Decimal, quantities: Sequence[Decimal], places: int = 2
) -> list[Decimal]:
    """Split `amount` (commission, fees) over quantities, to `places` decimals (more if the amount
    has more), summing exactly.

    Largest remainder again, ties by position in the list (callers pass the lines in priority
    then account order).
    """
    if not quantities:
        return []
    places = max(places, _places((amount,)))
    cents = _as_int(amount, places)
    scale = _places(quantities)
    units = [_as_int(q, scale) for q in quantities]
    total = sum(units)
    if total <= 0:
        raise AllocationError("Nothing to split over")
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    shares = []
    remainders = []
    for u in units:
        share, rest = divmod(cents * u, total)
        shares.append(share)
        remainders.append(rest)
    left = cents - sum(shares)
    for i in sorted(range(len(units)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return [_decimal(sign * s, places) for s in shares]
