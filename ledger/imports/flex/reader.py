"""Reading an IBKR Flex query response row by row with lxml `iterparse`, clearing each element
once read, so memory stays flat however long the file (no element tree of the whole file).

Rows are the data elements of the sections the ledger books or reconciles against (field
names as IBKR's Flex reference and the `ibflex` package's `Types.py` give them):
`AccountInformation`, `SecuritiesInfo/SecurityInfo`, `Trades/Trade`, `CashTransactions/
CashTransaction`, `CorporateActions/CorporateAction`, `OptionEAE/OptionEAE`, `Transfers/
Transfer`, `OpenPositions/OpenPosition`, `CashReport/CashReportCurrency` and
`ConversionRates/ConversionRate`. Summary rows of a section (`Trades/Order`,
`SymbolSummary`, ... or `levelOfDetail` other than the detail level) are passed over.

Entity resolution, DTDs and network access are off; a file carrying a DTD is refused."""

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


def flex_rows_read(source: bytes | str) -> Iterator[FlexRow]:
    """The rows of a Flex file (its bytes or its path), in file order. Raises
    `FlexFileRefused` for a file that is not well-formed, carries a DTD or is not a
    `FlexQueryResponse`."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    with stream:
        head = stream.read(4096)
        stream.seek(0)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise FlexFileRefused("not a Flex query response (it carries a DTD)")
        context = etree.iterparse(
            stream,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
        )
        statement = -1
        statement_attrs: dict = {}
        section = ""
        counts: dict[str, int] = {}
        depth = 0
        try:
            for event, element in context:
                tag = element.tag
                if event == "start":
                    depth += 1
                    if depth == 1 and tag != "FlexQueryResponse":
                        raise FlexFileRefused("not a Flex query response")
                    if tag == "FlexStatement":
                        statement += 1
                        statement_attrs = dict(element.attrib)
                        counts = {}
                    elif tag in SECTIONS and depth == 4:
                        section = tag
                    continue
                depth -= 1
                if tag == "AccountInformation" and depth == 3:
                    counts["AccountInformation"] = 1
                    yield FlexRow(
                        statement, statement_attrs, "AccountInformation", 1, dict(element.attrib)
                    )
                elif depth == 4 and section and SECTIONS[section] == tag:
                    attrs = dict(element.attrib)
                    level = attrs.get("levelOfDetail", "").upper()
                    if level in DETAIL_LEVELS.get(tag, {level}):
                        number = counts[section] = counts.get(section, 0) + 1
                        yield FlexRow(statement, statement_attrs, section, number, attrs)
                elif depth == 3 and tag == section:
                    section = ""
                if depth <= 4:
                    # Free what was read: the element and the siblings before it.
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    if parent is not None:
                        while element.getprevious() is not None:
                            del parent[0]
        except etree.XMLSyntaxError as exc:
            raise FlexFileRefused(f"not well-formed XML: {exc}") from None


def flex_decimal(attrs: dict, name: str, *, default: Decimal | None = None) -> Decimal:
    raw = (attrs.get(name) or "").replace(",", "").strip()
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
