"""Corrections: the journal is immutable, so an entry is corrected by booking its mirror
image (a reversal) and, where needed, the entry again."""

from __future__ import annotations

from django.utils import timezone

from ledger.errors import LedgerError
from ledger.journal.post import PostingLine, journal_post
from ledger.models import JournalEntry

Kind = JournalEntry.Kind


def entry_reverse(*, entry: JournalEntry, idempotency_key: str) -> JournalEntry:
    """Book the mirror image of `entry`. Lots and realized gains of the instruments it touched
    are rebuilt as if the entry had never been booked."""
    if entry.kind == Kind.REVERSAL:
        raise LedgerError("A reversal cannot itself be reversed; book the entry again.")
    if (
        JournalEntry.objects.filter(reverses=entry)
        .exclude(idempotency_key=idempotency_key)
        .exists()
    ):
        raise LedgerError(f"Entry #{entry.pk} is already reversed.")
    instrument_ids = {p.instrument_id for p in entry.postings.all() if p.instrument_id}
    later_split = (
        JournalEntry.objects.filter(
            kind=Kind.STOCK_SPLIT,
            pk__gt=entry.pk,
            postings__instrument_id__in=instrument_ids,
            reversed_by__isnull=True,
        )
        .exclude(pk=entry.pk)
        .first()
    )
    if later_split is not None:
        raise LedgerError(
            f"Entry #{entry.pk} was followed by a split (#{later_split.pk}) of the same "
            "instrument; book a correcting entry at split-adjusted quantities instead."
        )
    lines = [
        PostingLine(
            account=p.account,
            instrument=p.instrument,
            currency=p.currency,
            quantity=-p.quantity,
            price=p.price,
            role=p.role,
            cost=p.cost,
            acquired=p.acquired,
        )
        for p in entry.postings.select_related("account", "instrument").order_by("leg")
    ]
    return journal_post(
        kind=Kind.REVERSAL,
        lines=lines,
        idempotency_key=idempotency_key,
        trade_date=max(entry.trade_date, timezone.localdate()),
        settle_date=max(entry.settle_date, timezone.localdate()),
        reverses=entry,
        memo=f"Reversal of #{entry.pk} ({entry.get_kind_display()})",
    )
