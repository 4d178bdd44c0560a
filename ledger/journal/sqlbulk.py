"""Set-based writes shared by the journal, the execution import and bulk cash entries: COPY
of text rows, and the set-based fold of new lot events into the stored tax lots, realized
gains and positions."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models.expressions import RawSQL
from psycopg.copy import QueuedLibpqWriter

from ledger.domain.lots import (
    Closed,
    Lot,
    lots_apply,
    lots_cost,
    lots_quantity,
    pair_events_replay,
)
from ledger.journal.projections import pair_events_load_many

ZERO = Decimal(0)
COPY_BLOCK = 10_000


def text(value: str) -> str:
    """A value escaped for COPY's text format."""
    if value.isprintable() and "\\" not in value:
        return value  # no tab, newline or backslash: nothing to escape
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_rows(cursor, table: str, columns: str, lines) -> None:
    """COPY tab-separated text `lines` (each ending in a newline) into `table`, in blocks, so
    the server inserts while the caller is still producing lines (`lines` may be a generator).

    PostgreSQL refuses COPY FROM into a table whose row-level security binds the current role
    (the ledger's tables for the application's role, migration 0014): there the same rows go
    in by INSERT, through the policies."""
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    raw = getattr(cursor, "cursor", cursor)  # psycopg's own cursor under Django's wrapper
    if table in ROW_SECURED and _row_security_binds(raw, table):
        _rows_insert(raw, table, columns, itertools.chain([first], iterator))
        return
    with raw.copy(f"COPY {table} ({columns}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
        block = [first]
        for line in iterator:
            block.append(line)
            if len(block) >= COPY_BLOCK:
                copy.write("".join(block))
                block = []
        if block:
            copy.write("".join(block))


# The ledger's tables with row-level security (ledger migrations 0008 and 0014).
ROW_SECURED = frozenset(
    {
        "ledger_account",
        "ledger_journalentry",
        "ledger_posting",
        "ledger_position",
        "ledger_cashbalance",
        "ledger_taxlot",
        "ledger_realizedgain",
        "ledger_navsnapshot",
    }
)
_COPY_ESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
_COPY_ESCAPE = re.compile(r"\\[\\tnr]")


def _row_security_binds(raw, table: str) -> bool:
    """One round trip beside the COPY it decides; the owner (migrations, the bulk import) and
    superusers get False."""
    raw.execute("SELECT row_security_active(%s)", [table])
    return bool(raw.fetchone()[0])


def _copy_field(value: str) -> str | None:
    if value == "\\N":
        return None
    return _COPY_ESCAPE.sub(lambda m: _COPY_ESCAPES[m.group()], value)


def _rows_insert(raw, table: str, columns: str, lines) -> None:
    """The rows of COPY text `lines` by INSERT, COPY_BLOCK rows per statement, each row a JSON
    object that PostgreSQL converts to the table's column types."""
    names = [name.strip() for name in columns.split(",")]
    rows = (
        dict(zip(names, map(_copy_field, line.split("\t")), strict=True))
        for line in "".join(lines).split("\n")
        if line
    )
    statement = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608 - constant names
        f"FROM json_populate_recordset(NULL::{table}, %s::json)"
    )
    while block := list(itertools.islice(rows, COPY_BLOCK)):
        raw.execute(statement, [json.dumps(block)])


def array(values) -> str:
    """A PostgreSQL array literal of numbers or ids (cast it in the query: `%s::numeric[]`).
    Formatting the literal here is far cheaper than adapting a long list element by element."""
    return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"


def text_array(values) -> str:
    """A PostgreSQL array literal of strings (cast it in the query: `%s::text[]`)."""
    return (
        '{"' + '","'.join([v.replace("\\", "\\\\").replace('"', '\\"') for v in values]) + '"}'
        if values
        else "{}"
    )


def ids_in(ids) -> RawSQL:
    """For `.filter(pk__in=ids_in(ids))`: one array parameter, not one placeholder per id (a
    block allocation checks thousands of accounts)."""
    return RawSQL("SELECT unnest(%s::bigint[])", [array(ids)])


def entry_ids_reserve(cursor, count: int) -> list[int]:
    """Ids for `count` journal entries about to be written by COPY."""
    cursor.execute(
        "SELECT nextval('ledger_journalentry_id_seq') FROM generate_series(1, %s)", [count]
    )
    return [row[0] for row in cursor.fetchall()]


def cash_add(cursor, cash: dict[tuple[int, str], Decimal]) -> dict[tuple[int, str], Decimal]:
    """Add {(account id, currency): amount} to the cash balances, rows created and locked in
    (account, currency) order (the order every writer uses, so none deadlock); returns the new
    balances."""
    if not cash:
        return {}
    keys = sorted(cash)
    cursor.execute(
        "INSERT INTO ledger_cashbalance AS b (account_id, currency, quantity) "
        "SELECT a, c, q FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[]) AS t(a, c, q) "
        "ORDER BY a, c "
        "ON CONFLICT (account_id, currency) DO UPDATE SET quantity = b.quantity + "
        "EXCLUDED.quantity RETURNING account_id, currency, quantity",
        [array(k[0] for k in keys), array(k[1] for k in keys), array(cash[k] for k in keys)],
    )
    return {(a, c): q for a, c, q in cursor.fetchall()}


