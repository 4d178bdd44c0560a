"""Cash entries: deposits, withdrawals, interest, fees and FX conversions, each one balanced
entry through `journal_post` against a platform account."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from ledger import platform
from ledger.errors import LedgerError
from ledger.journal.post import PostingLine, journal_post
from ledger.models import Account, JournalEntry

Kind = JournalEntry.Kind
CENT8 = Decimal("0.00000001")


def amount_positive(amount: Decimal) -> Decimal:
    amount = Decimal(amount)
    if amount <= 0:
        raise LedgerError("The amount must be positive.")
    return amount


def cash_deposit(
    *,
    account: Account,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    value_date: date | None = None,
    memo: str = "",
) -> JournalEntry:
    amount = amount_positive(amount)
    on = value_date or timezone.localdate()
    return journal_post(
        kind=Kind.DEPOSIT,
        lines=[
            PostingLine(account=account, currency=currency, quantity=amount),
            PostingLine(
                account=platform.platform_account(platform.BANK),
                currency=currency,
                quantity=-amount,
            ),
        ],
        idempotency_key=idempotency_key,
        trade_date=on,
        memo=memo or "Deposit",
    )


def cash_withdraw(
    *,
    account: Account,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    value_date: date | None = None,
    memo: str = "",
) -> JournalEntry:
    """Refused with `InsufficientFunds` when withdrawable cash is short; concurrent withdrawals
    queue on the account's cash balance row."""
    amount = amount_positive(amount)
    on = value_date or timezone.localdate()
    return journal_post(
        kind=Kind.WITHDRAWAL,
        lines=[
            PostingLine(account=account, currency=currency, quantity=-amount),
            PostingLine(
                account=platform.platform_account(platform.BANK),
                currency=currency,
                quantity=amount,
            ),
        ],
        idempotency_key=idempotency_key,
        trade_date=on,
        memo=memo or "Withdrawal",
    )


def interest_book(
    *, account: Account, amount: Decimal, currency: str, trade_date: date, idempotency_key: str
) -> JournalEntry:
    """Credit (positive) or debit (negative) interest."""
    source = platform.platform_account(platform.INTEREST)
    return journal_post(
        kind=Kind.INTEREST,
        lines=[
            PostingLine(account=account, currency=currency, quantity=Decimal(amount)),
            PostingLine(account=source, currency=currency, quantity=-Decimal(amount)),
        ],
        idempotency_key=idempotency_key,
        trade_date=trade_date,
        memo="Interest",
    )


def fee_book(
    *,
    account: Account,
    amount: Decimal,
    currency: str,
    trade_date: date,
    idempotency_key: str,
    memo: str = "Fee",
) -> JournalEntry:
    fees = platform.platform_account(platform.FEES)
    return journal_post(
        kind=Kind.FEE,
        lines=[
            PostingLine(account=account, currency=currency, quantity=-Decimal(amount), role="fee"),
            PostingLine(account=fees, currency=currency, quantity=Decimal(amount), role="fee"),
        ],
        idempotency_key=idempotency_key,
        trade_date=trade_date,
        memo=memo,
    )


def fx_convert(
    *,
    account: Account,
    sell_currency: str,
    sell_amount: Decimal,
    buy_currency: str,
    rate: Decimal,
    trade_date: date,
    idempotency_key: str,
) -> JournalEntry:
    """Sell `sell_amount` of one currency for `sell_amount × rate` of another."""
    bought = (Decimal(sell_amount) * Decimal(rate)).quantize(CENT8)
    fx = platform.platform_account(platform.FX)
    return journal_post(
        kind=Kind.FX_CONVERSION,
        lines=[
            PostingLine(account=account, currency=sell_currency, quantity=-Decimal(sell_amount)),
            PostingLine(account=fx, currency=sell_currency, quantity=Decimal(sell_amount)),
            PostingLine(account=account, currency=buy_currency, quantity=bought),
            PostingLine(account=fx, currency=buy_currency, quantity=-bought),
        ],
        idempotency_key=idempotency_key,
        trade_date=trade_date,
        memo=f"FX {sell_currency}.{buy_currency} @ {rate}",
    )
