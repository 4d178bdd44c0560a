"""Corporate actions: stock splits for every holder, and cash dividends with the tax withheld
from them, each one balanced entry through `journal_post`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from ledger import platform
from ledger.domain.lots import lots_quantity, lots_split
from ledger.errors import LedgerError
from ledger.journal.post import PostingLine, journal_post
from ledger.journal.projections import lots_load
from ledger.models import Account, Instrument, JournalEntry, Position

Kind = JournalEntry.Kind


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
        lots = lots_load(position.account_id, instrument.pk)
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