def _lot_line(pair, lot: Lot) -> str:
    return (
        f"{pair[0]}\t{pair[1]}\t{lot.entry_id}\t{lot.open_date}\t{lot.sequence}\t"
        f"{lot.quantity}\t{lot.price}\n"
    )


def _gain_line(pair, c: Closed) -> str:
    return (
        f"{pair[0]}\t{pair[1]}\t{c.entry_id}\t{c.open_date}\t{c.close_date}\t"
        f"{c.quantity}\t{c.open_price}\t{c.close_price}\t{c.pnl}\n"
    )


def _lots_and_gains_copy(cursor, lot_lines: list[str], gain_lines: list[str]) -> None:
    copy_rows(
        cursor,
        "ledger_taxlot",
        "account_id, instrument_id, opened_by_id, open_date, sequence, quantity, price",
        lot_lines,
    )
    copy_rows(
        cursor,
        "ledger_realizedgain",
        "account_id, instrument_id, closed_by_id, open_date, close_date, quantity, "
        "open_price, close_price, pnl",
        gain_lines,
    )


@dataclass(slots=True)
class LotEvent:
    """A signed quantity change of one (account, instrument) pair at a price, by an entry."""

    entry_id: int
    quantity: Decimal
    price: Decimal
    on: date
    multiplier: Decimal
    cost: Decimal = ZERO
    acquired: date | None = None
    carried: bool = False


def _positions_lock(cursor, account_ids: list[int], instrument_ids: list[int]) -> None:
    """Create missing positions, then lock them all (without rewriting them) in (account,
    instrument) order before their lots are read, so a concurrent booking on a pair waits."""
    cursor.execute(
        "INSERT INTO ledger_position (account_id, instrument_id, quantity, cost, realized_pnl) "
        "SELECT a, i, 0, 0, 0 FROM unnest(%s::bigint[], %s::bigint[]) AS t(a, i) "
        "ON CONFLICT (account_id, instrument_id) DO NOTHING RETURNING account_id, instrument_id",
        [array(account_ids), array(instrument_ids)],
    )
    # Rows this transaction just inserted are its own already; only the others need locking.
    created = set(cursor.fetchall())
    if len(created) == len(account_ids):
        return
    pairs = [p for p in zip(account_ids, instrument_ids, strict=True) if p not in created]
    cursor.execute(
        "SELECT 1 FROM ledger_position p JOIN unnest(%s::bigint[], %s::bigint[]) AS t(a, i) "
        "ON p.account_id = t.a AND p.instrument_id = t.i ORDER BY p.account_id, p.instrument_id "
        "FOR UPDATE OF p",
        [array(p[0] for p in pairs), array(p[1] for p in pairs)],
    )


def _pair_fold(
    pair, events, lots, lot_lines, gain_lines, gone, changed, positions, quantities
) -> None:
    # A lot is known by (sequence, opening entry): sequences restart once a pair is flat.
    before = {(lot.sequence, lot.entry_id): lot.quantity for lot in lots}
    realized = ZERO
    for event in events:
        lots, closed = lots_apply(
            lots,
            quantity=event.quantity,
            price=event.price,
            on=event.on,
            entry_id=event.entry_id,
            multiplier=event.multiplier,
            cost=event.cost,
            acquired=event.acquired,
            carried=event.carried,
        )
        for c in closed:
            realized += c.pnl
            gain_lines.append(_gain_line(pair, c))
    after = set()
    for lot in lots:
        key = (lot.sequence, lot.entry_id)
        after.add(key)
        if key not in before:
            lot_lines.append(_lot_line(pair, lot))
        elif before[key] != lot.quantity:
            for column, value in zip(changed, (*pair, lot.sequence, lot.quantity), strict=True):
                column.append(value)
    for sequence, _ in before.keys() - after:
        for column, value in zip(gone, (*pair, sequence), strict=True):
            column.append(value)
    quantity = lots_quantity(lots)
    quantities[pair] = quantity
    for column, value in zip(
        positions, (pair[0], pair[1], quantity, lots_cost(lots), realized), strict=True
    ):
        column.append(value)


