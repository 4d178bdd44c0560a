"""Cache versions of ledger state, for figures computed from it (the portal's valuation).

Every write of postings calls `accounts_touch` with the accounts it booked to; a reader builds
its cache key from `accounts_versions` (and `market_stamp` for prices and FX), so a cached
figure is never served after the ledger changed under it.

The versions live in the "ledger" cache, whose keys are not prefixed by the tenant schema: the
ledger is shared, and a posting booked from the operator's admin (public schema) or a task must
invalidate what a tenant's portal cached. The figures themselves are cached per tenant.

A version is a random token, not a counter: an evicted and recreated counter could come back to
a value that old entries were stored under.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.cache import caches
from django.db import connection, transaction

from ledger.hooks import accounts_booked_publish

logger = logging.getLogger(__name__)
ALIAS = "ledger"
MARKET = "market"


def _cache():
    return caches[ALIAS]


def _key(account_id: int) -> str:
    return f"account:{account_id}"


def _bump(keys: list[str]) -> None:
    try:
        _cache().set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)
    except Exception:  # noqa: BLE001 (a cache outage must not refuse a booking)
        logger.exception("ledger cache versions not bumped: %s", keys[:5])


def accounts_touch(account_ids: Iterable[int]) -> None:
    """Mark the accounts' ledger state as changed: now (this transaction's own reads see it)
    and again after commit (a reader that took the new version before the commit may have
    cached the committed state's predecessor under it)."""
    ids = {int(pk) for pk in account_ids}
    if not ids:
        return
    keys = sorted(_key(pk) for pk in ids)
    _bump(keys)
    transaction.on_commit(lambda: _bump(keys))
    accounts_booked_publish(ids)


def market_touch() -> None:
    """Prices, FX rates or instruments changed in place (new price and rate rows are seen by
    `market_stamp` already)."""
    _bump([MARKET])
    transaction.on_commit(lambda: _bump([MARKET]))


def accounts_versions(account_ids: Iterable[int]) -> str:
    """One token for the current ledger state of the accounts and the market's in-place
    corrections; missing versions are created."""
    keys = [_key(int(pk)) for pk in sorted(set(account_ids))] + [MARKET]
    cache = _cache()
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            token = uuid.uuid4().hex
            # `add` keeps a version another process created meanwhile.
            if not cache.add(key, token, timeout=None):
                token = cache.get(key, token)
            found[key] = token
    return "-".join(found[key] for key in keys)


def market_stamp() -> tuple[int, int]:
    """The newest price and FX rate rows (both by primary key, an index lookup each): a new
    close or rate, however inserted (ORM, bulk create, COPY), changes the stamp."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT max(id) FROM ledger_price), (SELECT max(id) FROM ledger_fxrate)"
        )
        price_id, fx_id = cursor.fetchone()
    return price_id or 0, fx_id or 0


def _market_changed(sender, **kwargs) -> None:
    market_touch()


def market_receivers_connect() -> None:
    """A close, rate or instrument (multiplier, currency) saved or deleted through the ORM
    (admin corrections) drops cached figures; connected in `LedgerConfig.ready`."""
    from django.db.models.signals import post_delete, post_save

    from ledger.models import FxRate, Instrument, Price

    for model in (Price, FxRate, Instrument):
        post_save.connect(_market_changed, sender=model, dispatch_uid=f"market:{model.__name__}")
        uid = model.__name__
        post_delete.connect(_market_changed, sender=model, dispatch_uid=f"market-d:{uid}")
