"""Execution import: CSV, Flex XML and the Python API; idempotency and all-or-nothing."""

import io
from datetime import date
from decimal import Decimal

import pytest

from ledger.errors import ImportRefused
from ledger.imports import (
    CSV_COLUMNS,
    executions_import_csv_text,
    executions_import_fixml,
    executions_import_flex,
)
from ledger.journal.verify import ledger_verify
from ledger.models import CashBalance, JournalEntry, Position, RealizedGain
from ledger.services import cash_deposit
from ledger.tests.factories import account_make, instrument_make

D = Decimal
HEADER = ",".join(CSV_COLUMNS) + "\n"


@pytest.fixture
def book(tenant_a):
    account = account_make(tenant_a, margin_type="reg_t")
    stock = instrument_make("XIMP", conid=880001)
    cash_deposit(account=account, amount=D(100000), currency="USD", idempotency_key="xi0")
    return account, stock


def _csv(account, rows):
    return HEADER + "".join(
        f"{e},{account.number},XIMP,{side},{q},{p},2026-03-02,,{c},,USD\n"
        for e, side, q, p, c in rows
    )


def test_same_csv_twice_books_once(book):
    # given
    account, stock = book
    text = _csv(
        account,
        [("E1", "BUY", 100, 10, 1), ("E2", "BUY", 50, 12, 1), ("E3", "SELL", 120, 15, "0.5")],
    )
    # when
    first = executions_import_csv_text(text=text)
    second = executions_import_csv_text(text=text)
    # then
    assert (first.booked, first.skipped) == (3, 0)
    assert (second.booked, second.skipped) == (0, 3)
    assert JournalEntry.objects.filter(execution_id__in=["E1", "E2", "E3"]).count() == 3
    position = Position.objects.get(account=account, instrument=stock)
    # Commissions in the lots (Pub. 550): basis 100 × 10 + 1 and 20 × (12 + 1/50); the sale
    # realizes 120 × 15 − 0.5; the 30 left cost 12.02 each.
    assert (position.quantity, position.cost, position.realized_pnl) == (
        D(30),
        D("360.6"),
        D(1800) - D("0.5") - D(1001) - D(20) * D("12.02"),
    )
    assert CashBalance.objects.get(account=account).quantity == (
        D(100000) - 1000 - 600 + 1800 - D("2.5")
    )
    # unit prices with costs: 15 − 0.5/120 = 14.9958333333 against 10.01 and 12.02
    assert list(RealizedGain.objects.filter(account=account).values_list("quantity", "pnl")) == [
        (D(100), D("498.58333333")),
        (D(20), D("59.51666667")),
    ]
    assert ledger_verify() == []


def test_file_with_one_bad_row_books_nothing_and_names_it(book):
    # given
    account, _ = book
    text = _csv(
        account, [("F1", "BUY", 10, 10, 0), ("F2", "HOLD", 10, 10, 0), ("F3", "BUY", 10, 10, 0)]
    )
    text += "F4,U0000000,XIMP,BUY,1,1,2026-03-02,,,,USD\n"
    entries = JournalEntry.objects.count()
    # when
    with pytest.raises(ImportRefused) as refused:
        executions_import_csv_text(text=text)
    # then
    assert refused.value.row_errors == [
        (2, "side must be BUY or SELL, not 'HOLD'"),
        (4, "unknown or closed account 'U0000000'"),
    ]
    assert "row 2: side must be BUY or SELL" in str(refused.value.message)
    assert JournalEntry.objects.count() == entries
    assert not Position.objects.filter(account=account).exists()


