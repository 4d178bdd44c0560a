"""A venue's fill of an order: the order's new status and average price (`trading.states`),
the `Fill` row, and the execution booked into the ledger through the same bulk path as every
execution the carrying broker reports (`ledger.imports.executions_bulk.chunk_book`, what
`executions_import` books through): one trade entry, lots, positions and cash in the
transaction of the fill. A bracket's parent filled releases its children; a child's fill
cancels its sibling."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from ledger.imports.executions_bulk import ExecutionBooking, chunk_book
from ledger.services.trades import trade_settle_date

from ..commission import commission_for
from ..intent import Side
from ..models import Fill, Order, OrderEvent
from ..selectors import trading_settings
from ..states import Status, fill_apply

BUYS = frozenset({Side.BUY, Side.BUY_TO_COVER})


def execution_id_for(order: Order, sequence: int) -> str:
    """Unique across tenants (the journal's execution ids are)."""
    return f"{order.venue.upper()}-{connection.schema_name}-{order.pk}-{sequence}"


@transaction.atomic
def order_fill(
    *,
    order: Order,
    quantity: Decimal,
    price: Decimal,
    execution_id: str | None = None,
    executed_at: datetime | None = None,
    commission: Decimal | None = None,
) -> Fill:
    """Record a fill of `quantity` at `price` (the venue's fill callback) and book it."""
    from .orders import order_children_release, order_sibling_cancel

    locked = (
        Order.objects.select_for_update().select_related("instrument", "account").get(pk=order.pk)
    )
    status, filled, average = fill_apply(
        status=locked.status,
        quantity=locked.quantity,
        filled=locked.filled_quantity,
        avg_price=locked.avg_fill_price,
        fill_quantity=quantity,
        fill_price=price,
    )
    executed_at = executed_at or timezone.now()
    instrument = locked.instrument
    if commission is None:
        commission = commission_for(
            trading_settings(),
            asset_class=instrument.asset_class,
            quantity=quantity,
            value=quantity * price * instrument.multiplier,
        )
    sequence = locked.fills.count() + 1
    execution_id = execution_id or execution_id_for(locked, sequence)
    trade_date = timezone.localdate(executed_at)
    chunk_book(
        [
            ExecutionBooking(
                execution_id=execution_id,
                account_id=locked.account_id,
                instrument_id=instrument.pk,
                currency=instrument.currency,
                multiplier=instrument.multiplier,
                quantity=quantity if locked.side in BUYS else -quantity,
                price=price,
                trade_date=trade_date,
                settle_date=trade_settle_date(instrument=instrument, trade_date=trade_date),
                commission=commission,
                fees=Decimal(0),
                memo=f"Order #{locked.pk} {locked.side} {quantity} {instrument.symbol} @ {price}",
            )
        ]
    )
    entry_id = _entry_id(execution_id)
    fill = Fill.objects.create(
        order=locked,
        execution_id=execution_id,
        quantity=quantity,
        price=price,
        commission=commission,
        executed_at=executed_at,
        venue=locked.venue or "manual",
        journal_entry_id=entry_id,
    )
    previous = locked.status
    now = timezone.now()
    Order.objects.filter(pk=locked.pk).update(
        status=status, filled_quantity=filled, avg_fill_price=average, updated_at=now
    )
    locked.status, locked.filled_quantity, locked.avg_fill_price = status, filled, average
    OrderEvent.objects.create(
        order=locked,
        from_status=previous,
        to_status=status,
        at=now,
        note=f"Fill {execution_id}: {quantity} @ {price}.",
        filled_quantity=filled,
    )
    if locked.parent_id is not None:
        order_sibling_cancel(child=locked)
    elif status == Status.FILLED:
        order_children_release(parent=locked)
    return fill


def _entry_id(execution_id: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ledger_journalentry WHERE execution_id = %s", [execution_id])
        row = cursor.fetchone()
    return row[0] if row else None
