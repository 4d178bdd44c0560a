"""NAV history: each client account's net liquidation value at the close of each weekday, with
that day's external flows and P&L, in its base currency.

`nav_snapshots_rebuild` recomputes any date range from the journal (opening holdings by one
aggregate query, then the range's postings applied day by day) and replaces the stored rows of
that range in bulk. The nightly task calls it for the day just closed.

External flows: deposits, withdrawals, internal cash transfers and position transfers (at the
transfer price). Dividends, interest, fees and trading are returns, not flows.
P&L of a day = NAV − previous NAV − flows.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction

from ledger.journal.sqlbulk import copy_rows
from ledger.models import Account

ZERO = Decimal(0)
ONE = Decimal(1)
Q8 = Decimal("0.00000001")
FLOW_KINDS = ("deposit", "withdrawal", "cash_transfer", "position_transfer")


def _weekdays(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _series(sql: str, params, start: date, end: date) -> dict:
    """key → {day: value} filled forward over [start, end], from (key, date, value) rows."""
    raw: dict = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for key, day, value in cursor.fetchall():
            raw[key].append((day, value))
    out = {}
    for key, rows in raw.items():
        rows.sort()
        filled, index, last = {}, 0, None
        day = start
        while day <= end:
            while index < len(rows) and rows[index][0] <= day:
                last = rows[index][1]
                index += 1
            if last is not None:
                filled[day] = last
            day += timedelta(days=1)
        out[key] = filled
    return out


@transaction.atomic
def nav_snapshots_rebuild(*, start: date, end: date, account_ids: list[int] | None = None) -> int:
    accounts = Account.objects.exclude(account_type=Account.Type.PLATFORM)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    accounts = list(accounts.values_list("pk", "base_currency"))
    ids = [pk for pk, _ in accounts]
    days = _weekdays(start, end)
    if not ids or not days:
        return 0
    holdings: dict[int, dict] = defaultdict(lambda: defaultdict(Decimal))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, p.instrument_id, p.currency, SUM(p.quantity) "
            "FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id "
            "WHERE p.account_id = ANY(%s) AND e.trade_date < %s GROUP BY 1, 2, 3",
            [ids, start],
        )
        for account_id, instrument_id, currency, qty in cursor.fetchall():
            holdings[account_id][instrument_id or currency] += qty
        cursor.execute(
            "SELECT e.trade_date, p.account_id, p.instrument_id, p.currency, p.quantity, "
            "p.price, e.kind FROM ledger_posting p JOIN ledger_journalentry e "
            "ON e.id = p.entry_id WHERE p.account_id = ANY(%s) AND e.trade_date BETWEEN %s AND %s "
            "ORDER BY e.trade_date",
            [ids, start, end],
        )
        postings = cursor.fetchall()
        cursor.execute("SELECT id, currency, multiplier FROM ledger_instrument")
        instruments = {pk: (ccy, mult) for pk, ccy, mult in cursor.fetchall()}
        cursor.execute(
            "SELECT account_id, nav FROM ledger_navsnapshot WHERE account_id = ANY(%s) "
            "AND date = (SELECT MAX(date) FROM ledger_navsnapshot s WHERE s.account_id = "
            "ledger_navsnapshot.account_id AND s.date < %s)",
            [ids, start],
        )
        previous = dict(cursor.fetchall())
    lookback = start - timedelta(days=14)
    closes = _series(
        "SELECT instrument_id, date, close FROM ledger_price WHERE date BETWEEN %s AND %s",
        [lookback, end],
        start,
        end,
    )
    usd = _series(
        "SELECT currency, date, usd_per_unit FROM ledger_fxrate WHERE date BETWEEN %s AND %s",
        [lookback, end],
        start,
        end,
    )

    def usd_per(currency: str, day: date) -> Decimal:
        return ONE if currency == "USD" else usd[currency][day]

    buffer = io.StringIO()
    count, cursor_index = 0, 0
    flows: dict[int, Decimal] = defaultdict(Decimal)
    base_of = dict(accounts)
    for day in days:
        while cursor_index < len(postings) and postings[cursor_index][0] <= day:
            _, account_id, instrument_id, currency, qty, price, kind = postings[cursor_index]
            cursor_index += 1
            holdings[account_id][instrument_id or currency] += qty
            if kind in FLOW_KINDS:
                if instrument_id:
                    ccy, mult = instruments[instrument_id]
                    value = qty * (price or ZERO) * mult
                else:
                    ccy, value = currency, qty
                base = base_of[account_id]
                flows[account_id] += value * usd_per(ccy, day) / usd_per(base, day)
        for account_id, base in accounts:
            base_usd = usd_per(base, day)
            cash = positions = ZERO
            for asset, qty in holdings.get(account_id, {}).items():
                if not qty:
                    continue
                if isinstance(asset, str):
                    cash += qty * usd_per(asset, day) / base_usd
                else:
                    ccy, mult = instruments[asset]
                    price = closes.get(asset, {}).get(day, ZERO)
                    positions += qty * price * mult * usd_per(ccy, day) / base_usd
            nav = (cash + positions).quantize(Q8)
            if nav == 0 and account_id not in previous and not flows.get(account_id):
                continue  # nothing yet in the account
            flow = flows.pop(account_id, ZERO).quantize(Q8)
            pnl = nav - previous.get(account_id, ZERO) - flow
            previous[account_id] = nav
            buffer.write(
                f"{account_id}\t{day}\t{nav}\t{cash.quantize(Q8)}\t{positions.quantize(Q8)}"
                f"\t{flow}\t{pnl}\n"
            )
            count += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM ledger_navsnapshot WHERE account_id = ANY(%s) AND date BETWEEN %s AND %s",
            [ids, start, end],
        )
        copy_rows(
            cursor,
            "ledger_navsnapshot",
            "account_id, date, nav, cash, positions_value, flows, pnl",
            [buffer.getvalue()],
        )
    return count


def nav_snapshot_take(*, on: date, account_ids: list[int] | None = None) -> int:
    """The day's snapshot of every account (or the given ones)."""
    return nav_snapshots_rebuild(start=on, end=on, account_ids=account_ids)
