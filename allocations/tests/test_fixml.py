"""FIXML 5.0 SP2 AllocInstrctn export against the official schema (kept beside the repository)."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from django.conf import settings
from lxml import etree

from allocations.fixml import (
    NS,
    FixmlAlloc,
    FixmlFill,
    FixmlInstruction,
    fixml_validate,
    fixml_write,
)

SCHEMA_DIR = settings.BASE_DIR.parent / "shared" / "schemas" / "fixml-5.0-sp2"


def _instruction(**overrides):
    values = {
        "alloc_id": "AL-1",
        "trans_type": "new",
        "side": "buy",
        "qty": D(300),
        "avg_px": D("10.125"),
        "currency": "USD",
        "trade_date": date(2026, 11, 20),
        "settle_date": date(2026, 11, 23),
        "symbol": "AAPL",
        "security_id": "US0378331005",
        "security_id_source": "4",
        "order_id": "BLK-7",
        "transact_time": datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
        "fills": [FixmlFill("EX-1", D(100), D(10)), FixmlFill("EX-2", D(200), D("10.1875"))],
        "allocs": [
            FixmlAlloc("U001", D(180), D("10.125"), "AL-1-1", D("0.60")),
            FixmlAlloc("U002", D(120), D("10.125"), "AL-1-2", D("0.40")),
        ],
    }
    return FixmlInstruction(**(values | overrides))


def _export(instructions):
    out = io.BytesIO()
    count = fixml_write(out, instructions)
    return count, out.getvalue()


def test_booked_allocation_and_its_reversal_validate_against_the_schema():
    # given a booked allocation and the reversal of it
    booked = _instruction()
    reversal = _instruction(alloc_id="AL-1-R", trans_type="cancel", ref_id="AL-1")
    # when both are exported as one batch
    count, data = _export([booked, reversal])
    # then the file is valid FIXML 5.0 SP2
    assert count == 2
    assert fixml_validate(io.BytesIO(data), schema_dir=SCHEMA_DIR) == []
    # and carries the fields of the allocation
    root = etree.fromstring(data)
    assert root.tag == f"{{{NS}}}FIXML" and root.get("v") == "5.0"
    first, second = root.iter(f"{{{NS}}}AllocInstrctn")
    assert {k: first.get(k) for k in ("ID", "TransTyp", "Typ", "Side", "Qty", "AvgPx")} == {
        "ID": "AL-1",
        "TransTyp": "0",
        "Typ": "1",
        "Side": "1",
        "Qty": "300",
        "AvgPx": "10.125",
    }
    assert (first.get("TrdDt"), first.get("SettlDt"), first.get("TotNoAllocs")) == (
        "2026-11-20",
        "2026-11-23",
        "2",
    )
    allocs = [
        (a.get("Acct"), a.get("Qty"), a.get("Px"), a.get("IndAllocID"), a[0].get("Comm"))
        for a in first.iter(f"{{{NS}}}Alloc")
    ]
    assert allocs == [
        ("U001", "180", "10.125", "AL-1-1", "0.6"),
        ("U002", "120", "10.125", "AL-1-2", "0.4"),
    ]
    assert [e.get("ExecID") for e in first.iter(f"{{{NS}}}AllExc")] == ["EX-1", "EX-2"]
    assert (second.get("TransTyp"), second.get("RefID"), second.get("ReversalInd")) == (
        "2",
        "AL-1",
        "Y",
    )


def test_streamed_allocation_lines_are_counted_from_alloc_count():
    # given allocation lines from a generator (as from a database cursor)
    lines = (FixmlAlloc(f"U{i:05d}", D(100), D("10"), f"AL-1-{i}", D("0.01")) for i in range(50))
    count, data = _export([_instruction(allocs=lines, alloc_count=50, qty=D(5000))])
    assert fixml_validate(io.BytesIO(data), schema_dir=SCHEMA_DIR) == []
    root = etree.fromstring(data)
    message = next(root.iter(f"{{{NS}}}AllocInstrctn"))
    assert message.get("TotNoAllocs") == "50"
    assert len(list(message.iter(f"{{{NS}}}Alloc"))) == 50


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ((b' Side="1"', b""), "'Side' is required"),
        ((b'TransTyp="0"', b'TransTyp="9"'), "TransTyp"),
        ((b'Qty="180"', b'Qty="many"'), "Qty"),
        ((b"<Instrmt ", b"<Instrument "), "not well-formed"),
        ((b"</Instrmt>", b"</Instrmt><Instrmt/>"), "Instrmt"),
    ],
)
def test_a_deliberately_broken_file_fails_validation(broken, message):
    # given a valid export
    _, data = _export([_instruction()])
    assert fixml_validate(io.BytesIO(data), schema_dir=SCHEMA_DIR) == []
    # when it is damaged
    old, new = broken
    damaged = data.replace(old, new, 1)
    assert damaged != data
    # then the schema refuses it
    errors = fixml_validate(io.BytesIO(damaged), schema_dir=SCHEMA_DIR)
    assert errors and message in " ".join(errors)
