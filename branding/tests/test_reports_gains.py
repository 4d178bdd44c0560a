"""The annual realized gains and losses report: figures equal the ledger's closed tax lots."""

from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from branding.statements.gains import (
    LONG_TERM,
    SHORT_TERM,
    anniversary,
    gains_gather,
    gains_report,
    holding_term,
)
from branding.statements.layout import PLAIN, money
from branding.statements.report_render import csv_sections, report_csv, report_pdf
from branding.tests.factories import funded_account, pdf_pages, pdf_text, trade
from ledger.models import RealizedGain
from ledger.tests.factories import instrument_make
from tests.support.statements import BRAND

D = Decimal


def _book(tenant):
    account = funded_account(tenant, margin_type="reg_t")
    apple = instrument_make(description="Apple Inc.")
    micro = instrument_make(description="Microsoft Corp.")
    short = instrument_make(description="Shorted Co.")
    # FIFO: the 2026-03-11 sale closes 100 of the 2025-03-10 lot (long-term: held more than a
    # year) and 20 of the 2026-02-02 lot (short-term)
    trade(account, apple, "BUY", 100, "100", date(2025, 3, 10), key="g1")
    trade(account, apple, "BUY", 50, "120", date(2026, 2, 2), key="g2")
    trade(account, apple, "SELL", 120, "150", date(2026, 3, 11), key="g3", commission="2")
    # sold on the anniversary: exactly one year, so short-term; a loss
    trade(account, micro, "BUY", 10, "50", date(2025, 6, 2), key="g4")
    trade(account, micro, "SELL", 10, "40", date(2026, 6, 2), key="g5")
    # a short sale, covered lower: a short-term gain
    trade(account, short, "SELL", 10, "30", date(2026, 4, 1), key="g6")
    trade(account, short, "BUY", 10, "25", date(2026, 5, 4), key="g7")
    # not in the 2026 report: a lot closed in 2025, and another account's
    trade(account, micro, "BUY", 5, "45", date(2025, 1, 6), key="g8")
    trade(account, micro, "SELL", 5, "48", date(2025, 2, 3), key="g9")
    other = funded_account(tenant, title="Someone else")
    trade(other, apple, "BUY", 1, "100", date(2026, 1, 5), key="g10")
    trade(other, apple, "SELL", 1, "300", date(2026, 1, 6), key="g11")
    return account, apple, micro, short


def test_holding_period_is_more_than_one_year():
    assert holding_term(date(2025, 3, 10), date(2026, 3, 10)) == SHORT_TERM
    assert holding_term(date(2025, 3, 10), date(2026, 3, 11)) == LONG_TERM
    assert anniversary(date(2024, 2, 29)) == date(2025, 2, 28)
    assert holding_term(date(2024, 2, 29), date(2025, 3, 1)) == LONG_TERM


def test_gains_pdf_totals_equal_the_ledgers_realized_gains_for_the_year(tenant_a):
    with tenant_context(tenant_a):
        # given
        account, apple, micro, short = _book(tenant_a)
        ledger_rows = list(RealizedGain.objects.filter(account=account, close_date__year=2026))
        ledger_total = sum((r.pnl for r in ledger_rows), D(0))
        # when
        report = gains_gather(tenant=tenant_a, account=account, year=2026)
        pdf = report_pdf(gains_report(report), BRAND)
    text = pdf_text(pdf)
    # then: the year's lots, split by holding period, totals equal to the ledger's
    assert len(report.lots) == len(ledger_rows) == 4
    # the 2.00 commission on the sale reduces the amount realized (Pub. 550)
    assert ledger_total == D(100) * 50 + D(20) * 30 + D(10) * -10 + D(10) * 5 - 2
    long_term = [lot for lot in report.lots if lot.term == LONG_TERM]
    # the sale's 2.00 commission reduces its proceeds: 2/120 a share (Pub. 550)
    assert [(lot.symbol, lot.gain) for lot in long_term] == [(apple.symbol, D("4998.33333333"))]
    short_total = ledger_total - D("4998.33333333")
    # proceeds net of the sale's commission on its 20 short-term shares: 20 × (150 − 2/120)
    assert f"USD Short-term 3,699.67 3,150.00 {money(short_total)}" in text
    assert "USD Long-term 14,998.33 10,000.00 4,998.33" in text
    assert f"USD Total 18,698.00 13,150.00 {money(ledger_total)}" in text
    assert (
        f"{account.number} {apple.symbol} Apple Inc. USD 100 2025-03-10 2026-03-11 "
        "14,998.33 10,000.00 4,998.33"
    ) in text
    assert (
        f"{account.number} {micro.symbol} Microsoft Corp. USD 10 2025-06-02 2026-06-02 "
        "400.00 500.00 -100.00"
    ) in text
    # a short sale: proceeds are the sale, cost the purchase that covered it
    assert (
        f"{account.number} {short.symbol} Shorted Co. USD -10 2026-04-01 2026-05-04 "
        "300.00 250.00 50.00"
    ) in text
    assert "2025-01-06" not in text and "Someone else" not in text
    pages = pdf_pages(pdf)
    assert f"Realized Gains and Losses · {account.number} · 2026" in pages[0]
    assert "Zoë Łukasiewicz" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_gains_csv_columns_and_totals(tenant_a):
    with tenant_context(tenant_a):
        # given
        account, *_ = _book(tenant_a)
        ledger_total = sum(
            RealizedGain.objects.filter(account=account, close_date__year=2026).values_list(
                "pnl", flat=True
            ),
            D(0),
        )
        # when
        data = report_csv(
            gains_report(gains_gather(tenant=tenant_a, account=account, year=2026), PLAIN), BRAND
        )
    sections = csv_sections(data)
    # then
    lot_header = [
        "Account",
        "Symbol",
        "Description",
        "Currency",
        "Quantity",
        "Open date",
        "Close date",
        "Proceeds",
        "Cost basis",
        "Gain/loss",
        "Disallowed loss",
        "Code",
    ]
    assert sections["Short-term"]["Header"] == [lot_header]
    assert sections["Long-term"]["Header"] == [lot_header]
    assert sections["Summary"]["Header"] == [
        ["Currency", "Term", "Proceeds", "Cost basis", "Gain/loss"]
    ]
    lots = sections["Short-term"]["Data"] + sections["Long-term"]["Data"]
    assert sum(D(row[9]) for row in lots) == ledger_total
    for row in lots:
        assert D(row[7]) - D(row[8]) == D(row[9])
    summary = {(row[0], row[1]): D(row[4]) for row in sections["Summary"]["Data"]}
    assert summary[("USD", "Total")] == ledger_total
    assert summary[("USD", SHORT_TERM)] + summary[("USD", LONG_TERM)] == ledger_total
    (short_total,) = sections["Short-term"]["Total"]
    assert D(short_total[9]) == summary[("USD", SHORT_TERM)]


@pytest.mark.parametrize("year", [2024, 2027])
def test_a_year_without_closed_lots_is_an_empty_report(tenant_a, year):
    with tenant_context(tenant_a):
        account, *_ = _book(tenant_a)
        report = gains_gather(tenant=tenant_a, account=account, year=year)
        text = pdf_text(report_pdf(gains_report(report), BRAND))
    assert report.lots == ()
    assert "No lots closed in this year." in text