def pairs_fold(cursor, by_pair: dict[tuple[int, int], list[LotEvent]], *, during=None) -> dict:
    """Fold new events (in booking order per pair) into the stored lots of each pair, with a
    fixed number of statements whatever the number of pairs: positions are created and locked
    in (account, instrument) order, the pairs' lots read in one query, folded with the pure
    `ledger.domain.lots` functions, and only the lots that changed written back.

    `during(steps)`, if given, is called between the read and the write with the fold as an
    iterator of steps (one per pair): the caller may advance it while the database works on
    something else on the same connection (a COPY), so the two overlap. Steps it leaves are
    run afterwards.

    Returns {pair: new position quantity}."""
    if not by_pair:
        if during is not None:
            during(iter(()))
        return {}
    pairs = sorted(by_pair)
    account_ids = [p[0] for p in pairs]
    instrument_ids = [p[1] for p in pairs]
    _positions_lock(cursor, account_ids, instrument_ids)
    cursor.execute(
        "SELECT l.account_id, l.instrument_id, l.quantity, l.price, l.open_date, "
        "l.opened_by_id, l.sequence FROM ledger_taxlot l "
        "JOIN unnest(%s::bigint[], %s::bigint[]) AS t(a, i) "
        "ON l.account_id = t.a AND l.instrument_id = t.i ORDER BY 1, 2, l.sequence",
        [array(account_ids), array(instrument_ids)],
    )
    lots_by_pair: dict[tuple[int, int], list[Lot]] = defaultdict(list)
    for account_id, instrument_id, qty, price, open_date, entry_id, seq in cursor.fetchall():
        lots_by_pair[(account_id, instrument_id)].append(Lot(qty, price, open_date, entry_id, seq))
    lot_lines, gain_lines = [], []
    gone, changed = ([], [], []), ([], [], [], [])  # only the lots that changed are written
    positions = ([], [], [], [], [])
    quantities = {}

    def steps():
        for pair in pairs:
            _pair_fold(
                pair,
                by_pair[pair],
                lots_by_pair.get(pair, []),
                lot_lines,
                gain_lines,
                gone,
                changed,
                positions,
                quantities,
            )
            yield pair

    fold = steps()
    if during is not None:
        during(fold)
    for _ in fold:
        pass
    if gone[0]:
        cursor.execute(
            "DELETE FROM ledger_taxlot l "
            "USING unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS t(a, i, s) "
            "WHERE l.account_id = t.a AND l.instrument_id = t.i AND l.sequence = t.s",
            [array(column) for column in gone],
        )
    if changed[0]:
        cursor.execute(
            "UPDATE ledger_taxlot l SET quantity = t.q "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[]) "
            "AS t(a, i, s, q) "
            "WHERE l.account_id = t.a AND l.instrument_id = t.i AND l.sequence = t.s",
            [array(column) for column in changed],
        )
    _lots_and_gains_copy(cursor, lot_lines, gain_lines)
    cursor.execute(
        "UPDATE ledger_position p SET quantity = t.q, cost = t.c, "
        "realized_pnl = p.realized_pnl + t.r "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[]) "
        "AS t(a, i, q, c, r) WHERE p.account_id = t.a AND p.instrument_id = t.i",
        [array(column) for column in positions],
    )
    return quantities


def pairs_rebuild(cursor, pairs) -> dict:
    """Rebuild the lots, realized gains and positions of `pairs` from their whole history in
    the journal (reversed entries and their reversals left out), with a fixed number of
    statements whatever the number of pairs. Used when an entry is reversed.

    Returns {pair: new position quantity}."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    account_ids = [p[0] for p in pairs]
    instrument_ids = [p[1] for p in pairs]
    _positions_lock(cursor, account_ids, instrument_ids)
    events = pair_events_load_many(sorted(set(account_ids)), sorted(set(instrument_ids)))
    cursor.execute(
        "SELECT id, multiplier FROM ledger_instrument WHERE id = ANY(%s::bigint[])",
        [array(set(instrument_ids))],
    )
    multipliers = dict(cursor.fetchall())
    lot_lines, gain_lines = [], []
    positions = ([], [], [], [], [])
    quantities = {}
    for pair in pairs:
        lots, closed = pair_events_replay(events.get(pair, []), multiplier=multipliers[pair[1]])
        for lot in lots:
            lot_lines.append(_lot_line(pair, lot))
        for c in closed:
            gain_lines.append(_gain_line(pair, c))
        quantity = lots_quantity(lots)
        quantities[pair] = quantity
        realized = sum((c.pnl for c in closed), ZERO)
        for column, value in zip(
            positions, (pair[0], pair[1], quantity, lots_cost(lots), realized), strict=True
        ):
            column.append(value)
    for table in ("ledger_taxlot", "ledger_realizedgain"):
        cursor.execute(
            f"DELETE FROM {table} x USING unnest(%s::bigint[], %s::bigint[]) AS t(a, i) "  # noqa: S608
            "WHERE x.account_id = t.a AND x.instrument_id = t.i",
            [array(account_ids), array(instrument_ids)],
        )
    _lots_and_gains_copy(cursor, lot_lines, gain_lines)
    cursor.execute(
        "UPDATE ledger_position p SET quantity = t.q, cost = t.c, realized_pnl = t.r "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[]) "
        "AS t(a, i, q, c, r) WHERE p.account_id = t.a AND p.instrument_id = t.i",
        [array(column) for column in positions],
    )
    return quantities
