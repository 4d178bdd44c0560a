"""Reading an IBKR Flex query response row by row, streamed through lxml's parser with a target
(its event interface: the streaming alternative to `iterparse` that builds no element at all),
so memory stays flat however long the file (no element tree of the whole file, nor of a part).

Rows are the data elements of the sections the ledger books or reconciles against (field
names as IBKR's Flex reference and the `ibflex` package's `Types.py` give them):
`AccountInformation`, `SecuritiesInfo/SecurityInfo`, `Trades/Trade`, `CashTransactions/
CashTransaction`, `CorporateActions/CorporateAction`, `OptionEAE/OptionEAE`, `Transfers/
Transfer`, `OpenPositions/OpenPosition`, `CashReport/CashReportCurrency` and
`ConversionRates/ConversionRate`. Summary rows of a section (`Trades/Order`,
`SymbolSummary`, ... or `levelOfDetail` other than the detail level) are passed over.

DTDs (so internal entities) and network access are off; a file carrying a DTD is refused."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

SECTIONS = {
    "SecuritiesInfo": "SecurityInfo",
    "Trades": "Trade",
    "CashTransactions": "CashTransaction",
    "CorporateActions": "CorporateAction",
    "OptionEAE": "OptionEAE",
    "Transfers": "Transfer",
    "OpenPositions": "OpenPosition",
    "CashReport": "CashReportCurrency",
    "ConversionRates": "ConversionRate",
}
# Rows at another level of detail than these are summaries of detail rows.
DETAIL_LEVELS = {
    "Trade": {"", "EXECUTION"},
    "CashTransaction": {"", "DETAIL"},
    "CorporateAction": {"", "DETAIL"},
    "Transfer": {"", "DETAIL", "TRANSFER"},
    "OpenPosition": {"", "SUMMARY", "LOT"},
    "CashReportCurrency": {"", "CURRENCY"},
}


class FlexFileRefused(ValueError):
    """The file is not a Flex query response that may be read."""


@dataclass(slots=True)
class FlexRow:
    """One data element: its statement (index from 0 and the statement's attributes), its
    section, its number in the section (from 1) and its attributes."""

    statement: int
    statement_attrs: dict
    section: str
    number: int
    attrs: dict


class _RowsTarget:
    """The parser's target: called by lxml for each element's start and end, it keeps the rows
    of the sections read and nothing else (no element is ever built)."""

    __slots__ = ("counts", "depth", "rows", "section", "statement", "statement_attrs")

    def __init__(self):
        self.depth = 0
        self.statement = -1
        self.statement_attrs: dict = {}
        self.section = ""
        self.counts: dict[str, int] = {}
        self.rows: list[FlexRow] = []

    def doctype(self, *args) -> None:
        raise FlexFileRefused("not a Flex query response (it carries a DTD)")

    def start(self, tag: str, attrib: dict) -> None:
        self.depth = depth = self.depth + 1
        if depth == 5:
            section = self.section
            if section and SECTIONS[section] == tag:
                level = attrib.get("levelOfDetail", "")
                if level == "" or level.upper() in DETAIL_LEVELS.get(tag, (level.upper(),)):
                    counts = self.counts
                    number = counts[section] = counts.get(section, 0) + 1
                    self.rows.append(
                        FlexRow(
                            self.statement,
                            self.statement_attrs,
                            section,
                            number,
                            attrib if type(attrib) is dict else dict(attrib),
                        )
                    )
        elif depth == 4:
            if tag in SECTIONS:
                self.section = tag
            elif tag == "AccountInformation":
                self.counts["AccountInformation"] = 1
                self.rows.append(
                    FlexRow(self.statement, self.statement_attrs, tag, 1, dict(attrib))
                )
        elif depth == 3:
            if tag == "FlexStatement":
                self.statement += 1
                self.statement_attrs = dict(attrib)
                self.counts = {}
        elif depth == 1 and tag != "FlexQueryResponse":
            raise FlexFileRefused("not a Flex query response")

    def end(self, tag: str) -> None:
        if self.depth == 4:
            self.section = ""
        self.depth -= 1

    def close(self) -> None:
        return None


BLOCK = 1 << 18  # bytes fed to the parser at a time: the rows of one block are held at most


def flex_rows_read(source: bytes | str) -> Iterator[FlexRow]:
    """The rows of a Flex file (its bytes or its path), in file order. Raises
    `FlexFileRefused` for a file that is not well-formed, carries a DTD or is not a
    `FlexQueryResponse`.

    The file is fed in blocks to lxml's parser with a target (lxml's event interface, the
    streaming alternative to `iterparse`): no element tree is built at all, not even one
    cleared as it goes, so memory holds one block's rows however long the file. Internal
    entities can only come from a DTD, which is refused; external ones and the network are
    never loaded."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    target = _RowsTarget()
    parser = etree.XMLParser(
        target=target, no_network=True, load_dtd=False, huge_tree=True, remove_comments=True
    )
    with stream:
        head = stream.read(4096)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise FlexFileRefused("not a Flex query response (it carries a DTD)")
        try:
            block = head
            while block:
                parser.feed(block)
                if target.rows:
                    yield from target.rows
                    target.rows = []
                block = stream.read(BLOCK)
            parser.close()
        except etree.XMLSyntaxError as exc:
            raise FlexFileRefused(f"not well-formed XML: {exc}") from None
        yield from target.rows


_DECIMAL_CACHE: dict[str, Decimal] = {}  # a file's quantities, prices and fees repeat


def flex_decimal(attrs: dict, name: str, *, default: Decimal | None = None) -> Decimal:
    raw = attrs.get(name)
    if raw:
        found = _DECIMAL_CACHE.get(raw)
        if found is not None:
            return found
    raw = (raw or "").replace(",", "").strip()
    if raw == "" or raw == "--":
        if default is not None:
            return default
        raise ValueError(f"{name} is missing")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{name} {raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{name} {raw!r} is not a number")
    if len(_DECIMAL_CACHE) < 50_000:
        _DECIMAL_CACHE[attrs[name]] = value
    return value


_DATE_CACHE: dict[str, date] = {}


def flex_date(attrs: dict, name: str, *, optional: bool = False) -> date | None:
    """A Flex date: yyyyMMdd or yyyy-MM-dd (also the date of a `date;time` dateTime)."""
    raw = (attrs.get(name) or "").strip()
    if not raw:
        if optional:
            return None
        raise ValueError(f"{name} is missing")
    found = _DATE_CACHE.get(raw)
    if found is not None:
        return found
    text = raw.split(";")[0].split(",")[0].split(" ")[0].replace("-", "")
    try:
        value = date(int(text[0:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        value = None
    if value is None:
        raise ValueError(f"{name} {raw!r} is not a date (yyyyMMdd)")
    if len(_DATE_CACHE) < 10_000:
        _DATE_CACHE[raw] = value
    return value
