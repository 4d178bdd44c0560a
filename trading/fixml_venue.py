"""An executing broker that takes orders as FIXML files: each accepted order is written as a
FIXML 5.0 SP2 `NewOrderSingle`, each cancel as an `OrderCancelRequest`, and a cancel/replace as
both in one file (`trading.fixml`). Files are written after the order's transaction commits
(an order that rolls back is never sent), atomically (a temporary file renamed, so the
broker's pickup never reads half a file), under `TRADING_FIXML_ORDERS_DIR/<schema>/<day>/`.
The broker's executions come back through the execution import (CSV, Flex or FIXML
`ExecRpt`) and the fill callback.

Registered as venue `fixml`; it routes the orders of real accounts when
`TRADING_LIVE_VENUE = "fixml"` (`trading.apps`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .fixml import FixmlCancel, FixmlNewOrder, orders_fixml_write


def fixml_orders_dir() -> Path:
    configured = getattr(settings, "TRADING_FIXML_ORDERS_DIR", "")
    return Path(configured or Path(settings.MEDIA_ROOT, "fixml-orders"))


def cl_ord_id(order) -> str:
    """Unique across tenants (order ids are per schema)."""
    return f"{connection.schema_name}-{order.pk}"


def new_order_message(order) -> FixmlNewOrder:
    instrument, account = order.instrument, order.account
    return FixmlNewOrder(
        cl_ord_id=cl_ord_id(order),
        account=account.number,
        side=order.side,
        order_type=order.order_type,
        quantity=order.quantity,
        symbol=instrument.symbol,
        currency=instrument.currency,
        transact_time=order.created_at or timezone.now(),
        time_in_force=order.time_in_force,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        margin_type=account.margin_type,
        security_id=instrument.isin or "",
        security_id_source="4" if instrument.isin else "",
    )


def cancel_message(order) -> FixmlCancel:
    instrument = order.instrument
    return FixmlCancel(
        cl_ord_id=f"{cl_ord_id(order)}-C",
        orig_cl_ord_id=cl_ord_id(order),
        order_id=order.venue_order_id or "",
        account=order.account.number,
        side=order.side,
        quantity=order.quantity - order.filled_quantity,
        symbol=instrument.symbol,
        transact_time=timezone.now(),
        security_id=instrument.isin or "",
        security_id_source="4" if instrument.isin else "",
    )


def _file_write(name: str, messages: list) -> None:
    folder = fixml_orders_dir() / connection.schema_name / f"{timezone.localdate():%Y%m%d}"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as out:
        orders_fixml_write(out, messages)
    os.replace(out.name, folder / f"{name}.xml")


def _on_commit(name: str, messages: list) -> None:
    schema = connection.schema_name

    def write() -> None:
        from django_tenants.utils import schema_context

        with schema_context(schema):
            _file_write(name, messages)

    transaction.on_commit(write)


class FixmlFileVenue:
    name = "fixml"

    def submit(self, order) -> None:
        _on_commit(f"{cl_ord_id(order)}-new", [new_order_message(order)])

    def cancel(self, order) -> None:
        _on_commit(f"{cl_ord_id(order)}-cancel", [cancel_message(order)])

    def replace(self, old, new) -> None:
        _on_commit(
            f"{cl_ord_id(old)}-replace",
            [cancel_message(old), new_order_message(new)],
        )