def test_flex_xml_trades_are_imported(book):
    # given: a Flex query response with a Trades section (IBKR Flex Web Service format)
    account, stock = book
    xml = f"""<FlexQueryResponse queryName="t" type="AF"><FlexStatements count="1">
<FlexStatement accountId="{account.number}" fromDate="2026-03-02" toDate="2026-03-02"
 period="LastBusinessDay" whenGenerated="2026-03-02;215015"><Trades>
<Trade accountId="{account.number}" currency="USD" assetCategory="STK" symbol="XIMP"
 conid="880001" tradeID="T1" ibExecID="0001.01" tradeDate="2026-03-02"
 settleDateTarget="2026-03-03" quantity="25" tradePrice="40.5" ibCommission="-1.25"
 buySell="BUY" />
<Trade accountId="{account.number}" currency="USD" assetCategory="STK" symbol="XIMP"
 conid="880001" tradeID="T2" ibExecID="0001.02" tradeDate="2026-03-02"
 settleDateTarget="2026-03-03" quantity="-5" tradePrice="41" ibCommission="-1"
 buySell="SELL" />
</Trades></FlexStatement></FlexStatements></FlexQueryResponse>""".encode()
    # when
    result = executions_import_flex(data=xml)
    again = executions_import_flex(data=xml)
    # then
    assert (result.booked, again.booked, again.skipped) == (2, 0, 2)
    entry = JournalEntry.objects.get(execution_id="0001.01")
    assert (entry.trade_date, entry.settle_date) == (date(2026, 3, 2), date(2026, 3, 3))
    position = Position.objects.get(account=account, instrument=stock)
    # (5 × 41 − 1) − 5 × (40.5 + 1.25/25): commissions in the basis and the proceeds
    assert (position.quantity, position.realized_pnl) == (D(20), D("1.25"))


def test_flex_xml_with_entities_is_refused(book):
    # given
    xml = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>
<FlexQueryResponse><FlexStatements count="0"></FlexStatements></FlexQueryResponse>"""
    # when / then
    with pytest.raises(ImportRefused) as refused:
        executions_import_flex(data=xml)
    assert refused.value.row_errors == [(1, "not a Flex query response (or it carries a DTD)")]


def test_import_in_many_chunks_keeps_lots_equal_to_a_rebuild(book, monkeypatch):
    # given: chunks of 2 executions; a pair closed flat and reopened (lot sequences restart),
    # partial closes and a short across chunk boundaries
    import ledger.imports.executions

    monkeypatch.setattr(ledger.imports.executions, "CHUNK", 2)
    account, stock = book
    rows = [
        ("G1", "BUY", 10, 10, 0),
        ("G2", "BUY", 10, 11, 0),
        ("G3", "SELL", 15, 12, 0),
        ("G4", "SELL", 5, 13, 0),
        ("G5", "BUY", 7, 9, 0),
        ("G6", "SELL", 3, 10, 0),
        ("G7", "SELL", 10, 10, 0),
        ("G8", "BUY", 4, 8, 0),
        ("G9", "BUY", 2, 7, 0),
    ]
    # when
    result = executions_import_csv_text(text=_csv(account, rows))
    # then
    assert result.booked == 9
    position = Position.objects.get(account=account, instrument=stock)
    assert position.quantity == D(0)
    assert position.realized_pnl == D(10 * 2 + 5 * 1 + 5 * 2 + 3 * 1 + 4 * 1 + 4 * 2 + 2 * 3)
    assert ledger_verify(account_ids=[account.pk]) == []


def _fixml(account, reports: str) -> bytes:
    return (
        '<FIXML xmlns="http://www.fixprotocol.org/FIXML-5-0-SP2" v="5.0"><Batch>'
        + reports.replace("ACCT", account.number)
        + "</Batch></FIXML>"
    ).encode()


FIXML_REPORTS = """
<ExecRpt ExecID="FX-1" OrdID="O1" ExecTyp="F" OrdStat="1" Side="1" Acct="ACCT" LastQty="40"
 LastPx="10.25" LeavesQty="60" CumQty="40" TrdDt="2026-03-02" SettlDt="2026-03-03" Ccy="USD">
 <Instrmt Sym="XIMP"/><Comm Comm="1.50" CommTyp="3"/><MiscFees Amt="0.02" Typ="4"/></ExecRpt>
<ExecRpt ExecID="FX-0" OrdID="O1" ExecTyp="0" OrdStat="0" Side="1" Acct="ACCT" LeavesQty="100"
 CumQty="0"><Instrmt Sym="XIMP"/></ExecRpt>
<ExecRpt ExecID="FX-2" OrdID="O2" ExecTyp="F" OrdStat="2" Side="2" Acct="ACCT" LastQty="15"
 LastPx="11" LeavesQty="0" CumQty="15" TrdDt="2026-03-02" Ccy="USD">
 <Instrmt ID="880001" Src="8"/><Comm Comm="1" CommTyp="3"/></ExecRpt>
