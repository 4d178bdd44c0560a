"""Every write of the shared ledger, split by subdomain; import from here. Each booking goes
through `ledger.journal.journal_post` (one balanced, immutable entry, idempotent by key) and so
keeps the projections in step."""

from ledger.services.accounts import (
    account_balances_nonzero,
    account_lock,
    account_number_next,
    account_open,
    account_status_set,
)
from ledger.services.cash import (
    cash_deposit,
    cash_withdraw,
    fee_book,
    fx_convert,
    interest_book,
)
from ledger.services.corporate_actions import dividend_book, split_book
from ledger.services.corrections import entry_reverse
from ledger.services.nav import nav_snapshot_take, nav_snapshots_rebuild
from ledger.services.trades import (
    instrument_settlement_rule,
    trade_book,
    trade_lines,
    trade_settle_date,
)
from ledger.services.transfers import cash_transfer, position_transfer

__all__ = [
    "account_balances_nonzero",
    "account_lock",
    "account_number_next",
    "account_open",
    "account_status_set",
    "cash_deposit",
    "cash_transfer",
    "cash_withdraw",
    "dividend_book",
    "entry_reverse",
    "fee_book",
    "fx_convert",
    "instrument_settlement_rule",
    "interest_book",
    "nav_snapshot_take",
    "nav_snapshots_rebuild",
    "position_transfer",
    "split_book",
    "trade_book",
    "trade_lines",
    "trade_settle_date",
]
