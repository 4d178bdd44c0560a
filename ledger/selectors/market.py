"""Market data: instruments, closes and FX rates as of a day (the last on or before it).

Market data is the same for every tenant; the public reads take `tenant=` all the same, like
every read of `ledger.selectors`, so a caller never has to know which reads are shared."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection

from ledger.models import Instrument, Price

ONE = Decimal(1)


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


def instruments_by_symbol(*, tenant, symbols: Iterable[str]) -> dict[str, Instrument]:
    """symbol → instrument, for the symbols the ledger knows."""
    return {i.symbol: i for i in Instrument.objects.filter(symbol__in=list(symbols))}


def benchmark_closes_for(
    *, tenant, symbol: str, start: date, end: date
) -> list[tuple[date, Decimal]]:
    """(day, close) of the instrument `symbol` over [start, end], oldest first; empty when the
    ledger does not know it."""
    return list(
        Price.objects.filter(
            instrument__in=Instrument.objects.filter(symbol=symbol), date__range=(start, end)
        )
        .order_by("date")
        .values_list("date", "close")
    )
