"""Prices and FX rates as of a day (the last close on or before it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection

ONE = Decimal(1)


def closes_as_of(*, instrument_ids, as_of: date) -> dict[int, tuple[Decimal, Decimal]]:
    """instrument id → (last close on or before `as_of`, the close before that)."""
    ids = list(instrument_ids)
    if not ids:
        return {}
    out: dict[int, list[Decimal]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, p.close FROM unnest(%s::bigint[]) AS i(id) CROSS JOIN LATERAL ("
            " SELECT close, date FROM ledger_price WHERE instrument_id = i.id AND date <= %s"
            " ORDER BY date DESC LIMIT 2) p ORDER BY i.id, p.date DESC",
            [ids, as_of],
        )
        for instrument_id, close in cursor.fetchall():
            out.setdefault(instrument_id, []).append(close)
    return {k: (v[0], v[1] if len(v) > 1 else v[0]) for k, v in out.items()}


def usd_rates_as_of(*, as_of: date) -> dict[str, tuple[Decimal, Decimal]]:
    """currency → (USD per unit on `as_of`, the rate of the day before that)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT currency, usd_per_unit, rn FROM ("
            " SELECT currency, usd_per_unit, row_number() OVER"
            "  (PARTITION BY currency ORDER BY date DESC) AS rn"
            " FROM ledger_fxrate WHERE date <= %s) t WHERE rn <= 2",
            [as_of],
        )
        out: dict[str, list[Decimal]] = {}
        for currency, rate, rn in cursor.fetchall():
            out.setdefault(currency, [None, None])[rn - 1] = rate
    table = {k: (v[0], v[1] if v[1] is not None else v[0]) for k, v in out.items()}
    table["USD"] = (ONE, ONE)
    return table


def fx_factor(rates: dict, *, currency: str, base: str, prior: bool = False) -> Decimal:
    """Base units per unit of `currency`."""
    if currency == base:
        return ONE
    index = 1 if prior else 0
    try:
        return rates[currency][index] / rates[base][index]
    except KeyError:
        raise LookupError(f"No FX rate for {currency}/{base}.") from None
