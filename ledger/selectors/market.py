"""Market data: instruments, closes and FX rates as of a day (the last on or before it).

Market data is the same for every tenant; the public reads take `tenant=` all the same, like
every read of `ledger.selectors`, so a caller never has to know which reads are shared."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Case, OuterRef, Q, Subquery, When
from django.utils import timezone

from ledger.models import Instrument, Price

ONE = Decimal(1)


# The last two USD rates of each currency on or before a day (param: the day).
USD_RATES_SQL = (
    "SELECT currency, usd_per_unit, rn FROM ("
    " SELECT currency, usd_per_unit, row_number() OVER"
    "  (PARTITION BY currency ORDER BY date DESC) AS rn"
    " FROM ledger_fxrate WHERE date <= %s) t WHERE rn <= 2"
)


def usd_rates_from(rows) -> dict[str, tuple[Decimal, Decimal]]:
    """The table of `usd_rates_as_of` from the rows of `USD_RATES_SQL`."""
    out: dict[str, list[Decimal]] = {}
    for currency, rate, rn in rows:
        out.setdefault(currency, [None, None])[rn - 1] = rate
    table = {k: (v[0], v[1] if v[1] is not None else v[0]) for k, v in out.items()}
    table["USD"] = (ONE, ONE)
    return table


def usd_rates_as_of(*, as_of: date) -> dict[str, tuple[Decimal, Decimal]]:
    """currency → (USD per unit on `as_of`, the rate of the day before that)."""
    with connection.cursor() as cursor:
        cursor.execute(USD_RATES_SQL, [as_of])
        return usd_rates_from(cursor.fetchall())


def fx_usd_rates_for(*, tenant, as_of: date) -> dict[str, Decimal]:
    """currency → USD per unit on `as_of` (the last rate on or before it); USD is 1."""
    return {currency: rates[0] for currency, rates in usd_rates_as_of(as_of=as_of).items()}


def instrument_get(*, tenant, instrument_id: int) -> Instrument | None:
    """The instrument `instrument_id` (shared reference data), or None."""
    return Instrument.objects.filter(pk=instrument_id).first()


def last_close_for(*, tenant, instrument_id: int) -> Decimal | None:
    """The instrument's latest close (market data is shared: `tenant` may be None)."""
    return (
        Price.objects.filter(instrument_id=instrument_id)
        .order_by("-date")
        .values_list("close", flat=True)
        .first()
    )


def instruments_search(*, tenant, query: str, limit: int = 12) -> list[Instrument]:
    """Instruments by symbol (exact first, then by prefix) or name, with their latest close
    (`latest_close`, `latest_date`); instruments are shared reference data. One query."""
    query = query.strip()
    if not query:
        return []
    latest = Price.objects.filter(instrument_id=OuterRef("pk")).order_by("-date")
    return list(
        Instrument.objects.filter(Q(symbol__istartswith=query) | Q(description__icontains=query))
        .annotate(
            latest_close=Subquery(latest.values("close")[:1]),
            latest_date=Subquery(latest.values("date")[:1]),
            exact=Case(When(symbol__iexact=query, then=0), default=1),
        )
        .order_by("exact", "symbol", "exchange", "id")[:limit]
    )


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


@dataclass(frozen=True)
class MissingPrice:
    """A holding of the tenant's accounts that cannot be valued on `as_of`: no close of the
    instrument on or before that day, or no FX rate of its currency (USD aside)."""

    instrument_id: int
    symbol: str
    conid: int | None
    currency: str
    accounts: int  # how many of the tenant's accounts hold it
    missing: str  # "price" or "fx"


_MISSING = (
    "SELECT i.id, i.symbol, i.conid, i.currency, count(*), "
    "NOT EXISTS (SELECT 1 FROM ledger_price px WHERE px.instrument_id = i.id AND px.date <= %s), "
    "i.currency <> 'USD' AND NOT EXISTS (SELECT 1 FROM ledger_fxrate r "
    "WHERE r.currency = i.currency AND r.date <= %s) "
    "FROM ledger_position p JOIN ledger_account a ON a.id = p.account_id "
    "JOIN ledger_instrument i ON i.id = p.instrument_id "
    "WHERE a.tenant_id = %s AND p.quantity <> 0 GROUP BY i.id ORDER BY i.symbol, i.id"
)


def missing_prices_for(*, tenant, as_of: date | None = None) -> list[MissingPrice]:
    """The instruments the tenant's accounts hold that have no close (or no FX rate) on or
    before `as_of` (default today): an exception to show, never a value of zero. One query."""
    day = as_of or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(_MISSING, [day, day, tenant.pk])
        rows = cursor.fetchall()
    out = []
    for pk, symbol, conid, currency, accounts, no_price, no_fx in rows:
        if no_price or no_fx:
            out.append(
                MissingPrice(pk, symbol, conid, currency, accounts, "price" if no_price else "fx")
            )
    return out


def missing_prices_count(*, tenant, as_of: date | None = None) -> int:
    """How many held instruments of the tenant cannot be valued on `as_of` (see
    `missing_prices_for`), for the staff dashboard."""
    return len(missing_prices_for(tenant=tenant, as_of=as_of))
