"""Stock splits, dividends with withholding tax, interest, fees, FX conversions and position
transfers, each one balanced entry through `journal_post`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from ledger import platform
from ledger.errors import LedgerError
from ledger.journal import PostingLine, journal_post
from ledger.lots import lots_quantity, lots_split
from ledger.models import Account, Instrument, JournalEntry, Position
from ledger.projections import _lots_load

Kind = JournalEntry.Kind
CENT8 = Decimal("0.00000001")


@transaction.atomic
def split_book(
    *, instrument: Instrument, ratio: Decimal, trade_date: date, idempotency_key: str
) -> JournalEntry:
    """A `ratio`-for-1 split for every client holding: each holder gets the new shares
    (lot quantities × ratio, prices ÷ ratio), issued from the corporate-actions account."""
    ratio = Decimal(ratio)
    if ratio <= 0 or ratio == 1:
        raise LedgerError("A split ratio must be positive and not 1.")
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    holders = (
        Position.objects.select_for_update()
        .filter(instrument=instrument)
        .exclude(quantity=0)
        .select_related("account")
        .order_by("account_id")
    )
    lines, total = [], Decimal(0)
    for position in holders:
        lots = _lots_load(position.account_id, instrument.pk)
        delta = lots_quantity(lots_split(lots, ratio=ratio)) - position.quantity
        if delta:
            lines.append(
                PostingLine(account=position.account, instrument=instrument, quantity=delta)
            )
            total += delta
    if not lines:
        raise LedgerError(f"No client holds {instrument.symbol}; nothing to split.")
    lines.append(
        PostingLine(
            account=platform.platform_account(platform.CORPORATE_ACTIONS),
            instrument=instrument,
            quantity=-total,
        )
    )
    return journal_post(
        kind=Kind.STOCK_SPLIT,
        lines=lines,
        idempotency_key=idempotency_key,
        trade_date=trade_date,
        split_ratio=ratio,
        memo=f"{instrument.symbol} split {ratio} for 1",
    )


def dividend_book(
    *,
    account: Account,
    instrument: Instrument,
    amount: Decimal,
    trade_date: date,
    idempotency_key: str,
    withholding_tax: Decimal = Decimal(0),
    currency: str | None = None,
) -> JournalEntry:
    """A cash dividend (gross `amount`) and, in the same entry, the tax withheld from it."""
    currency = currency or instrument.currency
    payer = platform.platform_account(platform.CORPORATE_ACTIONS)
    lines = [
        PostingLine(account=account, currency=currency, quantity=Decimal(amount)),
        PostingLine(account=payer, currency=currency, quantity=-Decimal(amount)),
    ]
    if withholding_tax:
        tax = platform.platform_account(platform.TAX)
        lines += [
            PostingLine(
                account=account, currency=currency, quantity=-Decimal(withholding_tax), role="tax"
            ),
            PostingLine(
                account=tax, currency=currency, quantity=Decimal(withholding_tax), role="tax"
            ),
        ]
    return journal_post(
        kind=Kind.DIVIDEND,
        lines=lines,
        idempotency_key=idempotency_key,
        trade_date=trade_date,
        memo=f"{instrument.symbol} dividend",
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
