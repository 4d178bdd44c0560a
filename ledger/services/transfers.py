"""Transfers between two accounts: cash (internal transfers) and positions (at a unit cost),
each one balanced entry through `journal_post`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from ledger.errors import LedgerError
from ledger.journal.post import PostingLine, journal_post
from ledger.models import Account, Instrument, JournalEntry
from ledger.services.cash import amount_positive

Kind = JournalEntry.Kind


def cash_transfer(
    *,
    from_account: Account,
    to_account: Account,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    memo: str = "",
) -> JournalEntry:
    amount = amount_positive(amount)
    if from_account.pk == to_account.pk:
        raise LedgerError("A transfer needs two different accounts.")
    return journal_post(
        kind=Kind.CASH_TRANSFER,
        lines=[
            PostingLine(account=from_account, currency=currency, quantity=-amount),
            PostingLine(account=to_account, currency=currency, quantity=amount),
        ],
        idempotency_key=idempotency_key,
        trade_date=timezone.localdate(),
        memo=memo or f"Transfer {from_account.number} → {to_account.number}",
    )


def position_transfer(
    *,
    from_account: Account,
    to_account: Account,
    instrument: Instrument,
    quantity: Decimal,
    price: Decimal,
    trade_date: date,
    idempotency_key: str,
) -> JournalEntry:
    """Move shares at a given unit cost: closes the sender's lots at `price` and opens the
    receiver's lot at `price`."""
    quantity = Decimal(quantity)
    return journal_post(
        kind=Kind.POSITION_TRANSFER,
        lines=[
            PostingLine(
                account=from_account, instrument=instrument, quantity=-quantity, price=price
            ),
            PostingLine(account=to_account, instrument=instrument, quantity=quantity, price=price),
        ],
        idempotency_key=idempotency_key,
        trade_date=trade_date,
        memo=f"Transfer {quantity} {instrument.symbol} {from_account.number} → {to_account.number}",
    )
