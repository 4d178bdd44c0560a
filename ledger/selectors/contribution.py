"""Contribution to return by position and by asset class over a range (base currency).

A position's P&L over (start, end] = its market value at end − at start − the cash its trades
cost in the range (principal and commissions; a sale brings cash in). Contribution = that P&L
over the Modified Dietz average capital of the range (start NAV + half the net flows), so the
parts add up to the period's Modified Dietz return; what no position explains (interest, fees,
dividends, FX on cash) is reported as "Cash and other"."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection

from ledger.domain.fx import fx_factor
from ledger.domain.performance import DayPoint, contribution
from ledger.selectors.market import usd_rates_as_of

ZERO = Decimal(0)
OTHER = "Cash and other"


def _values(ids: list[int], on: date, base: str, rates) -> dict[int, tuple[str, str, Decimal]]:
    """instrument id → (symbol, asset class, market value in base) held on `on`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT h.instrument_id, i.symbol, i.asset_class, i.currency, i.multiplier, "
            "h.quantity, (SELECT close FROM ledger_price WHERE instrument_id = h.instrument_id "
            "AND date <= %s ORDER BY date DESC LIMIT 1) FROM (SELECT p.instrument_id, "
            "SUM(p.quantity) AS quantity FROM ledger_posting p JOIN ledger_journalentry e "
            "ON e.id = p.entry_id WHERE p.account_id = ANY(%s) AND p.instrument_id IS NOT NULL "
            "AND e.trade_date <= %s GROUP BY 1) h JOIN ledger_instrument i "
            "ON i.id = h.instrument_id",
            [on, ids, on],
        )
        return {
            inst: (
                symbol,
                cls,
                qty * (close or ZERO) * mult * fx_factor(rates, currency=ccy, base=base),
            )
            for inst, symbol, cls, ccy, mult, qty, close in cursor.fetchall()
        }


def _trade_cash(ids: list[int], start: date, end: date, base: str, rates) -> dict[int, Decimal]:
    """instrument id → cash paid (−) or received (+) by its trades in (start, end]."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT leg.instrument_id, c.currency, SUM(c.quantity) FROM ledger_posting leg "
            "JOIN ledger_journalentry e ON e.id = leg.entry_id "
            "JOIN ledger_posting c ON c.entry_id = leg.entry_id AND c.account_id = leg.account_id "
            "AND c.currency <> '' WHERE leg.account_id = ANY(%s) AND leg.instrument_id IS NOT NULL "
            "AND e.kind IN ('trade', 'reversal') AND e.trade_date > %s AND e.trade_date <= %s "
            "GROUP BY 1, 2",
            [ids, start, end],
        )
        out: dict[int, Decimal] = defaultdict(Decimal)
        for inst, ccy, amount in cursor.fetchall():
            out[inst] += amount * fx_factor(rates, currency=ccy, base=base)
        return out


def contributions_for_ids(
    *, account_ids: list[int], base: str, start: date, end: date, points: list[DayPoint]
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(by asset class, by position symbol), each as a share of average capital."""
    if len(points) < 2 or not account_ids:
        return {}, {}
    start_rates, end_rates = usd_rates_as_of(as_of=start), usd_rates_as_of(as_of=end)
    before = _values(account_ids, start, base, start_rates)
    after = _values(account_ids, end, base, end_rates)
    cash = _trade_cash(account_ids, start, end, base, end_rates)
    by_position: dict[str, Decimal] = defaultdict(Decimal)
    by_class: dict[str, Decimal] = defaultdict(Decimal)
    for inst in set(before) | set(after) | set(cash):
        symbol, cls, _ = after.get(inst) or before.get(inst) or (str(inst), "", ZERO)
        pnl = (
            after.get(inst, ("", "", ZERO))[2]
            - before.get(inst, ("", "", ZERO))[2]
            + cash.get(inst, ZERO)
        )
        by_position[symbol] += pnl
        by_class[cls or OTHER] += pnl
    flows = sum((p.flow for p in points[1:]), ZERO)
    total = points[-1].nav - points[0].nav - flows
    by_class[OTHER] += total - sum(by_class.values(), ZERO)
    average = points[0].nav + flows / 2
    return (
        contribution(pnl_by_key=dict(by_class), average_capital=average),
        contribution(pnl_by_key=dict(by_position), average_capital=average),
    )
