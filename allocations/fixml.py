"""FIXML 5.0 SP2 `AllocInstrctn` export, written streaming, and validation against the official
schema. Pure: plain data in, bytes out; no Django.

One file is a `FIXML` root holding one `Batch` of `AllocInstrctn` messages (one per booked
allocation or reversal). Messages are written one at a time with `lxml.etree.xmlfile`, so a day of
10,000 allocations needs no more memory than one.

Field values (FIX 5.0 SP2): TransTyp 0 = new, 2 = cancel (a reversal, with RefID naming the
original and ReversalInd=Y); Typ 1 = calculated (commission and net money included); Side 1 = buy,
2 = sell; CommTyp 3 = absolute amount.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from lxml import etree

NS = "http://www.fixprotocol.org/FIXML-5-0-SP2"
SCHEMA_ROOT = "fixml-main-5-0-SP2.xsd"
TRANS_TYPE = {"new": "0", "replace": "1", "cancel": "2"}
SIDE = {"buy": "1", "sell": "2", "sell_short": "5"}
ALLOC_TYPE_CALCULATED = "1"
COMM_TYPE_ABSOLUTE = "3"
_FIXML, _BATCH, _ALLOCINSTRCTN, _ORDALLOC, _ALLEXC, _INSTRMT, _ALLOC, _COMM = (
    f"{{{NS}}}{tag}"
    for tag in ("FIXML", "Batch", "AllocInstrctn", "OrdAlloc", "AllExc", "Instrmt", "Alloc", "Comm")
)


@dataclass(frozen=True, slots=True)
class FixmlFill:
    exec_id: str
    qty: Decimal
    px: Decimal


@dataclass(frozen=True, slots=True)
class FixmlAlloc:
    account: str
    qty: Decimal
    px: Decimal
    ind_alloc_id: str
    commission: Decimal


@dataclass(frozen=True, slots=True)
class FixmlInstruction:
    alloc_id: str
    trans_type: str  # "new" | "cancel"
    side: str  # "buy" | "sell" | "sell_short"
    qty: Decimal
    avg_px: Decimal
    currency: str
    trade_date: date
    settle_date: date | None
    symbol: str
    order_id: str
    # Any iterable, so one allocation over 10,000 accounts can stream from a database cursor;
    # alloc_count then gives TotNoAllocs without materialising the lines.
    allocs: Iterable[FixmlAlloc]
    alloc_count: int | None = None
    fills: Sequence[FixmlFill] = field(default_factory=tuple)
    security_id: str = ""
    security_id_source: str = ""  # FIX SecurityIDSource, e.g. "4" ISIN, "1" CUSIP
    ref_id: str = ""
    transact_time: datetime | None = None


def _num(value: Decimal) -> str:
    """xs:decimal text: plain notation, no exponent, no trailing zeros (300.00000000 → 300)."""
    return f"{value.normalize():f}"


def _instruction_attributes(instruction: FixmlInstruction) -> dict[str, str]:
    attrs = {
        "ID": instruction.alloc_id,
        "TransTyp": TRANS_TYPE[instruction.trans_type],
        "Typ": ALLOC_TYPE_CALCULATED,
    }
    if instruction.ref_id:
        attrs["RefID"] = instruction.ref_id
    if instruction.trans_type == "cancel":
        attrs["ReversalInd"] = "Y"
    attrs |= {
        "Side": SIDE[instruction.side],
        "Qty": _num(instruction.qty),
        "AvgPx": _num(instruction.avg_px),
        "Ccy": instruction.currency,
        "TrdDt": instruction.trade_date.isoformat(),
    }
    if instruction.transact_time is not None:
        attrs["TxnTm"] = instruction.transact_time.isoformat()
    if instruction.settle_date is not None:
        attrs["SettlDt"] = instruction.settle_date.isoformat()
    count = instruction.alloc_count
    if count is None and isinstance(instruction.allocs, Sequence):
        count = len(instruction.allocs)
    if count is not None:
        attrs["TotNoAllocs"] = str(count)
    return attrs


def _write_instruction(xf, instruction: FixmlInstruction) -> None:
    # Element order follows the schema's AllocationInstructionElements sequence:
    # OrdAlloc, AllExc, Instrmt, …, Alloc.
    with xf.element(_ALLOCINSTRCTN, _instruction_attributes(instruction)):
        with xf.element(_ORDALLOC, {"OrdID": instruction.order_id, "Qty": _num(instruction.qty)}):
            pass
        for fill in instruction.fills:
            attrs = {"LastQty": _num(fill.qty), "ExecID": fill.exec_id, "LastPx": _num(fill.px)}
            with xf.element(_ALLEXC, attrs):
                pass
        instrument = {"Sym": instruction.symbol}
        if instruction.security_id:
            instrument["ID"] = instruction.security_id
            instrument["Src"] = instruction.security_id_source
        with xf.element(_INSTRMT, instrument):
            pass
        for alloc in instruction.allocs:
            attrs = {
                "Acct": alloc.account,
                "Px": _num(alloc.px),
                "Qty": _num(alloc.qty),
                "IndAllocID": alloc.ind_alloc_id,
            }
            with xf.element(_ALLOC, attrs):
                comm = {"Comm": _num(alloc.commission), "CommTyp": COMM_TYPE_ABSOLUTE}
                comm["Ccy"] = instruction.currency
                with xf.element(_COMM, comm):
                    pass


def fixml_write(out: IO[bytes] | str | Path, instructions: Iterable[FixmlInstruction]) -> int:
    """Write `instructions` as one FIXML batch to `out`; returns the number of messages."""
    count = 0
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_FIXML, {"v": "5.0"}, nsmap={None: NS}):
            with xf.element(_BATCH):
                for instruction in instructions:
                    _write_instruction(xf, instruction)
                    count += 1
                    if count % 500 == 0:
                        xf.flush()
    return count


@functools.lru_cache(maxsize=4)
def fixml_schema(schema_dir: str) -> etree.XMLSchema:
    """The compiled official schema (compiling its ~100 files takes seconds, so it is cached)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(Path(schema_dir) / SCHEMA_ROOT), parser))


def fixml_validate(source: IO[bytes] | str | Path, *, schema_dir: str | Path) -> list[str]:
    """Validation errors of a FIXML document against the schema; empty when it is valid."""
    schema = fixml_schema(str(schema_dir))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        document = etree.parse(source if not isinstance(source, Path) else str(source), parser)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed: {error}"]
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
