"""Errors of the ledger. Each carries a message meant for a person."""

from django.core.exceptions import ValidationError


class LedgerError(ValidationError):
    """A refused ledger operation; nothing was booked."""


class InsufficientFunds(LedgerError):
    """Withdrawable (or, for buys in a cash account, available) cash is short."""


class UnbalancedEntry(LedgerError):
    """Postings of an entry do not sum to zero per asset."""


class ShortSaleRefused(LedgerError):
    """Selling more than held in a cash account."""


class ImportRefused(LedgerError):
    """An execution file with at least one bad row; `row_errors` lists (row number, message)."""

    def __init__(self, row_errors: list[tuple[int, str]]):
        self.row_errors = row_errors
        shown = "; ".join(f"row {n}: {msg}" for n, msg in row_errors[:20])
        more = f" (and {len(row_errors) - 20} more)" if len(row_errors) > 20 else ""
        super().__init__(f"Import refused, nothing booked: {shown}{more}")
