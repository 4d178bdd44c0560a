"""FIFO tax lots: pure functions, no Django import.

A lot is opened by a buy (long) or a short sale (short, negative quantity) and closed first-in
first-out by trades in the other direction. Realized P&L of a closed (part of a) lot is
(close price − open price) × closed quantity × multiplier, with the closed quantity signed like
the lot, so closing a short at a lower price is a gain. (FIFO is the default identification of
US tax lots, 26 CFR 1.1012-1(c)(1).)

Costs of a trade (commissions, fees, transfer taxes) enter the lot: the basis of a purchase is
its price plus the costs of purchase, and the amount realized on a sale is the proceeds less the
selling expenses (IRS Publication 550, "Basis of Investment Property" — "Cost Basis" — and "How
To Figure Gain or Loss"). A trade's unit price in the lots is therefore its price plus its costs
per unit, signed like the trade: price + costs / (quantity × multiplier), higher for a buy,
lower for a sale; IBKR's `fifoPnlRealized` is figured the same way.

A lot carried over (a reorganisation: reverse split, symbol or ISIN change, stock merger,
spin-off; an opening balance) keeps its basis and its acquisition date, so its holding period
runs on (IRC §358, §1223(1)): carried lines remove lots without realizing anything and open lots
at the carried basis and date.

Quantities are kept at 8 and prices at 10 decimal places, the scale of the database columns, so
a rebuild from the journal gives exactly the stored projection.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

QTY = Decimal("0.00000001")
PX = Decimal("0.0000000001")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Lot:
    quantity: Decimal
    price: Decimal
    open_date: date
    entry_id: int
    sequence: int


@dataclass(frozen=True, slots=True)
class Closed:
    quantity: Decimal  # signed like the closed lot
    open_price: Decimal
    close_price: Decimal
    open_date: date
    close_date: date
    entry_id: int  # the closing entry
    pnl: Decimal


def q(value: Decimal) -> Decimal:
    return value.quantize(QTY)


def unit_basis(quantity: Decimal, price: Decimal, cost: Decimal, multiplier: Decimal) -> Decimal:
    """The unit price a trade opens or closes lots at: its price plus its costs per unit,
    signed like the trade (Pub. 550: costs of purchase add to basis, selling expenses reduce
    the amount realized)."""
    if not cost:
        return price
    return (price + cost / (quantity * multiplier)).quantize(PX)


def lots_apply(
    lots: list[Lot],
    *,
    quantity: Decimal,
    price: Decimal,
    on: date,
    entry_id: int,
    multiplier: Decimal = Decimal(1),
    cost: Decimal = ZERO,
    acquired: date | None = None,
    carried: bool = False,
) -> tuple[list[Lot], list[Closed]]:
    """Apply a signed quantity change at `price` (with the trade's `cost`) to a pair's open
    lots (oldest first). A `carried` change moves lots without realizing: a negative one takes
    lots off FIFO, a positive one opens a lot acquired on `acquired`."""
    if quantity == 0:
        return list(lots), []
    price = unit_basis(quantity, price, cost, multiplier)
    if carried:
        return _lots_carry(
            lots, quantity=quantity, price=price, on=acquired or on, entry_id=entry_id
        )
    remaining = quantity
    out: list[Lot] = []
    closed: list[Closed] = []
    for lot in lots:
        if remaining == 0 or (lot.quantity > 0) == (remaining > 0):
            out.append(lot)
            continue
        take = min(abs(remaining), abs(lot.quantity))
        signed = take if lot.quantity > 0 else -take
        pnl = q((price - lot.price) * signed * multiplier)
        closed.append(Closed(signed, lot.price, price, lot.open_date, on, entry_id, pnl))
        remaining += signed
        left = lot.quantity - signed
        if left != 0:
            out.append(replace(lot, quantity=left))
    if remaining != 0:
        sequence = max((lot.sequence for lot in lots), default=0) + 1
        out.append(Lot(remaining, price, on, entry_id, sequence))
    return out, closed


def _lots_carry(
    lots: list[Lot], *, quantity: Decimal, price: Decimal, on: date, entry_id: int
) -> tuple[list[Lot], list[Closed]]:
    remaining = quantity
    out: list[Lot] = []
    for lot in lots:
        if remaining == 0 or (lot.quantity > 0) == (remaining > 0):
            out.append(lot)
            continue
        take = min(abs(remaining), abs(lot.quantity))
        signed = take if lot.quantity > 0 else -take
        remaining += signed
        left = lot.quantity - signed
        if left != 0:
            out.append(replace(lot, quantity=left))
    if remaining != 0:
        sequence = max((lot.sequence for lot in lots), default=0) + 1
        out.append(Lot(remaining, price, on, entry_id, sequence))
    return out, []


def lots_split(lots: list[Lot], *, ratio: Decimal) -> list[Lot]:
    """A split of `ratio` new shares per old: quantities × ratio, prices ÷ ratio."""
    return [
        replace(lot, quantity=q(lot.quantity * ratio), price=(lot.price / ratio).quantize(PX))
        for lot in lots
    ]


def lots_quantity(lots: list[Lot]) -> Decimal:
    return sum((lot.quantity for lot in lots), ZERO)


def lots_cost(lots: list[Lot]) -> Decimal:
    return q(sum((lot.quantity * lot.price for lot in lots), ZERO))


STOCK_SPLIT = "stock_split"  # the journal entry kind of a split (`JournalEntry.Kind`)


@dataclass(frozen=True)
class PairEvent:
    """One entry's change of an (account, instrument) pair, as the journal records it."""

    entry_id: int
    kind: str
    on: date
    quantity: Decimal
    price: Decimal | None
    split_ratio: Decimal | None
    cost: Decimal | None = None
    acquired: date | None = None
    role: str = "principal"


CARRY = "carry"  # the posting role of a lot carried over (`Posting.Role.CARRY`)


def pair_event_apply(
    lots: list[Lot], event: PairEvent, multiplier: Decimal
) -> tuple[list[Lot], list[Closed]]:
    if event.kind == STOCK_SPLIT:
        if event.split_ratio is None:
            raise ValueError(f"Split entry #{event.entry_id} has no ratio.")
        return lots_split(lots, ratio=event.split_ratio), []
    return lots_apply(
        lots,
        quantity=event.quantity,
        price=event.price if event.price is not None else ZERO,
        on=event.on,
        entry_id=event.entry_id,
        multiplier=multiplier,
        cost=event.cost or ZERO,
        acquired=event.acquired,
        carried=event.role == CARRY,
    )


def pair_events_replay(
    events: list[PairEvent], *, multiplier: Decimal
) -> tuple[list[Lot], list[Closed]]:
    """A pair's lots and closed lots after its whole history (`events` in booking order)."""
    lots: list[Lot] = []
    closed: list[Closed] = []
    for event in events:
        lots, new_closed = pair_event_apply(lots, event, multiplier)
        closed.extend(new_closed)
    return lots, closed
