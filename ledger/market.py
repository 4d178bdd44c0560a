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
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT instrument_id, close, rn FROM ("
            " SELECT instrument_id, close, row_number() OVER"
            "  (PARTITION BY instrument_id ORDER BY date DESC) AS rn"
            " FROM ledger_price WHERE instrument_id = ANY(%s) AND date <= %s"
            "  AND date > %s::date - 30"
            ") t WHERE rn <= 2",
            [ids, as_of, as_of],
        )
        out: dict[int, list[Decimal]] = {}
        for instrument_id, close, rn in cursor.fetchall():
            out.setdefault(instrument_id, [None, None])[rn - 1] = close
    missing = [i for i in ids if i not in out]
    if missing:  # no price in the last month: take the last one ever
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT ON (instrument_id) instrument_id, close FROM ledger_price "
                "WHERE instrument_id = ANY(%s) AND date <= %s ORDER BY instrument_id, date DESC",
                [missing, as_of],
            )
            for instrument_id, close in cursor.fetchall():
                out[instrument_id] = [close, close]
    return {k: (v[0], v[1] if v[1] is not None else v[0]) for k, v in out.items()}


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
