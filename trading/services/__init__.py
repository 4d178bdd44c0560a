"""Trading's writes."""

from .fills import order_fill
from .orders import (
    ConfirmationRequired,
    Ticket,
    order_cancel,
    order_replace,
    order_submit,
    order_transition,
    orders_expire,
)
from .paper import paper_account_open

__all__ = [
    "ConfirmationRequired",
    "Ticket",
    "order_cancel",
    "order_fill",
    "order_replace",
    "order_submit",
    "order_transition",
    "orders_expire",
    "paper_account_open",
]
