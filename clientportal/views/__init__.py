"""Client portal pages, one module per area. Each view: scope (accounts through ledger.access),
then ledger/portal selectors or services, then a template."""

from .activity import activity, statements
from .content import content_detail, content_index
from .dashboard import home
from .disclosures import disclosure_accept_view, disclosures
from .holdings import cash, positions
from .messages import message_thread, messages_index
from .money import transfers, withdrawal_request
from .performance import performance
from .trading import order_cancel_view, order_detail, orders, paper_open, trade

__all__ = [
    "activity",
    "cash",
    "content_detail",
    "content_index",
    "disclosure_accept_view",
    "disclosures",
    "home",
    "message_thread",
    "messages_index",
    "order_cancel_view",
    "order_detail",
    "orders",
    "paper_open",
    "performance",
    "positions",
    "statements",
    "trade",
    "transfers",
    "withdrawal_request",
]
