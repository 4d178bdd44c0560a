"""IBKR Flex activity statements, imported whole: each test file (hand-written from IBKR's Flex
reference and the field lists of `ibflex`'s `Types.py`, and read by `ibflex` with its warnings
as errors) reconciles after the import — positions to `OpenPositions`, cash to `CashReport`
ending cash, realized P&L of each closing trade to `fifoPnlRealized`, to the cent — and a
second import books nothing."""

import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ibflex import parser as ibflex_parser

from ledger.imports.flex import flex_import
from ledger.imports.flex.booking import FlexImportRefused
from ledger.journal.verify import ledger_verify
from ledger.models import (
    CashBalance,
    FxRate,
    Instrument,
    JournalEntry,
    Position,
    Price,
    RealizedGain,
    TaxLot,
)
from ledger.selectors.reconciliation import (
    reconciliation_breaks_count,
    reconciliation_for,
)
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
def test_file_is_real_flex(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = ibflex_parser.parse((FILES / name).open("rb"))
    assert response.FlexStatements[0].accountId == STATEMENTS[name]


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_file_reconciles_to_the_cent_and_imports_once(tenant_a, name):
    # given
    account = _account(tenant_a, STATEMENTS[name])
    # when
    first = flex_import(source=FILES / name)
    entries = JournalEntry.objects.count()
    second = flex_import(source=FILES / name)
    # then
    lines = reconciliation_for(tenant=tenant_a, account_ids=[account.pk])
    assert lines, "the statement's figures are kept"
    assert [line for line in lines if not line.agrees] == []
    assert {line.kind for line in lines} >= {"position", "cash"}
    assert reconciliation_breaks_count(tenant=tenant_a) == 0
    assert first.booked > 0 and second.booked == 0
    assert second.skipped == first.booked
    assert JournalEntry.objects.count() == entries
    assert ledger_verify(account_ids=[account.pk]) == []


def _holdings(account):
    return {
        p.instrument.symbol: p.quantity
        for p in Position.objects.filter(account=account)
        .exclude(quantity=0)
        .select_related("instrument")
    }


def _cash(account):
    return dict(CashBalance.objects.filter(account=account).values_list("currency", "quantity"))


def test_stocks_commissions_in_basis_cancellation_and_cash_kinds(tenant_a):
    # given
    account = _account(tenant_a, "U1000001")
    # when
    flex_import(source=FILES / "stocks_cash.xml")
    # then
    assert _holdings(account) == {"AAPL": D(30)}
    assert _cash(account) == {"USD": D("95561.87")}
    # the closing sale realized 1097.10: proceeds less commission, basis with commissions
    sale = JournalEntry.objects.get(execution_id="0000e0d5.67a1f003.01.01")
    assert (
        RealizedGain.objects.get(closed_by=sale).pnl
        if False
        else sum(g.pnl for g in RealizedGain.objects.filter(closed_by=sale)) == D("1097.1")
    )
    lot = TaxLot.objects.get(account=account)
    assert (lot.quantity, lot.price) == (D(30), D("185.02"))
    cancelled = JournalEntry.objects.get(execution_id="0000e0d5.67a1f004.01.01")
    assert cancelled.reversed_by.trade_date == date(2026, 3, 4)
    kinds = set(
        JournalEntry.objects.filter(postings__account=account).values_list("kind", flat=True)
    )
    assert kinds == {
        "trade",
        "reversal",
        "deposit",
        "dividend",
        "withholding_tax",
        "interest",
        "fee",
    }
    # the row without execution ids is keyed by its documented hash; the trade without its own
    # accountId is booked to the statement's account
    hashed = JournalEntry.objects.filter(execution_id__startswith="h:", postings__account=account)
    assert hashed.distinct().count() == 1
    first = JournalEntry.objects.get(execution_id="0000e0d5.67a1f001.01.01")
    assert first.postings.filter(account=account, instrument__symbol="AAPL").exists()
    aapl = Instrument.objects.get(conid=265598)
    assert (aapl.isin, aapl.cusip, aapl.listing_exchange) == ("US0378331005", "037833100", "NASDAQ")
    assert Price.objects.get(instrument=aapl, date=date(2026, 3, 31)).close == D(191)


def test_options_assignment_expiry_future_and_fx_conversion(tenant_a):
    # given
    account = _account(tenant_a, "U1000002")
    # when
    flex_import(source=FILES / "options_futures_fx.xml")
    # then
    assert _holdings(account) == {"XYZ": D(100)}
    assert _cash(account) == {"USD": D("34992.1"), "EUR": D(10000)}
    put = Instrument.objects.get(conid=700002)
    assert (put.asset_class, put.right, put.strike, put.expiry, put.multiplier) == (
        "OPT",
        "P",
        D(50),
        date(2026, 1, 16),
        D(100),
    )
    assert put.underlying.conid == 700001
    realized = {
        g.instrument.symbol: g.pnl
        for g in RealizedGain.objects.filter(account=account).select_related("instrument")
    }
    assert realized == {
        "XYZ   260116P00050000": D("199.3"),
        "XYZ   260116C00060000": D("99.3"),
        "ESH6": D("495.5"),
    }
    assert Instrument.objects.get(conid=495512563).asset_class == "FUT"
    assert not Instrument.objects.filter(symbol="EUR.USD").exists()
    assert FxRate.objects.get(currency="EUR", date=date(2026, 1, 30)).usd_per_unit == D("1.09")


def test_split_mergers_keep_lots_and_basis(tenant_a):
    # given
    account = _account(tenant_a, "U1000003")
    # when
    flex_import(source=FILES / "corporate_actions.xml")
    # then
    assert _holdings(account) == {"ABC": D(100), "JKL": D(25)}
    assert _cash(account) == {"USD": D(13546)}
    lots = {
        lot.instrument.symbol: (lot.quantity, lot.price, lot.open_date)
        for lot in TaxLot.objects.filter(account=account).select_related("instrument")
    }
    assert lots == {
        "ABC": (D(100), D("50.005"), date(2026, 2, 2)),
        # the merger carries the DEF lot's whole basis (2,001) and its acquisition date
        "JKL": (D(25), D("80.04"), date(2026, 2, 3)),
    }
    gains = {
        g.instrument.symbol: g.pnl
        for g in RealizedGain.objects.filter(account=account).select_related("instrument")
    }
    assert gains == {"GHI": D(49), "ABC": D("498.5")}


def test_opening_balance_statement_starts_the_account_with_its_lots(tenant_a):
    # given
    account = _account(tenant_a, "U1000004")
    # when
    flex_import(source=FILES / "opening_balance.xml")
    # then
    opening = JournalEntry.objects.get(
        kind="opening_balance", postings__account=account, postings__instrument__isnull=False
    )
    assert opening.trade_date == date(2026, 4, 1)
    lots = sorted(
        (lot.quantity, lot.price, lot.open_date)
        for lot in TaxLot.objects.filter(account=account, instrument__symbol="VTI")
    )
    assert lots == [(D(10), D("260.1"), date(2026, 4, 10)), (D(20), D(250), date(2024, 1, 15))]
    assert _holdings(account) == {"VTI": D(30), "BND": D(5)}
    assert Instrument.objects.get(conid=900001).asset_class == "ETF"


def test_bad_rows_are_listed_together_and_nothing_is_booked(tenant_a):
    # given
    _account(tenant_a, "U1000009")
    data = (
        b'<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">'
        b'<FlexStatement accountId="U1000009" fromDate="20260302" toDate="20260331">'
        b"<Trades>"
        b'<Trade accountId="U1000009" currency="USD" assetCategory="STK" symbol="OKAY" '
        b'conid="990001" tradeDate="20260302" quantity="10" tradePrice="5" ibExecID="ok1" />'
        b'<Trade accountId="U1000009" currency="USD" assetCategory="STK" symbol="BAD" '
        b'conid="990002" tradeDate="2026-03-xx" quantity="10" tradePrice="5" ibExecID="b1" />'
        b'<Trade accountId="U1000009" currency="USD" assetCategory="WHAT" symbol="ODD" '
        b'conid="990003" tradeDate="20260302" quantity="1" tradePrice="5" ibExecID="b2" />'
        b"</Trades><CashTransactions>"
        b'<CashTransaction accountId="U1000009" currency="USD" dateTime="20260302" '
        b'amount="abc" type="Dividends" transactionID="1" levelOfDetail="DETAIL" />'
        b"</CashTransactions></FlexStatement></FlexStatements></FlexQueryResponse>"
    )
    entries, instruments = JournalEntry.objects.count(), Instrument.objects.count()
    # when
    with pytest.raises(FlexImportRefused) as refused:
        flex_import(source=data)
    # then
    assert [(s, section, n) for s, section, n, _ in refused.value.rows] == [
        (1, "Trades", 2),
        (1, "Trades", 3),
        (1, "CashTransactions", 1),
    ]
    assert "is not a date" in refused.value.rows[0][3]
    assert "asset class 'WHAT'" in refused.value.rows[1][3]
    assert (JournalEntry.objects.count(), Instrument.objects.count()) == (entries, instruments)


def test_a_dtd_is_refused(db):
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><FlexQueryResponse/>'
    with pytest.raises(FlexImportRefused, match="DTD"):
        flex_import(source=data)


def test_bond_in_percent_of_face_payment_in_lieu_and_fop_transfers(tenant_a):
    # given
    account = _account(tenant_a, "U1000006")
    # when
    flex_import(source=FILES / "bonds_transfers.xml")
    # then: the bond's prices are percent of face (multiplier 0.01), commissions in its basis
    # and proceeds: 5,010 − 4,977.50 = 32.50 realized, the broker's fifoPnlRealized
    assert _holdings(account) == {"T 4 1/4 02/15/36": D(5000), "XYZ": D(60)}
    assert _cash(account) == {"USD": D(15220)}
    sale = JournalEntry.objects.get(execution_id="0000b1.02")
    assert sum(g.pnl for g in RealizedGain.objects.filter(closed_by=sale)) == D("32.5")
    kinds = set(
        JournalEntry.objects.filter(postings__account=account).values_list("kind", flat=True)
    )
    assert {"payment_in_lieu", "interest", "position_transfer"} <= kinds
    # the free-of-payment transfers move shares at their transfer price and no cash
    lot = TaxLot.objects.get(account=account, instrument__symbol="XYZ")
    assert (lot.quantity, lot.price) == (D(60), D(50))
