"""Market data in: daily closes and FX rates from CSV files, from an IBKR Flex statement
(`OpenPositions/@markPrice`, `ConversionRates`) and from the providers of
`ledger.market_providers`. A close or rate given again for the same day replaces the old one;
every load bumps the market version the portal's cached figures are keyed by.

FX rates are stored as USD per unit of a currency (`FxRate`). A rate quoted between two other
currencies (a Flex statement in a EUR base quotes every currency in EUR) is converted through
the same day's USD rate of the quote currency."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from ledger.domain.lots import PX
from ledger.errors import ImportRefused
from ledger.journal.versions import market_touch
from ledger.models import FxRate, Instrument, Price
from ledger.reference import validate_currency

ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class PriceRow:
    """A close of an instrument given by conid, or by symbol (with exchange and currency where
    the symbol alone is ambiguous)."""

    on: date
    close: Decimal
    conid: int | None = None
    symbol: str = ""
    exchange: str = ""
    currency: str = ""
    # The day's traded volume where the source gives it (not stored; handed to subscribers).
    volume: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PriceTick:
    """A close just stored, as handed to the subscribers of `prices_loaded_subscribe`."""

    instrument_id: int
    on: date
    close: Decimal
    volume: Decimal | None = None


PricesSubscriber = Callable[[list[PriceTick] | None], None]
_price_subscribers: list[PricesSubscriber] = []


def prices_loaded_subscribe(subscriber: PricesSubscriber) -> None:
    """Call `subscriber` with the closes of every price load, and with None after every FX rate
    load (new rates move every holding in another currency), inside the load's transaction
    and after they are stored (the ledger imports no tenant app: trading's simulated venue
    and margin monitor subscribe from its `AppConfig.ready()`). A second registration is
    ignored. A subscriber that raises rolls the load back, so one that must not do so catches
    its own errors."""
    if subscriber not in _price_subscribers:
        _price_subscribers.append(subscriber)


@dataclass(frozen=True, slots=True)
class RateRow:
    """`rate` units of `to_currency` for one unit of `from_currency` at the close of `on`."""

    on: date
    from_currency: str
    to_currency: str
    rate: Decimal


@dataclass(frozen=True)
class MarketResult:
    written: int


def _number(raw: str, name: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError(f"{name} {raw!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name} {raw!r} must be positive")
    return value


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"date {raw!r} is not a date (YYYY-MM-DD)") from None


def price_rows_csv(stream: Iterable[str]) -> Iterator[PriceRow | Exception]:
    """Rows of a prices CSV: `date`, `close` and `conid` or `symbol` (optional `exchange`,
    `currency`)."""
    reader = csv.DictReader(stream)
    header = set(reader.fieldnames or [])
    if not {"date", "close"} <= header or not header & {"conid", "symbol"}:
        yield ValueError("header needs date, close and conid or symbol")
        return
    for record in reader:
        try:
            conid = (record.get("conid") or "").strip()
            if conid and not conid.isdigit():
                raise ValueError(f"conid {conid!r} is not a number")
            yield PriceRow(
                on=_day(record["date"] or ""),
                close=_number(record["close"] or "", "close"),
                conid=int(conid) if conid else None,
                symbol=(record.get("symbol") or "").strip(),
                exchange=(record.get("exchange") or "").strip(),
                currency=(record.get("currency") or "").strip().upper(),
            )
        except ValueError as exc:
            yield exc


def rate_rows_csv(stream: Iterable[str]) -> Iterator[RateRow | Exception]:
    """Rows of an FX CSV: `date`, `from_currency`, `to_currency`, `rate` (units of the `to`
    currency per unit of the `from` currency), or `date`, `currency`, `usd_per_unit`."""
    reader = csv.DictReader(stream)
    header = set(reader.fieldnames or [])
    pairwise = {"date", "from_currency", "to_currency", "rate"} <= header
    if not pairwise and not {"date", "currency", "usd_per_unit"} <= header:
        yield ValueError(
            "header needs date, from_currency, to_currency, rate (or date, currency, usd_per_unit)"
        )
        return
    for record in reader:
        try:
            if pairwise:
                row = RateRow(
                    _day(record["date"] or ""),
                    (record["from_currency"] or "").strip().upper(),
                    (record["to_currency"] or "").strip().upper(),
                    _number(record["rate"] or "", "rate"),
                )
            else:
                row = RateRow(
                    _day(record["date"] or ""),
                    (record["currency"] or "").strip().upper(),
                    "USD",
                    _number(record["usd_per_unit"] or "", "usd_per_unit"),
                )
            for code in (row.from_currency, row.to_currency):
                validate_currency(code)
            yield row
        except ValidationError as exc:
            yield ValueError("; ".join(exc.messages))
        except ValueError as exc:
            yield exc


class _Instruments:
    def __init__(self):
        self.by_conid = {}
        self.by_key: dict[tuple, list[int]] = defaultdict(list)
        for pk, conid, symbol, exchange, currency in Instrument.objects.values_list(
            "pk", "conid", "symbol", "exchange", "currency"
        ):
            if conid is not None:
                self.by_conid[conid] = pk
            # A set: with a blank exchange the keys coincide, and one instrument must not
            # count as two.
            for key in {
                (symbol, "", ""),
                (symbol, exchange, ""),
                (symbol, "", currency),
                (symbol, exchange, currency),
            }:
                self.by_key[key].append(pk)

    def find(self, row: PriceRow) -> int:
        if row.conid is not None:
            if row.conid not in self.by_conid:
                raise ValueError(f"unknown instrument conid {row.conid}")
            return self.by_conid[row.conid]
        found = self.by_key.get((row.symbol, row.exchange, row.currency), [])
        if not found:
            raise ValueError(f"unknown instrument {row.symbol!r}")
        if len(found) > 1:
            raise ValueError(
                f"{row.symbol!r} names {len(found)} instruments; give conid, exchange or currency"
            )
        return found[0]


def _refuse_or_rows(rows, convert) -> list:
    errors, good = [], []
    for number, row in enumerate(rows, start=1):
        try:
            if isinstance(row, Exception):
                raise row
            good.append(convert(row))
        except ValueError as exc:
            errors.append((number, str(exc)))
    if errors:
        raise ImportRefused(errors)
    return good


@transaction.atomic
def prices_load(*, rows: Iterable[PriceRow | Exception]) -> MarketResult:
    """Store the closes of `rows`, or none: a bad row refuses the file, every bad row listed."""
    instruments = _Instruments()
    closes, volumes = {}, {}
    for instrument_id, on, close, volume in _refuse_or_rows(
        rows, lambda row: (instruments.find(row), row.on, row.close.quantize(PX), row.volume)
    ):
        closes[(instrument_id, on)] = close
        volumes[(instrument_id, on)] = volume
    Price.objects.bulk_create(
        [Price(instrument_id=i, date=d, close=c) for (i, d), c in sorted(closes.items())],
        update_conflicts=True,
        unique_fields=["instrument", "date"],
        update_fields=["close"],
        batch_size=5000,
    )
    if closes:
        market_touch()
        ticks = [PriceTick(i, d, c, volumes[(i, d)]) for (i, d), c in sorted(closes.items())]
        for subscriber in list(_price_subscribers):
            subscriber(ticks)
    return MarketResult(len(closes))


def usd_rates_from(rows: list[RateRow]) -> dict[tuple[str, date], Decimal]:
    """(currency, day) → USD per unit, from rates quoted against USD or against a currency
    whose USD rate the same rows give that day (USD → EUR 0.9 gives EUR 1/0.9 USD, and then
    GBP → EUR 1.17 gives GBP 1.17/0.9 USD). Rates that cannot be brought to USD are refused."""
    out: dict[tuple[str, date], Decimal] = {}
    for row in rows:
        if row.to_currency == "USD" and row.from_currency != "USD":
            out[(row.from_currency, row.on)] = row.rate
        elif row.from_currency == "USD" and row.to_currency != "USD":
            out[(row.to_currency, row.on)] = ONE / row.rate
    for row in rows:
        if "USD" in (row.from_currency, row.to_currency) or row.from_currency == row.to_currency:
            continue
        quote = out.get((row.to_currency, row.on))
        if quote is None:
            raise ValueError(
                f"{row.from_currency}.{row.to_currency} on {row.on}: no USD rate of "
                f"{row.to_currency} that day to convert it"
            )
        out.setdefault((row.from_currency, row.on), row.rate * quote)
    return {key: value.quantize(PX) for key, value in out.items()}


@transaction.atomic
def fx_rates_load(*, rows: Iterable[RateRow | Exception]) -> MarketResult:
    """Store the FX rates of `rows` as USD per unit, or none (every bad row listed)."""
    good = _refuse_or_rows(rows, lambda row: row)
    try:
        rates = usd_rates_from(good)
    except ValueError as exc:
        raise ImportRefused([(0, str(exc))]) from None
    FxRate.objects.bulk_create(
        [FxRate(currency=c, date=d, usd_per_unit=r) for (c, d), r in sorted(rates.items())],
        update_conflicts=True,
        unique_fields=["currency", "date"],
        update_fields=["usd_per_unit"],
        batch_size=5000,
    )
    if rates:
        market_touch()
        # New rates move every holding and cash balance in another currency than its
        # account's: subscribers are told with None (no closes of their own).
        for subscriber in list(_price_subscribers):
            subscriber(None)
    return MarketResult(len(rates))
