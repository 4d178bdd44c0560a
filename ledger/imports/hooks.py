"""Executions booked by the import in advisor master accounts, handed to the apps that asked.

The ledger imports no tenant app; an app that must act on executions in a master (allocations:
each becomes a fill of a block) subscribes here from its `AppConfig.ready()`. Subscribers are
called inside the import's transaction, after every chunk is booked, with the master executions
of the whole file, those booked before included (a re-import hands them over again, so a
subscriber is idempotent by execution id). A subscriber that raises rolls the import back:
nothing half-booked remains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class MasterExecution:
    execution_id: str
    tenant_id: int
    account_id: int
    instrument_id: int
    side: str  # "buy" or "sell"
    quantity: Decimal  # positive
    price: Decimal
    trade_date: date
    commission: Decimal
    fees: Decimal


MasterExecutionsSubscriber = Callable[[list[MasterExecution]], None]
_subscribers: list[MasterExecutionsSubscriber] = []


def master_executions_subscribe(subscriber: MasterExecutionsSubscriber) -> None:
    """Register `subscriber` once (a second registration of the same function is ignored)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def master_executions_publish(executions: list[MasterExecution]) -> None:
    if not executions:
        return
    for subscriber in list(_subscribers):
        subscriber(executions)
