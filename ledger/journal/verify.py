"""Prove the projections: rebuild cash, positions, lots and realized gains from the journal and
list every difference from the stored rows (empty list = all agree). Also checks that every
entry balances per asset, and that no journal or lot row names a missing account, instrument
or entry (their foreign keys are kept by the application, see `ledger.models.Posting`)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection

from ledger.domain.lots import PairEvent, lots_cost, lots_quantity, pair_events_replay

ZERO = Decimal(0)


def _rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _scope(account_ids) -> list:
    ids = None if account_ids is None else list(account_ids)
    return [ids, ids]


def _unbalanced(account_ids=None) -> list[str]:
    params = _scope(account_ids)
    rows = _rows(
        "SELECT entry_id, COALESCE(instrument_id::text, currency), SUM(quantity) "
        "FROM ledger_posting WHERE entry_id IN (SELECT s.entry_id FROM ledger_posting s WHERE "
        "(%s::bigint[] IS NULL OR s.account_id = ANY(%s))) "
        "GROUP BY 1, 2 HAVING SUM(quantity) <> 0 ORDER BY 1 LIMIT 100",
        params,
    )
    return [f"entry #{e} does not balance in {asset}: {total}" for e, asset, total in rows]


ORPHANS = (
    ("ledger_posting", "account_id", "ledger_account"),
    ("ledger_posting", "instrument_id", "ledger_instrument"),
    ("ledger_posting", "entry_id", "ledger_journalentry"),
    ("ledger_taxlot", "account_id", "ledger_account"),
    ("ledger_taxlot", "instrument_id", "ledger_instrument"),
    ("ledger_taxlot", "opened_by_id", "ledger_journalentry"),
    ("ledger_realizedgain", "account_id", "ledger_account"),
    ("ledger_realizedgain", "instrument_id", "ledger_instrument"),
    ("ledger_realizedgain", "closed_by_id", "ledger_journalentry"),
)

KEYS = {"ledger_posting": "t.entry_id || '/' || t.leg"}


def _orphans(account_ids=None) -> list[str]:
    params = _scope(account_ids)
    found = []
    for table, column, target in ORPHANS:
        rows = _rows(
            # A posting is known by entry and leg, lots and gains by id.
            f"SELECT {KEYS.get(table, 't.id')}, t.{column} FROM {table} t "  # noqa: S608
            f"WHERE t.{column} IS NOT NULL "
            f"AND (%s::bigint[] IS NULL OR t.account_id = ANY(%s)) "
            f"AND NOT EXISTS (SELECT 1 FROM {target} x WHERE x.id = t.{column}) LIMIT 100",
            params,
        )
        found += [f"{table} #{pk} names a missing {target} #{ref}" for pk, ref in rows]
    return found


def _cash_differences(account_ids=None) -> list[str]:
    params = _scope(account_ids)
    rows = _rows(
        "SELECT COALESCE(j.account_id, c.account_id), COALESCE(j.currency, c.currency), "
        "COALESCE(j.total, 0), COALESCE(c.quantity, 0) FROM ("
        " SELECT p.account_id, p.currency, SUM(p.quantity) AS total FROM ledger_posting p"
        " JOIN ledger_account a ON a.id = p.account_id"
        " WHERE p.currency <> '' AND a.account_type <> 'platform' GROUP BY 1, 2"
        ") j FULL OUTER JOIN ledger_cashbalance c"
        " ON c.account_id = j.account_id AND c.currency = j.currency"
        " WHERE COALESCE(j.total, 0) <> COALESCE(c.quantity, 0) AND (%s::bigint[] IS NULL"
        " OR COALESCE(j.account_id, c.account_id) = ANY(%s)) LIMIT 100",
        params,
    )
    return [f"cash of account {a} in {ccy}: journal {j}, projection {c}" for a, ccy, j, c in rows]


def _position_differences(account_ids=None) -> list[str]:
    params = _scope(account_ids)
    events: dict[tuple[int, int], list[PairEvent]] = defaultdict(list)
    multipliers = dict(_rows("SELECT id, multiplier FROM ledger_instrument"))
    split_seen: set[tuple[int, int, int]] = set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, p.instrument_id, e.id, e.kind, e.trade_date, p.quantity, "
            "p.price, e.split_ratio, p.cost, p.acquired, p.role FROM ledger_posting p "
            "JOIN ledger_journalentry e ON e.id = p.entry_id "
            "JOIN ledger_account a ON a.id = p.account_id "
            "WHERE p.instrument_id IS NOT NULL AND a.account_type <> 'platform' "
            "AND e.reverses_id IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM ledger_journalentry r WHERE r.reverses_id = e.id) "
            "AND (%s::bigint[] IS NULL OR p.account_id = ANY(%s)) ORDER BY e.id, p.leg",
            params,
        )
        for account_id, instrument_id, *event in cursor:
            event = PairEvent(*event)
            if event.kind == "stock_split":
                key = (account_id, instrument_id, event.entry_id)
                if key in split_seen:
                    continue
                split_seen.add(key)
            events[(account_id, instrument_id)].append(event)
    stored_positions = {
        (a, i): (q, c, r)
        for a, i, q, c, r in _rows(
            "SELECT account_id, instrument_id, quantity, cost, realized_pnl FROM ledger_position p"
            " WHERE (%s::bigint[] IS NULL OR p.account_id = ANY(%s))",
            params,
        )
    }
    stored_lots = defaultdict(list)
    for a, i, q, p, d, e, s in _rows(
        "SELECT account_id, instrument_id, quantity, price, open_date, opened_by_id, sequence "
        "FROM ledger_taxlot p WHERE (%s::bigint[] IS NULL OR p.account_id = ANY(%s)) "
        "ORDER BY account_id, instrument_id, sequence",
        params,
    ):
        stored_lots[(a, i)].append((q, p, d, e, s))
    stored_gains = defaultdict(list)
    for a, i, e, q, pnl in _rows(
        "SELECT account_id, instrument_id, closed_by_id, quantity, pnl FROM ledger_realizedgain p "
        "WHERE (%s::bigint[] IS NULL OR p.account_id = ANY(%s)) "
        "ORDER BY account_id, instrument_id, closed_by_id, id",
        params,
    ):
        stored_gains[(a, i)].append((e, q, pnl))
    # Journal quantities (including reversed entries, which net to zero).
    totals = {
        (a, i): q
        for a, i, q in _rows(
            "SELECT p.account_id, p.instrument_id, SUM(p.quantity) FROM ledger_posting p "
            "JOIN ledger_account a ON a.id = p.account_id "
            "WHERE p.instrument_id IS NOT NULL AND a.account_type <> 'platform' "
            "AND (%s::bigint[] IS NULL OR p.account_id = ANY(%s)) GROUP BY 1, 2",
            params,
        )
    }
    differences = []
    for pair in sorted(set(events) | set(stored_positions) | set(totals)):
        lots, closed = pair_events_replay(events.get(pair, []), multiplier=multipliers[pair[1]])
        rebuilt = (lots_quantity(lots), lots_cost(lots), sum((c.pnl for c in closed), ZERO))
        stored = stored_positions.get(pair, (ZERO, ZERO, ZERO))
        if rebuilt != stored or totals.get(pair, ZERO) != stored[0]:
            differences.append(
                f"position {pair}: journal {totals.get(pair, ZERO)}, rebuilt {rebuilt}, "
                f"projection {stored}"
            )
        lots_rebuilt = [
            (lot.quantity, lot.price, lot.open_date, lot.entry_id, lot.sequence) for lot in lots
        ]
        if lots_rebuilt != stored_lots.get(pair, []):
            differences.append(f"lots of {pair} differ from a rebuild")
        gains = sorted(((c.entry_id, c.quantity, c.pnl) for c in closed), key=lambda g: g[0])
        if gains != sorted(stored_gains.get(pair, []), key=lambda g: g[0]):
            differences.append(f"realized gains of {pair} differ from a rebuild")
    return differences


def ledger_verify(*, account_ids: list[int] | None = None) -> list[str]:
    """Differences between the journal and the projections (of the given accounts, or all)."""
    return (
        _orphans(account_ids)
        + _unbalanced(account_ids)
        + _cash_differences(account_ids)
        + _position_differences(account_ids)
    )
