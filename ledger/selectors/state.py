"""The ledger state that figures computed from the ledger depend on, for cache keys."""

from __future__ import annotations

from ledger.journal.versions import accounts_versions, market_stamp
from ledger.selectors.accounts import Accounts, account_ids_scoped


def ledger_state_for(*, tenant, account_ids: Accounts) -> str:
    """One token for the state of the tenant's accounts among `account_ids`: their versions
    (changed by every posting, however booked), in-place market corrections, and the newest
    price and FX rate rows. A figure cached under it is never served after the ledger changed
    under it (`ledger.journal.versions`)."""
    ids = account_ids_scoped(tenant=tenant, account_ids=account_ids)
    return "{}|{}/{}".format(accounts_versions(ids), *market_stamp())
