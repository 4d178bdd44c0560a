"""Execution import: IBKR Flex XML `Trades`, FIXML execution reports, CSV and a Python API,
into the journal (the files are read by `ledger.imports.parsers`).

One execution = one trade entry, idempotent by execution id (an id booked before is skipped).
Rows are validated and booked in chunks inside one transaction; if any row is bad, the whole
import is rolled back and `ImportRefused` lists every bad row by number, so nothing
half-booked remains. Booking goes through the bulk path of `ledger.imports.executions_bulk`
(COPY). Executions are facts reported by the executing broker, so no buying-power check applies.

Settle dates: the broker's own (CSV `settle_date`, Flex `settleDateTarget`, FIXML `SettlDt`) is
booked as given; without one, the instrument's market calendar and cycle decide
(`ledger.domain.settlement`). A trade dated on a day its market is closed is booked all the
same (the broker reported it) and listed in `ImportResult.warnings`.
"""

from __future__ import annotations

import contextlib
import gc
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import InvalidOperation

from django.db import transaction

from ledger.domain.lots import PX, QTY
from ledger.domain.settlement import SettlementRule, settlement_rule
from ledger.errors import ImportRefused
from ledger.imports.executions_bulk import BookedChunk, ExecutionBooking, chunk_book
from ledger.imports.hooks import MasterExecution, master_executions_publish
from ledger.imports.parsers import ExecutionRow, csv_rows, fixml_rows, flex_rows
from ledger.models import Account, Instrument

CHUNK = 100_000
WARNINGS_KEPT = 1000  # a file of closed-day trades lists its first ones and counts the rest


@dataclass(frozen=True)
class ImportResult:
    booked: int
    skipped: int  # execution ids booked before
    # (row number, message) of rows booked with a remark, the first WARNINGS_KEPT of them
    warnings: tuple[tuple[int, str], ...] = ()
    warning_count: int = 0


class _SettleDates(dict):
    """Trade date → (settle date, why the trade date is a closed day or None), for one
    settlement rule; computed on first use, as a file's executions share a few dates."""

    __slots__ = ("rule",)

    def __init__(self, rule: SettlementRule):
        super().__init__()
        self.rule = rule

    def __missing__(self, trade_date: date) -> tuple[date, str | None]:
        value = self[trade_date] = (
            self.rule.settle_date(trade_date),
            self.rule.closed_reason(trade_date),
        )
        return value


