"""The instrument master: instruments created or updated from a carrying broker's files (IBKR
Flex `SecuritiesInfo`, the attributes of each `Trade` and `OpenPosition`), from a CSV and from
the operator console, each change audited (`InstrumentChange`) and versioned.

An instrument is found by its contract id (`conid`) where the source gives one, else by
(symbol, exchange, currency). A source states what it knows: an empty value never blanks a
field another source filled. A change bumps the instrument's `version` and the market version
the portal's cached figures are keyed by (`ledger.journal.versions.market_touch`)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ledger.errors import ImportRefused, LedgerError
from ledger.journal.versions import market_touch
from ledger.models import Instrument, InstrumentChange

AssetClass = Instrument.AssetClass

# Broker and vendor spellings of the asset classes.
ASSET_CLASS_ALIASES = {
    "STOCK": AssetClass.STK,
    "OPTION": AssetClass.OPT,
    "FUTURE": AssetClass.FUT,
    "FUTURE OPTION": AssetClass.FOP,
    "FUTUREOPTION": AssetClass.FOP,
    "FX": AssetClass.CASH,
    "FX PAIR": AssetClass.CASH,
    "MUTUAL FUND": AssetClass.FUND,
    "BILL": AssetClass.BOND,
}


def asset_class_of(value: str, *, sub_category: str = "") -> str:
    """The master's asset class of a broker's category (IBKR `assetCategory`, with `subCategory`
    ETF telling an exchange-traded fund from a stock)."""
    code = (value or "").strip().upper()
    if code == "STK" and (sub_category or "").strip().upper() == "ETF":
        return AssetClass.ETF
    code = ASSET_CLASS_ALIASES.get(code, code)
    if code not in AssetClass.values:
        raise ValueError(f"asset class {value!r} is not one of {', '.join(AssetClass.values)}")
    return code


@dataclass
class InstrumentData:
    """What one source says of an instrument; empty strings and None mean "not stated"."""

    symbol: str
    currency: str
    asset_class: str = ""
    conid: int | None = None
    exchange: str = ""
    listing_exchange: str = ""
    isin: str = ""
    cusip: str = ""
    figi: str = ""
    description: str = ""
    multiplier: Decimal | None = None
    underlying_conid: int | None = None
    underlying_symbol: str = ""
    expiry: date | None = None
    strike: Decimal | None = None
    right: str = ""


_COPIED = (
    "symbol",
    "asset_class",
    "exchange",
    "listing_exchange",
    "isin",
    "cusip",
    "figi",
    "description",
    "multiplier",
    "expiry",
    "strike",
    "right",
)


def _find(data: InstrumentData) -> Instrument | None:
    if data.conid is not None:
        found = Instrument.objects.filter(conid=data.conid).first()
        if found is not None:
            return found
    # Without a conid (or a conid the master does not know yet): the (symbol, exchange,
    # currency) key, among instruments that carry no other conid.
    return (
        Instrument.objects.filter(
            symbol=data.symbol, exchange=data.exchange, currency=data.currency, conid__isnull=True
        )
        .order_by("id")
        .first()
    )


def _underlying(data: InstrumentData) -> Instrument | None:
    if data.underlying_conid is not None:
        found = Instrument.objects.filter(conid=data.underlying_conid).first()
        if found is not None:
            return found
    if data.underlying_symbol:
        return (
            Instrument.objects.filter(symbol=data.underlying_symbol, currency=data.currency)
            .exclude(asset_class__in=[AssetClass.OPT, AssetClass.FOP])
            .order_by("conid", "id")
            .first()
        )
    return None


def _text(value) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def instrument_upsert(
    *, data: InstrumentData, source: str, actor: str = "", touch: bool = True
) -> tuple[Instrument, bool]:
    """Create the instrument or update what the source states differently; returns (instrument,
    whether anything was written). Refused with `ValidationError` for an invalid ISIN, CUSIP,
    FIGI or currency; nothing is written then. An import that writes many instruments passes
    `touch=False` and bumps the market version once itself (`market_touch`)."""
    instrument = _find(data)
    created = instrument is None
    if created:
        if not data.asset_class:
            raise LedgerError(f"{data.symbol}: a new instrument needs its asset class.")
        instrument = Instrument(symbol=data.symbol, currency=data.currency, conid=data.conid)
    changes: dict[str, list[str]] = {}
    for name in _COPIED:
        value = getattr(data, name)
        if value in ("", None):
            continue
        if name == "multiplier":
            value = Decimal(value)
        old = getattr(instrument, name)
        if created or old != value:
            if not created:
                changes[name] = [_text(old), _text(value)]
            setattr(instrument, name, value)
    if data.conid is not None and instrument.conid is None:
        changes["conid"] = ["", str(data.conid)]
        instrument.conid = data.conid
    underlying = _underlying(data)
    if underlying is not None and instrument.underlying_id != underlying.pk:
        changes["underlying"] = [_text(instrument.underlying_id), str(underlying.pk)]
        instrument.underlying = underlying
    if not created and not changes:
        return instrument, False
    now = timezone.now()
    if not created:
        instrument.version += 1
    instrument.updated_at = now
    instrument.full_clean(validate_unique=False, validate_constraints=False)
    if created:
        # Without the ORM's save signals: they bump the market version once per row.
        (instrument,) = Instrument.objects.bulk_create([instrument])
    else:
        values = {
            f.attname: getattr(instrument, f.attname)
            for f in Instrument._meta.concrete_fields
            if f.name != "id"
        }
        Instrument.objects.filter(pk=instrument.pk).update(**values)
    if created:
        changes = {
            f.name: ["", _text(getattr(instrument, f.attname))]
            for f in Instrument._meta.concrete_fields
            if f.name not in ("id", "version", "updated_at")
            and getattr(instrument, f.attname) not in ("", None)
        }
    InstrumentChange.objects.create(
        instrument=instrument,
        version=instrument.version,
        changed_at=now,
        source=source,
        actor=actor,
        changes=changes,
    )
    if touch:
        market_touch()
    return instrument, True


def instrument_new(data: InstrumentData) -> Instrument:
    """A new instrument of `data`, validated as `instrument_upsert` validates it but not saved:
    for an import that met many new contracts and saves them together (`instruments_create`).
    The caller knows the master holds none `instrument_upsert` would find for `data`."""
    if not data.asset_class:
        raise LedgerError(f"{data.symbol}: a new instrument needs its asset class.")
    instrument = Instrument(symbol=data.symbol, currency=data.currency, conid=data.conid)
    for name in _COPIED:
        value = getattr(data, name)
        if value in ("", None):
            continue
        setattr(instrument, name, Decimal(value) if name == "multiplier" else value)
    instrument.updated_at = timezone.now()
    instrument.full_clean(validate_unique=False, validate_constraints=False)
    return instrument


def instruments_create(instruments: list[Instrument], *, source: str, actor: str = "") -> None:
    """Save new instruments of `instrument_new` (their ids set in place) with the audited
    change that creates each, in two statements whatever their number. The caller bumps the
    market version (`market_touch`)."""
    if not instruments:
        return
    Instrument.objects.bulk_create(instruments)
    InstrumentChange.objects.bulk_create(
        [
            InstrumentChange(
                instrument=instrument,
                version=instrument.version,
                changed_at=instrument.updated_at,
                source=source,
                actor=actor,
                changes={
                    f.name: ["", _text(getattr(instrument, f.attname))]
                    for f in Instrument._meta.concrete_fields
                    if f.name not in ("id", "version", "updated_at")
                    and getattr(instrument, f.attname) not in ("", None)
                },
            )
            for instrument in instruments
        ]
    )


@dataclass(frozen=True)
class InstrumentsResult:
    created: int
    updated: int
    unchanged: int


CSV_INSTRUMENT_COLUMNS = tuple(f.name for f in fields(InstrumentData))


_OPTIONAL_VALUES = ("conid", "underlying_conid", "multiplier", "expiry", "strike")


def _csv_value(name: str, raw: str):
    raw = raw.strip()
    if raw == "":
        return None if name in _OPTIONAL_VALUES else ""
    if name in ("conid", "underlying_conid"):
        if not raw.isdigit():
            raise ValueError(f"{name} {raw!r} is not a number")
        return int(raw)
    if name in ("multiplier", "strike"):
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"{name} {raw!r} is not a number") from None
    if name == "expiry":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"expiry {raw!r} is not a date (YYYY-MM-DD)") from None
    if name == "asset_class":
        return asset_class_of(raw)
    if name == "right":
        right = raw.upper()[:1]
        if right not in ("P", "C"):
            raise ValueError(f"right {raw!r} is neither P (put) nor C (call)")
        return right
    return raw


def instrument_rows_csv(stream: Iterable[str]) -> Iterator[InstrumentData | Exception]:
    """Rows of an instrument CSV: a header with `symbol` and `currency` and any of the other
    columns of `CSV_INSTRUMENT_COLUMNS`."""
    reader = csv.DictReader(stream)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = {"symbol", "currency"} - set(header)
    unknown = set(header) - set(CSV_INSTRUMENT_COLUMNS)
    if missing or unknown:
        yield ValueError(
            f"header lacks {sorted(missing)}" if missing else f"unknown columns {sorted(unknown)}"
        )
        return
    for record in reader:
        try:
            values = {
                name.strip(): _csv_value(name.strip(), raw or "") for name, raw in record.items()
            }
            if not values["symbol"] or not values["currency"]:
                raise ValueError("symbol and currency are required")
            yield InstrumentData(**values)
        except ValueError as exc:
            yield exc


@transaction.atomic
def instruments_import(
    *, rows: Iterable[InstrumentData | Exception], source: str, actor: str = ""
) -> InstrumentsResult:
    """Create or update every instrument of `rows` (numbered from 1), or none: a bad row
    refuses the whole file with every bad row listed (`ImportRefused`)."""
    errors: list[tuple[int, str]] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for number, row in enumerate(rows, start=1):
        try:
            if isinstance(row, Exception):
                raise row
            with transaction.atomic():
                existed = _find(row) is not None
                _, written = instrument_upsert(data=row, source=source, actor=actor)
        except (ValueError, ValidationError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            errors.append((number, message))
            continue
        counts["unchanged" if not written else "updated" if existed else "created"] += 1
    if errors:
        raise ImportRefused(errors)
    return InstrumentsResult(**counts)
