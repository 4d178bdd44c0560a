"""Postings booked, handed to apps outside the ledger that act on them. The ledger imports no
tenant app; an app subscribes from its `AppConfig.ready()` (trading's margin monitor). Every
write of postings reaches `ledger.journal.versions.accounts_touch`, which publishes here with
the accounts booked to. Subscribers are called inside the writer's transaction and must be
cheap: collect the ids and act after commit (`transaction.on_commit`). A subscriber that raises
is logged and skipped: it never refuses a booking."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

AccountsBooked = Callable[[set[int]], None]
_booked: list[AccountsBooked] = []


def accounts_booked_subscribe(subscriber: AccountsBooked) -> None:
    """Register `subscriber` once (a second registration of the same function is ignored)."""
    if subscriber not in _booked:
        _booked.append(subscriber)


def accounts_booked_publish(account_ids: set[int]) -> None:
    """Postings were written to `account_ids`."""
    for subscriber in list(_booked):
        try:
            subscriber(account_ids)
        except Exception:  # noqa: BLE001 (a subscriber must not refuse a booking)
            logger.exception("accounts booked subscriber %r failed", subscriber)