class _Resolver:
    """Account and instrument look-ups for a whole import, loaded once."""

    def __init__(self):
        self.accounts = {}
        self.masters: dict[int, int] = {}  # advisor master's id → its tenant's id
        for number, pk, account_type, tenant_id in (
            Account.objects.exclude(account_type=Account.Type.PLATFORM)
            .exclude(status=Account.Status.CLOSED)
            .values_list("number", "pk", "account_type", "tenant_id")
        ):
            self.accounts[number] = pk
            if account_type == Account.Type.MASTER and tenant_id is not None:
                self.masters[pk] = tenant_id
        self.by_symbol, self.by_conid = {}, {}
        by_rule: dict[SettlementRule, _SettleDates] = {}
        for inst in Instrument.objects.all():
            rule = settlement_rule(
                asset_class=inst.asset_class,
                currency=inst.currency,
                exchange=inst.exchange,
                symbol=inst.symbol,
                override=inst.settlement_days,
            )
            settles = by_rule.get(rule)
            if settles is None:
                settles = by_rule[rule] = _SettleDates(rule)
            info = (inst.pk, inst.currency, inst.multiplier, settles)
            self.by_symbol[inst.symbol] = info
            if inst.conid is not None:
                self.by_conid[inst.conid] = info
        self.warnings: list[tuple[int, str]] = []
        self.warning_count = 0

    def warn(self, number: int, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < WARNINGS_KEPT:
            self.warnings.append((number, message))


def _validate(row: ExecutionRow, resolver: _Resolver, number: int) -> ExecutionBooking:
    if not row.execution_id:
        raise ValueError("execution id is missing")
    account_id = resolver.accounts.get(row.account_number)
    if account_id is None:
        raise ValueError(f"unknown or closed account {row.account_number!r}")
    info = resolver.by_conid.get(row.conid) if row.conid else resolver.by_symbol.get(row.symbol)
    if info is None:
        raise ValueError(f"unknown instrument {row.conid or row.symbol!r}")
    instrument_id, currency, multiplier, settles = info
    if row.currency and row.currency != currency:
        raise ValueError(f"currency {row.currency} differs from the instrument's {currency}")
    side = row.side.upper()
    if side not in ("BUY", "SELL"):
        raise ValueError(f"side must be BUY or SELL, not {row.side!r}")
    if row.quantity <= 0:
        raise ValueError("quantity must be positive")
    if row.price < 0:
        raise ValueError("price must not be negative")
    if row.quantity != row.quantity.quantize(QTY) or row.price != row.price.quantize(PX):
        raise ValueError("quantity has more than 8 or price more than 10 decimals")
    settle = row.settle_date
    if settle is None:
        settle, closed = settles[row.trade_date]
        if closed is not None:
            resolver.warn(
                number,
                f"trade date {closed}; booked to settle {settle.isoformat()}, "
                "counted from the next trading day",
            )
    elif settle < row.trade_date:
        raise ValueError("settle date is before the trade date")
    return ExecutionBooking(
        execution_id=row.execution_id,
        account_id=account_id,
        instrument_id=instrument_id,
        currency=currency,
        multiplier=multiplier,
        quantity=row.quantity if side == "BUY" else -row.quantity,
        price=row.price,
        trade_date=row.trade_date,
        settle_date=settle,
        commission=abs(row.commission),
        fees=abs(row.fees),
    )


def _master_execution(booking: ExecutionBooking, tenant_id: int) -> MasterExecution:
    return MasterExecution(
        execution_id=booking.execution_id,
        tenant_id=tenant_id,
        account_id=booking.account_id,
        instrument_id=booking.instrument_id,
        side="buy" if booking.quantity > 0 else "sell",
        quantity=abs(booking.quantity),
        price=booking.price,
        trade_date=booking.trade_date,
        commission=booking.commission,
        fees=booking.fees,
    )


@contextlib.contextmanager
def _cyclic_gc_paused():
    """An import allocates millions of short-lived objects, none of them in reference cycles;
    the cyclic garbage collector would walk every live one of them again and again (measured:
    a fifth of the import's time). Reference counting still frees them as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@transaction.atomic
@_cyclic_gc_paused()
def executions_import(*, rows: Iterable[ExecutionRow | Exception]) -> ImportResult:
    """Book executions (numbered from 1 in the order given). Rows may be exceptions raised
    while reading them; each becomes a row error. Executions in advisor master accounts are
    then handed to the subscribers of `ledger.imports.hooks`, in the same transaction."""
    resolver = _Resolver()
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    chunk: list[ExecutionBooking] = []
    in_masters: list[MasterExecution] = []
    booked = BookedChunk()
    for number, row in enumerate(rows, start=1):
        try:
            if isinstance(row, Exception):
                raise row
            booking = _validate(row, resolver, number)
            if booking.execution_id in seen:
                raise ValueError(f"execution id {booking.execution_id} appears twice")
            seen.add(booking.execution_id)
        except (ValueError, InvalidOperation, TypeError) as exc:
            errors.append((number, str(exc)))
            continue
        if errors:
            continue  # keep validating to name every bad row; nothing will be kept
        chunk.append(booking)
        tenant_id = resolver.masters.get(booking.account_id)
        if tenant_id is not None:
            in_masters.append(_master_execution(booking, tenant_id))
        if len(chunk) >= CHUNK:
            booked += chunk_book(chunk)
            chunk = []
    if chunk and not errors:
        booked += chunk_book(chunk)
    if errors:
        raise ImportRefused(errors)
    master_executions_publish(in_masters)
    return ImportResult(
        booked=booked.booked,
        skipped=booked.skipped,
        warnings=tuple(resolver.warnings),
        warning_count=resolver.warning_count,
    )


def executions_import_csv(*, stream: Iterable[str]) -> ImportResult:
    return executions_import(rows=csv_rows(stream))


def executions_import_flex(*, data: bytes) -> ImportResult:
    return executions_import(rows=flex_rows(data))


def executions_import_fixml(*, data: bytes) -> ImportResult:
    return executions_import(rows=fixml_rows(data))


def executions_import_csv_text(*, text: str) -> ImportResult:
    return executions_import_csv(stream=io.StringIO(text))
