"""The bulk path of execution import: a chunk of validated executions becomes journal
entries, postings, lots, realized gains, positions and cash balances with COPY and set-based
upserts — a fixed number of statements per chunk, not a statement per row.

The rows written are exactly what `trade_book` writes for one execution, and the lots come from
the same pure `ledger.lots` functions, so `ledger_verify` finds no difference."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from ledger import platform
from ledger.lots import Lot, lots_apply, lots_cost, lots_quantity
from ledger.versions import accounts_touch

Q8 = Decimal("0.00000001")
ZERO = Decimal(0)


@dataclass(slots=True)
class ExecutionBooking:
    execution_id: str
    account_id: int
    instrument_id: int
    currency: str
    multiplier: Decimal
    quantity: Decimal  # signed: + buy, − sell
    price: Decimal
    trade_date: date
    settle_date: date
    commission: Decimal
    fees: Decimal


@dataclass
class BookedChunk:
    booked: int = 0
    skipped: int = 0

    def __iadd__(self, other: BookedChunk) -> BookedChunk:
        self.booked += other.booked
        self.skipped += other.skipped
        return self


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy(cursor, table: str, columns: str, lines: list[str]) -> None:
    if not lines:
        return
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        block = []
        for line in lines:
            block.append(line)
            if len(block) >= 10_000:
                copy.write("".join(block))
                block = []
        if block:
            copy.write("".join(block))


def chunk_book(bookings: list[ExecutionBooking]) -> BookedChunk:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT execution_id FROM ledger_journalentry WHERE execution_id = ANY(%s)",
            [[b.execution_id for b in bookings]],
        )
        existing = {row[0] for row in cursor.fetchall()}
        new = [b for b in bookings if b.execution_id not in existing]
        if not new:
            return BookedChunk(0, len(existing))
        cursor.execute(
            "SELECT nextval('ledger_journalentry_id_seq') FROM generate_series(1, %s)", [len(new)]
        )
        entry_ids = [row[0] for row in cursor.fetchall()]
        clearing = platform.platform_account(platform.CLEARING).pk
        fees_account = platform.platform_account(platform.FEES).pk
        now = timezone.now().isoformat()
        entries, postings = [], []
        cash: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for entry_id, b in zip(entry_ids, new, strict=True):
            exec_id = _text(b.execution_id)
            entries.append(
                f"{entry_id}\ttrade\t{b.trade_date}\t{b.settle_date}\texec:{exec_id}\t"
                f"{exec_id}\t\t{now}\n"
            )
            qty, neg = b.quantity, -b.quantity
            postings.append(
                f"{entry_id}\t{b.account_id}\t{b.instrument_id}\t\t{qty}\t{b.price}\tprincipal\n"
            )
            postings.append(
                f"{entry_id}\t{clearing}\t{b.instrument_id}\t\t{neg}\t{b.price}\tprincipal\n"
            )
            principal = (qty * b.price * b.multiplier).quantize(Q8)
            ccy = b.currency
            if principal:
                postings.append(
                    f"{entry_id}\t{b.account_id}\t\\N\t{ccy}\t{-principal}\t\\N\tprincipal\n"
                )
                postings.append(
                    f"{entry_id}\t{clearing}\t\\N\t{ccy}\t{principal}\t\\N\tprincipal\n"
                )
            for amount, role in ((b.commission, "commission"), (b.fees, "fee")):
                if amount:
                    postings.append(
                        f"{entry_id}\t{b.account_id}\t\\N\t{ccy}\t{-amount}\t\\N\t{role}\n"
                    )
                    postings.append(
                        f"{entry_id}\t{fees_account}\t\\N\t{ccy}\t{amount}\t\\N\t{role}\n"
                    )
            cash[(b.account_id, ccy)] -= principal + b.commission + b.fees
        _copy(
            cursor,
            "ledger_journalentry",
            "id, kind, trade_date, settle_date, idempotency_key, execution_id, memo, created_at",
            entries,
        )
        del entries
        _copy(
            cursor,
            "ledger_posting",
            "entry_id, account_id, instrument_id, currency, quantity, price, role",
            postings,
        )
        del postings
        _cash_upsert(cursor, cash)
        _lots_update(cursor, new, entry_ids)
    accounts_touch(b.account_id for b in new)
    return BookedChunk(len(new), len(existing))


def _cash_upsert(cursor, cash: dict[tuple[int, str], Decimal]) -> None:
    keys = sorted(cash)
    cursor.execute(
        "INSERT INTO ledger_cashbalance (account_id, currency, quantity) "
        "SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[]) "
        "ON CONFLICT (account_id, currency) "
        "DO UPDATE SET quantity = ledger_cashbalance.quantity + EXCLUDED.quantity",
        [[k[0] for k in keys], [k[1] for k in keys], [cash[k] for k in keys]],
    )


def _lots_update(cursor, bookings: list[ExecutionBooking], entry_ids: list[int]) -> None:
    by_pair: dict[tuple[int, int], list[tuple[int, ExecutionBooking]]] = defaultdict(list)
    for entry_id, b in zip(entry_ids, bookings, strict=True):
        by_pair[(b.account_id, b.instrument_id)].append((entry_id, b))
    pairs = sorted(by_pair)
    account_ids = [p[0] for p in pairs]
    instrument_ids = [p[1] for p in pairs]
    # Create missing positions, then lock them all (without rewriting them) before reading
    # their lots, so a concurrent `trade_book` on the same pair waits.
    cursor.execute(
        "INSERT INTO ledger_position (account_id, instrument_id, quantity, cost, realized_pnl) "
        "SELECT a, i, 0, 0, 0 FROM unnest(%s::bigint[], %s::bigint[]) AS t(a, i) "
        "ON CONFLICT (account_id, instrument_id) DO NOTHING",
        [account_ids, instrument_ids],
    )
    cursor.execute(
        "SELECT 1 FROM ledger_position p JOIN unnest(%s::bigint[], %s::bigint[]) AS t(a, i) "
        "ON p.account_id = t.a AND p.instrument_id = t.i ORDER BY p.account_id, p.instrument_id "
        "FOR UPDATE OF p",
        [account_ids, instrument_ids],
    )
    cursor.execute(
        "SELECT l.account_id, l.instrument_id, l.quantity, l.price, l.open_date, "
        "l.opened_by_id, l.sequence FROM ledger_taxlot l "
        "JOIN unnest(%s::bigint[], %s::bigint[]) AS t(a, i) "
        "ON l.account_id = t.a AND l.instrument_id = t.i ORDER BY 1, 2, l.sequence",
        [account_ids, instrument_ids],
    )
    lots_by_pair: dict[tuple[int, int], list[Lot]] = defaultdict(list)
    for account_id, instrument_id, qty, price, open_date, entry_id, seq in cursor.fetchall():
        lots_by_pair[(account_id, instrument_id)].append(Lot(qty, price, open_date, entry_id, seq))
    lot_lines, gain_lines = [], []
    gone, changed = ([], [], []), ([], [], [], [])  # only the lots that changed are written
    positions = ([], [], [], [], [])
    for pair in pairs:
        lots = lots_by_pair.get(pair, [])
        # A lot is known by (sequence, opening entry): sequences restart once a pair is flat.
        before = {(lot.sequence, lot.entry_id): lot.quantity for lot in lots}
        realized = ZERO
        for entry_id, b in by_pair[pair]:
            lots, closed = lots_apply(
                lots,
                quantity=b.quantity,
                price=b.price,
                on=b.trade_date,
                entry_id=entry_id,
                multiplier=b.multiplier,
            )
            for c in closed:
                realized += c.pnl
                gain_lines.append(
                    f"{pair[0]}\t{pair[1]}\t{c.entry_id}\t{c.open_date}\t{c.close_date}\t"
                    f"{c.quantity}\t{c.open_price}\t{c.close_price}\t{c.pnl}\n"
                )
        after = set()
        for lot in lots:
            key = (lot.sequence, lot.entry_id)
            after.add(key)
            if key not in before:
                lot_lines.append(
                    f"{pair[0]}\t{pair[1]}\t{lot.entry_id}\t{lot.open_date}\t{lot.sequence}\t"
                    f"{lot.quantity}\t{lot.price}\n"
                )
            elif before[key] != lot.quantity:
                for column, value in zip(changed, (*pair, lot.sequence, lot.quantity), strict=True):
                    column.append(value)
        for sequence, _ in before.keys() - after:
            for column, value in zip(gone, (*pair, sequence), strict=True):
                column.append(value)
        for column, value in zip(
            positions,
            (pair[0], pair[1], lots_quantity(lots), lots_cost(lots), realized),
            strict=True,
        ):
            column.append(value)
    cursor.execute(
        "DELETE FROM ledger_taxlot l "
        "USING unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS t(a, i, s) "
        "WHERE l.account_id = t.a AND l.instrument_id = t.i AND l.sequence = t.s",
        list(gone),
    )
    cursor.execute(
        "UPDATE ledger_taxlot l SET quantity = t.q "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[]) AS t(a, i, s, q) "
        "WHERE l.account_id = t.a AND l.instrument_id = t.i AND l.sequence = t.s",
        list(changed),
    )
    _copy(
        cursor,
        "ledger_taxlot",
        "account_id, instrument_id, opened_by_id, open_date, sequence, quantity, price",
        lot_lines,
    )
    _copy(
        cursor,
        "ledger_realizedgain",
        "account_id, instrument_id, closed_by_id, open_date, close_date, quantity, "
        "open_price, close_price, pnl",
        gain_lines,
    )
    cursor.execute(
        "UPDATE ledger_position p SET quantity = t.q, cost = t.c, "
        "realized_pnl = p.realized_pnl + t.r "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[]) "
        "AS t(a, i, q, c, r) WHERE p.account_id = t.a AND p.instrument_id = t.i",
        list(positions),
    )