"""


def test_fixml_execution_reports_are_imported(book):
    # given: two fills and an order acknowledgement (ExecTyp 0, no fill)
    account, stock = book
    data = _fixml(account, FIXML_REPORTS)
    cash_before = CashBalance.objects.get(account=account).quantity
    # when
    result = executions_import_fixml(data=data)
    again = executions_import_fixml(data=data)
    # then
    assert (result.booked, again.booked, again.skipped) == (2, 0, 2)
    assert not JournalEntry.objects.filter(execution_id="FX-0").exists()
    first = JournalEntry.objects.get(execution_id="FX-1")
    assert (first.trade_date, first.settle_date) == (date(2026, 3, 2), date(2026, 3, 3))
    position = Position.objects.get(account=account, instrument=stock)
    # (15 × 11 − 1) − 15 × (10.25 + 1.52/40): commission and fees in the basis and proceeds
    assert (position.quantity, position.realized_pnl) == (D(25), D("9.68"))
    assert CashBalance.objects.get(account=account).quantity == cash_before - D("410") - D(
        "1.52"
    ) + D("165") - D(1)
    assert ledger_verify(account_ids=[account.pk]) == []


def test_fixml_with_a_bad_report_books_nothing_and_names_it(book):
    # given: the second fill has no price
    account, _ = book
    data = _fixml(account, FIXML_REPORTS.replace('LastPx="11" ', ""))
    entries = JournalEntry.objects.count()
    # when
    with pytest.raises(ImportRefused) as refused:
        executions_import_fixml(data=data)
    # then
    assert refused.value.row_errors == [(2, "ExecRpt FX-2: LastPx is missing")]
    assert JournalEntry.objects.count() == entries


def test_import_command_reads_each_format_and_reports_bad_rows(book, tmp_path):
    # given
    from django.core.management import CommandError, call_command

    account, stock = book
    good = tmp_path / "fills.xml"
    good.write_bytes(_fixml(account, FIXML_REPORTS))
    bad = tmp_path / "fills.csv"
    bad.write_text(_csv(account, [("C1", "BUY", 5, 10, 0), ("C2", "HOLD", 5, 10, 0)]))
    # when
    out = io.StringIO()
    call_command("ledger_import_executions", str(good), stdout=out)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing booked: 1 bad row"):
        call_command("ledger_import_executions", str(bad), stderr=err)
    # then
    assert "2 execution(s) booked" in out.getvalue()
    assert "row 2: side must be BUY or SELL, not 'HOLD'" in err.getvalue()
    assert not JournalEntry.objects.filter(execution_id="C1").exists()


def test_execution_ids_with_control_characters_are_stored_as_given(book):
    # given: ids that COPY's text format must escape (tab, newline, carriage return, backslash)
    account, _ = book
    odd = ["T\tAB", "N\nL", "C\rR", "B\\S", 'Q"1,2']
    text = HEADER + "".join(
        '"{}",{},XIMP,BUY,1,10,2026-03-02,,0,,USD\n'.format(e.replace('"', '""'), account.number)
        for e in odd
    )
    # when
    result = executions_import_csv_text(text=text)
    again = executions_import_csv_text(text=text)
    # then
    assert (result.booked, again.skipped) == (5, 5)
    assert set(
        JournalEntry.objects.filter(execution_id__in=odd).values_list("execution_id", flat=True)
    ) == set(odd)


@pytest.mark.parametrize("chunk", [100_000, 2])
def test_an_execution_id_twice_in_one_file_refuses_the_file(book, monkeypatch, chunk):
    # given: the same id on rows 1 and 4, in one chunk or in different chunks
    import ledger.imports.executions

    monkeypatch.setattr(ledger.imports.executions, "CHUNK", chunk)
    account, _ = book
    text = _csv(
        account,
        [("D1", "BUY", 1, 10, 0), ("D2", "BUY", 1, 10, 0), ("D3", "BUY", 1, 10, 0)]
        + [("D1", "BUY", 2, 11, 0)],
    )
    # when
    with pytest.raises(ImportRefused) as refused:
        executions_import_csv_text(text=text)
    # then
    assert refused.value.row_errors == [(4, "execution id D1 appears twice")]
    assert not JournalEntry.objects.filter(execution_id__in=["D1", "D2", "D3"]).exists()


def test_import_command_settles_on_each_markets_calendar(book, tmp_path):
    # given: a CSV without settle dates: a US stock (blank exchange: USD → XNYS) bought on
    # Wednesday 25 November 2026, the day before Thanksgiving (NYSE and DTC closed), and a UK
    # stock (LSE → XLON) bought on Thursday 24 December 2026
    from django.core.management import call_command

    account, _ = book
    instrument_make("XUKS", currency="GBP", exchange="LSE")
    path = tmp_path / "fills.csv"
    path.write_text(
        HEADER
        + f"H1,{account.number},XIMP,BUY,10,10,2026-11-25,,0,,USD\n"
        + f"H2,{account.number},XUKS,BUY,10,5,2026-12-24,,0,,GBP\n"
    )
    # when
    out = io.StringIO()
    call_command("ledger_import_executions", str(path), stdout=out)
    # then: the US trade settles T+1 on Friday the 27th. XLON (published LSE calendar) is
    # closed on Christmas Day, Friday the 25th, and on Monday the 28th, where Boxing Day
    # (Saturday the 26th) is observed; so T+2 is Tuesday 29th (T+1), Wednesday 30th (T+2).
    settles = dict(
        JournalEntry.objects.filter(execution_id__in=["H1", "H2"]).values_list(
            "execution_id", "settle_date"
        )
    )
    assert settles == {"H1": date(2026, 11, 27), "H2": date(2026, 12, 30)}
    assert "2 execution(s) booked, 0 already booked before, 0 warning(s)." in out.getvalue()


def test_import_books_a_closed_day_trade_and_warns(book, tmp_path):
    # given: a trade dated Saturday 21 November 2026, one on Thanksgiving with the broker's
    # settle date, and one on a trading day
    from django.core.management import call_command

    account, _ = book
    path = tmp_path / "fills.csv"
    path.write_text(
        HEADER
        + f"W1,{account.number},XIMP,BUY,1,10,2026-11-20,,0,,USD\n"
        + f"W2,{account.number},XIMP,BUY,1,10,2026-11-21,,0,,USD\n"
        + f"W3,{account.number},XIMP,BUY,1,10,2026-11-26,2026-11-30,0,,USD\n"
    )
    # when
    out = io.StringIO()
    call_command("ledger_import_executions", str(path), stdout=out)
    # then: the Saturday trade counts from Monday the 23rd, and is listed; the broker's settle
    # date is booked as given
    settles = dict(
        JournalEntry.objects.filter(execution_id__in=["W1", "W2", "W3"]).values_list(
            "execution_id", "settle_date"
        )
    )
    assert settles == {
        "W1": date(2026, 11, 23),
        "W2": date(2026, 11, 24),
        "W3": date(2026, 11, 30),
    }
    assert out.getvalue().splitlines() == [
        "row 2: trade date 2026-11-21 (Saturday) is a closed day of XNYS; booked to settle "
        "2026-11-24, counted from the next trading day",
        "3 execution(s) booked, 0 already booked before, 1 warning(s).",
    ]


def test_fixml_settlement_date_wins_over_the_calendar(book):
    # given: a fill of Monday 2 March 2026 that the broker settles on Thursday the 5th
    account, _ = book
    data = _fixml(account, FIXML_REPORTS.replace('SettlDt="2026-03-03"', 'SettlDt="2026-03-05"'))
    # when
    result = executions_import_fixml(data=data)
    # then: the calendar would give T+1, Tuesday the 3rd
    assert (result.booked, result.warnings) == (2, ())
    settles = dict(
        JournalEntry.objects.filter(execution_id__in=["FX-1", "FX-2"]).values_list(
            "execution_id", "settle_date"
        )
    )
    assert settles == {"FX-1": date(2026, 3, 5), "FX-2": date(2026, 3, 3)}


def test_a_file_with_a_bad_row_books_nothing_though_others_would_warn(book):
    # given: a Saturday trade (a warning) and a bad side (an error)
    account, _ = book
    text = (
        HEADER
        + f"B1,{account.number},XIMP,BUY,1,10,2026-11-21,,0,,USD\n"
        + f"B2,{account.number},XIMP,HOLD,1,10,2026-11-20,,0,,USD\n"
    )
    entries = JournalEntry.objects.count()
    # when
    with pytest.raises(ImportRefused) as refused:
        executions_import_csv_text(text=text)
    # then
    assert refused.value.row_errors == [(2, "side must be BUY or SELL, not 'HOLD'")]
    assert JournalEntry.objects.count() == entries
