"""Reading execution files into `ExecutionRow`s: CSV, IBKR Flex query responses (`Trades`)
and FIXML 5.0 SP2 execution reports. A row that cannot be read is yielded as the exception
that says why, so `ledger.imports.executions.executions_import` can list every bad row.
Incoming XML is parsed with entity resolution, DTDs and network access off."""

from __future__ import annotations

import csv
import functools
import operator
import warnings
import xml.etree.ElementTree as ET  # noqa: S405 (checked with a hardened lxml parser first)
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

CSV_COLUMNS = (
    "execution_id",
    "account",
    "symbol",
    "side",
    "quantity",
    "price",
    "trade_date",
    "settle_date",
    "commission",
    "fees",
    "currency",
)


@dataclass(slots=True)
class ExecutionRow:
    execution_id: str
    account_number: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    trade_date: date
    settle_date: date | None = None
    commission: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    currency: str = ""
    conid: int | None = None


def _decimal(value: str, name: str, default: Decimal | None = None) -> Decimal:
    if value in ("", None) and default is not None:
        return default
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"{name} {value!r} is not a number") from None


@functools.lru_cache(maxsize=4096)
def _date(value: str, name: str, *, optional: bool = False) -> date | None:
    if not value and optional:
        return None
    try:
        return date.fromisoformat(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def csv_rows(stream: Iterable[str]) -> Iterator[ExecutionRow | Exception]:
    """Rows of a CSV with a header naming `CSV_COLUMNS`: dates as YYYY-MM-DD; side BUY or SELL;
    `settle_date`, `commission`, `fees` and `currency` may be empty or left out. An empty
    settle date is counted on the instrument's market calendar; a given one is booked as is."""
    reader = csv.reader(stream)
    header = [name.strip() for name in next(reader, [])]
    missing = set(CSV_COLUMNS[:7]) - set(header)
    if missing:
        yield ValueError(f"header lacks columns {sorted(missing)}")
        return
    width = len(header)
    # An absent optional column reads as the empty last field of a padded record.
    at = [header.index(name) if name in header else width for name in CSV_COLUMNS]
    fields = operator.itemgetter(*at)
    zero = Decimal(0)
    for record in reader:
        try:
            if len(record) != width:
                raise ValueError(f"{len(record)} fields instead of {width}")
            record.append("")
            exec_id, account, symbol, side, qty, price, trade, settle, comm, fees, ccy = fields(
                record
            )
            yield ExecutionRow(
                execution_id=exec_id.strip(),
                account_number=account.strip(),
                symbol=symbol.strip(),
                side=side.strip(),
                quantity=_decimal(qty, "quantity"),
                price=_decimal(price, "price"),
                trade_date=_date(trade, "trade date"),
                settle_date=_date(settle.strip(), "settle date", optional=True),
                commission=_decimal(comm.strip(), "commission", zero),
                fees=_decimal(fees.strip(), "fees", zero),
                currency=ccy.strip(),
            )
        except ValueError as exc:
            yield exc


_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def flex_rows(data: bytes) -> Iterator[ExecutionRow | Exception]:
    """Executions of the `Trades` sections of an IBKR Flex query response, each `<Trade>`
    parsed by ibflex with its warnings treated as errors."""
    from ibflex import parser as flex_parser

    try:
        checked = etree.fromstring(data, _SAFE_PARSER)  # noqa: S320
    except etree.XMLSyntaxError as exc:
        yield ValueError(f"not well-formed XML: {exc}")
        return
    if checked.getroottree().docinfo.internalDTD or checked.tag != "FlexQueryResponse":
        yield ValueError("not a Flex query response (or it carries a DTD)")
        return
    root = ET.fromstring(data)  # noqa: S314 (no DTD, checked above)
    for element in root.iter("Trade"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                trade = flex_parser.parse_data_element(element)
            yield ExecutionRow(
                execution_id=trade.ibExecID or trade.tradeID or trade.transactionID or "",
                account_number=trade.accountId or "",
                symbol=trade.symbol or "",
                conid=int(trade.conid) if trade.conid else None,
                side="BUY" if (trade.quantity or 0) > 0 else "SELL",
                quantity=abs(trade.quantity or Decimal(0)),
                price=trade.tradePrice if trade.tradePrice is not None else Decimal(-1),
                trade_date=trade.tradeDate,
                settle_date=trade.settleDateTarget,
                commission=abs(trade.ibCommission or Decimal(0)),
                fees=abs(trade.taxes or Decimal(0)),
                currency=trade.currency or "",
            )
        except (flex_parser.FlexParserError, UserWarning, ValueError) as exc:
            yield ValueError(f"Flex trade not readable: {exc}")


FIXML_NS = "http://www.fixprotocol.org/FIXML-5-0-SP2"
FIXML_SELL_SIDES = {"2": "SELL", "5": "SELL", "6": "SELL"}  # sell, sell short, short exempt


def _fixml_decimal(element, name: str, *, required: bool) -> Decimal:
    value = element.get(name)
    if value is None:
        if required:
            raise ValueError(f"{name} is missing")
        return Decimal(0)
    return _decimal(value, name)


def fixml_rows(data: bytes) -> Iterator[ExecutionRow | Exception]:
    """Executions of FIXML 5.0 SP2 execution reports: each `ExecRpt` with `ExecTyp="F"`
    (a trade), alone or in a `Batch`. Other execution reports (new, cancelled, ...) carry no
    fill and are passed over. Fields: `ExecID`, `Acct`, `Side` (1 buy; 2, 5, 6 sell),
    `LastQty`, `LastPx`, `TrdDt`, `SettlDt`, `Ccy`; `Instrmt/@Sym` (or a numeric `@ID`, taken
    as the contract id); `Comm/@Comm` and the sum of `MiscFees/@Amt`."""
    try:
        root = etree.fromstring(data, _SAFE_PARSER)  # noqa: S320
    except etree.XMLSyntaxError as exc:
        yield ValueError(f"not well-formed XML: {exc}")
        return
    if root.getroottree().docinfo.internalDTD or root.tag != f"{{{FIXML_NS}}}FIXML":
        yield ValueError(f"not a FIXML 5.0 SP2 message (root FIXML in {FIXML_NS}, no DTD)")
        return
    for report in root.iter(f"{{{FIXML_NS}}}ExecRpt"):
        if report.get("ExecTyp") != "F":
            continue
        try:
            side = report.get("Side", "")
            if side != "1" and side not in FIXML_SELL_SIDES:
                raise ValueError(f"Side {side!r} is neither a buy (1) nor a sell (2, 5, 6)")
            instrument = report.find(f"{{{FIXML_NS}}}Instrmt")
            symbol = instrument.get("Sym", "") if instrument is not None else ""
            security_id = instrument.get("ID", "") if instrument is not None else ""
            commission = report.find(f"{{{FIXML_NS}}}Comm")
            fees = sum(
                (
                    _fixml_decimal(fee, "Amt", required=False)
                    for fee in report.iter(f"{{{FIXML_NS}}}MiscFees")
                ),
                Decimal(0),
            )
            yield ExecutionRow(
                execution_id=report.get("ExecID", ""),
                account_number=report.get("Acct", ""),
                symbol=symbol,
                conid=int(security_id) if not symbol and security_id.isdigit() else None,
                side="BUY" if side == "1" else "SELL",
                quantity=_fixml_decimal(report, "LastQty", required=True),
                price=_fixml_decimal(report, "LastPx", required=True),
                trade_date=_date(report.get("TrdDt", ""), "TrdDt"),
                settle_date=_date(report.get("SettlDt", ""), "SettlDt", optional=True),
                commission=(
                    _fixml_decimal(commission, "Comm", required=False)
                    if commission is not None
                    else Decimal(0)
                ),
                fees=fees,
                currency=report.get("Ccy", ""),
            )
        except ValueError as exc:
            yield ValueError(f"ExecRpt {report.get('ExecID', '?')}: {exc}")
