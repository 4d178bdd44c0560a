"""The Flex import's streaming and chunking: the file fed to the parser in small blocks and
trades booked in small chunks across statements give the same ledger as one block and one
chunk; a later statement of an account sees the trades of its earlier one; the reader decodes
what XML escapes and refuses a DTD wherever it stands."""

from decimal import Decimal
from pathlib import Path

import pytest

from ledger.imports.flex import booking, flex_import, flex_rows_read, reader
from ledger.imports.flex.booking import FlexImportRefused
from ledger.journal.verify import ledger_verify
from ledger.models import BrokerStatement, CashBalance, JournalEntry, Position
from ledger.selectors.reconciliation import reconciliation_for
from ledger.tests.factories import account_make

D = Decimal
FILES = Path(__file__).parent / "flex"
STATEMENTS = {
    "stocks_cash.xml": "U1000001",
    "options_futures_fx.xml": "U1000002",
    "corporate_actions.xml": "U1000003",
    "opening_balance.xml": "U1000004",
    "bonds_transfers.xml": "U1000006",
}


def _account(tenant, flex_id):
    account = account_make(tenant, title=f"Flex {flex_id}")
    account.external_ref = flex_id
    account.save(update_fields=["external_ref"])
    return account


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_small_blocks_and_chunks_reconcile_and_import_once(tenant_a, monkeypatch, name):
    # given: 64-byte blocks to the parser, trades booked two at a time
    monkeypatch.setattr(reader, "BLOCK", 64)
    monkeypatch.setattr(booking, "CHUNK", 2)
    account = _account(tenant_a, STATEMENTS[name])
    # when
    first = flex_import(source=FILES / name)
    second = flex_import(source=FILES / name)
    # then
    lines = reconciliation_for(tenant=tenant_a, account_ids=[account.pk])
    assert lines and [line for line in lines if not line.agrees] == []
    assert first.booked > 0 and (second.booked, second.skipped) == (0, first.booked)
    assert ledger_verify(account_ids=[account.pk]) == []


def _trade(flex_id, n, quantity, price, day):
    side = "BUY" if quantity > 0 else "SELL"
    return (
        f'<Trade accountId="{flex_id}" currency="USD" assetCategory="STK" symbol="SEQ" '
        f'conid="997001" listingExchange="NYSE" multiplier="1" tradeID="{n}" '
        f'tradeDate="{day}" settleDateTarget="{day}" quantity="{quantity}" '
        f'tradePrice="{price}" ibCommission="-1" ibCommissionCurrency="USD" buySell="{side}" '
        f'ibExecID="seq.{n}" levelOfDetail="EXECUTION" />'
    )


def _statement(flex_id, period, trades, *, figures=None):
    start, end = period
    held = ""
    if figures is not None:  # (position, starting cash, ending cash)
        position, starting, ending = figures
        held = (
            f'<CashReport><CashReportCurrency accountId="{flex_id}" currency="USD" '
            f'levelOfDetail="Currency" startingCash="{starting}" endingCash="{ending}" />'
            f"</CashReport><OpenPositions>"
            f'<OpenPosition accountId="{flex_id}" currency="USD" assetCategory="STK" '
            f'symbol="SEQ" conid="997001" multiplier="1" reportDate="{end}" '
            f'position="{position}" markPrice="12" costBasisPrice="10" '
            f'levelOfDetail="SUMMARY" /></OpenPositions>'
        )
    return (
        f'<FlexStatement accountId="{flex_id}" fromDate="{start}" toDate="{end}">'
        f"{held}<Trades>{''.join(trades)}</Trades></FlexStatement>"
    )


def test_a_second_statement_of_the_account_sees_the_first_ones_trades(tenant_a):
    # given: March buys 10 (a statement of trades only), April sells 4 and states what the
    # account holds — one file, one account
    account = _account(tenant_a, "U1000077")
    march = _statement(
        "U1000077", ("20260302", "20260331"), [_trade("U1000077", 1, 10, "10", "20260302")]
    )
    april = _statement(
        "U1000077",
        ("20260401", "20260430"),
        [_trade("U1000077", 2, -4, "12.5", "20260401")],
        figures=(6, "-101", "-52"),
    )
    data = (
        '<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="2">'
        f"{march}{april}</FlexStatements></FlexQueryResponse>"
    ).encode()
    # when
    result = flex_import(source=data)
    # then: April is no first statement (March's trade is booked before it is looked at),
    # so it opens nothing: 6 held, not 6 + an opening of 10
    assert result.booked == 2
    assert not JournalEntry.objects.filter(kind="opening_balance", postings__account=account)
    assert Position.objects.get(account=account).quantity == D(6)
    assert CashBalance.objects.get(account=account, currency="USD").quantity == D(-52)
    assert BrokerStatement.objects.filter(account=account).count() == 2
    lines = reconciliation_for(tenant=tenant_a, account_ids=[account.pk])
    assert lines and [line for line in lines if not line.agrees] == []


def test_the_reader_decodes_escapes_and_keeps_rows_without_attributes():
    data = (
        b'<FlexQueryResponse><FlexStatements><FlexStatement accountId="U1">'
        b'<SecuritiesInfo><SecurityInfo conid="1" description="AT&amp;T &lt;A&gt; &#233;" />'
        b"<SecurityInfo /></SecuritiesInfo>"
        b'<Trades><Order conid="1" /><Trade conid="1" levelOfDetail="EXECUTION" /></Trades>'
        b"</FlexStatement></FlexStatements></FlexQueryResponse>"
    )
    rows = list(flex_rows_read(data))
    assert [(r.section, r.number) for r in rows] == [
        ("SecuritiesInfo", 1),
        ("SecuritiesInfo", 2),
        ("Trades", 1),
    ]
    assert rows[0].attrs["description"] == "AT&T <A> é"
    assert rows[1].attrs == {} and rows[0].statement_attrs == {"accountId": "U1"}


def test_a_dtd_is_refused_even_after_a_long_comment(db):
    data = (
        b'<?xml version="1.0"?><!--' + b"x" * 10_000 + b"-->"
        b'<!DOCTYPE x [<!ENTITY e "x">]><FlexQueryResponse/>'
    )
    with pytest.raises(FlexImportRefused, match="DTD"):
        flex_import(source=data)
