"""Positions, tax lots and realized gains as projections of the journal.

`pairs_apply` folds a stock split into the stored lots of each (account, instrument) it
touches (other entries are folded set-based by `ledger.journal.sqlbulk.pairs_fold`);
`ledger.domain.lots.pair_events_replay` folds a pair's whole history from the events
`pair_events_load_many` reads, and is used for reversals (`ledger.journal.sqlbulk.pairs_rebuild`:
a reversed entry and its reversal are left out, so the lots are as if the entry never happened)
and by `ledger_verify`. All use the same pure functions of `ledger.domain.lots`, so they agree.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from ledger.domain.lots import (
    Closed,
    Lot,
    PairEvent,
    lots_cost,
    lots_quantity,
    pair_event_apply,
)
from ledger.models import JournalEntry, Position, RealizedGain, TaxLot

ZERO = Decimal(0)


def lots_load(account_id: int, instrument_id: int) -> list[Lot]:
    return [
        Lot(row.quantity, row.price, row.open_date, row.opened_by_id, row.sequence)
        for row in TaxLot.objects.filter(account_id=account_id, instrument_id=instrument_id)
    ]


def _lots_store(account_id, instrument_id, lots, closed, *, replace_realized: bool) -> None:
    TaxLot.objects.filter(account_id=account_id, instrument_id=instrument_id).delete()
    TaxLot.objects.bulk_create(
        TaxLot(
            account_id=account_id,
            instrument_id=instrument_id,
            opened_by_id=lot.entry_id,
            open_date=lot.open_date,
            sequence=lot.sequence,
            quantity=lot.quantity,
            price=lot.price,
        )
        for lot in lots
    )
    if replace_realized:
        RealizedGain.objects.filter(account_id=account_id, instrument_id=instrument_id).delete()
    RealizedGain.objects.bulk_create(
        RealizedGain(
            account_id=account_id,
            instrument_id=instrument_id,
            closed_by_id=c.entry_id,
            open_date=c.open_date,
            close_date=c.close_date,
            quantity=c.quantity,
            open_price=c.open_price,
            close_price=c.close_price,
            pnl=c.pnl,
        )
        for c in closed
    )


def _position_lock(account_id: int, instrument_id: int) -> Position:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_position (account_id, instrument_id, quantity, cost, realized_pnl)"
            " VALUES (%s, %s, 0, 0, 0) ON CONFLICT (account_id, instrument_id) DO NOTHING",
            [account_id, instrument_id],
        )
    return Position.objects.select_for_update().get(
        account_id=account_id, instrument_id=instrument_id
    )


def pairs_apply(entry: JournalEntry, pairs: dict) -> None:
    """Fold `entry`'s instrument lines (grouped by (account id, instrument id)) into lots."""
    for (account_id, instrument_id), lines in pairs.items():
        position = _position_lock(account_id, instrument_id)
        multiplier = lines[0].instrument.multiplier
        lots = lots_load(account_id, instrument_id)
        closed_all: list[Closed] = []
        for line in lines:
            event = PairEvent(
                entry.pk,
                entry.kind,
                entry.trade_date,
                line.quantity,
                line.price,
                entry.split_ratio,
            )
            lots, closed = pair_event_apply(lots, event, multiplier)
            closed_all.extend(closed)
            if entry.kind == JournalEntry.Kind.STOCK_SPLIT:
                break  # one split per pair, whatever the number of lines
        _lots_store(account_id, instrument_id, lots, closed_all, replace_realized=False)
        position.quantity = lots_quantity(lots)
        position.cost = lots_cost(lots)
        position.realized_pnl += sum((c.pnl for c in closed_all), ZERO)
        position.save(update_fields=["quantity", "cost", "realized_pnl"])


def pair_events_load_many(
    account_ids: list[int], instrument_ids: list[int]
) -> dict[tuple[int, int], list[PairEvent]]:
    """The history of every (account, instrument) pair of the given ids that has postings, in
    one query: (account id, instrument id) → its events in booking order, without reversed
    entries and their reversals."""
    out: dict[tuple[int, int], list[PairEvent]] = {}
    if not account_ids or not instrument_ids:
        return out
    with connection.cursor() as cursor:
        # The pairs' postings first (materialised), then their entries: planned the other way
        # round, the reversal check would run over the whole journal.
        cursor.execute(
            "WITH p AS MATERIALIZED (SELECT leg, entry_id, account_id, instrument_id, quantity, "
            "price, cost, acquired, role FROM ledger_posting "
            "WHERE account_id = ANY(%s) AND instrument_id = ANY(%s)) "
            "SELECT p.account_id, p.instrument_id, e.id, e.kind, e.trade_date, p.quantity, "
            "p.price, e.split_ratio, p.cost, p.acquired, p.role "
            "FROM p JOIN ledger_journalentry e ON e.id = p.entry_id "
            "WHERE e.reverses_id IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM ledger_journalentry r WHERE r.reverses_id = e.id) "
            "ORDER BY p.account_id, p.instrument_id, e.id, p.leg",
            [list(account_ids), list(instrument_ids)],
        )
        seen_splits: set[tuple[int, int, int]] = set()
        for account_id, instrument_id, *row in cursor.fetchall():
            event = PairEvent(*row)
            if event.kind == JournalEntry.Kind.STOCK_SPLIT:
                key = (account_id, instrument_id, event.entry_id)
                if key in seen_splits:
                    continue
                seen_splits.add(key)
            out.setdefault((account_id, instrument_id), []).append(event)
    return out
