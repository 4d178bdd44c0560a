"""Daily trade confirmations: the PDF and CSV figures equal the journal's postings."""

from datetime import date
from decimal import Decimal

from django_tenants.utils import tenant_context

from branding.statements.confirmations import (
    EXECUTION_COLUMNS,
    confirmation_gather,
    confirmation_report,
)
from branding.statements.layout import PLAIN, money
from branding.statements.report_render import csv_sections, report_csv, report_pdf
from branding.tests.factories import TRADE_DAY, funded_account, pdf_pages, pdf_text, trade
from ledger.models import Posting
from ledger.services import entry_reverse
from ledger.tests.factories import instrument_make
from tests.support.statements import BRAND

D = Decimal


def _book(tenant):
    account = funded_account(tenant)
    apple = instrument_make(description="Apple Inc.")
    bond = instrument_make(description="Treasury Bond ETF", asset_class="ETF")
    buy = trade(account, apple, "BUY", 100, "190.10", TRADE_DAY, key="c1", commission="1.50")
    sell = trade(
        account, apple, "SELL", 40, "191.25", TRADE_DAY, key="c2", commission="1.00", fees="0.37"
    )
    bond_buy = trade(account, bond, "BUY", 7, "90.1234", TRADE_DAY, key="c3")
    # Not on the confirmation: another day, and another account on the same day.
    trade(account, apple, "BUY", 1, "180", date(2026, 10, 6), key="c4")
    other = funded_account(tenant, title="Someone else")
    trade(other, apple, "BUY", 5, "190", TRADE_DAY, key="c5")
    return account, (buy, sell, bond_buy), (apple, bond)


def _cash_by_role(account, entry) -> dict[str, Decimal]:
    """What the journal says the entry did to the account's cash, per posting role."""
    out: dict[str, Decimal] = {}
    for posting in Posting.objects.filter(entry=entry, account=account).exclude(currency=""):
        out[posting.role] = out.get(posting.role, D(0)) + posting.quantity
    return out


def test_confirmation_pdf_shows_each_execution_with_the_journals_amounts(tenant_a):
    with tenant_context(tenant_a):
        # given
        account, entries, (apple, bond) = _book(tenant_a)
        cash = [_cash_by_role(account, entry) for entry in entries]
        # when
        confirmation = confirmation_gather(tenant=tenant_a, account=account, trade_date=TRADE_DAY)
        pdf = report_pdf(confirmation_report(confirmation), BRAND)
    text = pdf_text(pdf)
    # then: exactly the three executions of the day, each as the journal booked it
    assert [e.execution_id for e in confirmation.executions] == [e.execution_id for e in entries]
    for execution, entry, moved in zip(confirmation.executions, entries, cash, strict=True):
        principal = moved.get("principal", D(0))
        commission = moved.get("commission", D(0))
        fees = moved.get("fee", D(0))
        assert execution.net_amount == principal + commission + fees == sum(moved.values())
        assert execution.trade_date == entry.trade_date
        assert execution.settle_date == entry.settle_date
    buy, sell, bond_buy = entries
    assert (
        f"{account.number} {buy.execution_id} {apple.symbol} BUY 100 190.10 USD -19,010.00 "
        f"-1.50 0.00 -19,011.50 2026-10-05 {buy.settle_date.isoformat()}"
    ) in text
    assert (
        f"{account.number} {sell.execution_id} {apple.symbol} SELL 40 191.25 USD 7,650.00 "
        f"-1.00 -0.37 7,648.63 2026-10-05 {sell.settle_date.isoformat()}"
    ) in text
    assert f"{bond_buy.execution_id} {bond.symbol} BUY 7 90.1234 USD -630.86" in text
    net_total = sum((e.net_amount for e in confirmation.executions), D(0))
    assert f"Total USD -11,990.86 -2.50 -0.37 {money(net_total)}" in text
    assert net_total == D("-19011.50") + D("7648.63") + D("-630.8638")
    # and in the brand, white-labelled like the statement
    pages = pdf_pages(pdf)
    assert pages[0].startswith("Northwind Securities")
    assert f"Trade Confirmation · {account.number} · 2026-10-05" in pages[0]
    assert "Zoë Łukasiewicz" in pages[0]
    assert "Northwind Securities LLC · Member FINRA/SIPC" in pages[0]
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert "Someone else" not in text


def test_confirmation_csv_has_the_documented_columns_and_plain_amounts(tenant_a):
    with tenant_context(tenant_a):
        # given
        account, entries, _ = _book(tenant_a)
        confirmation = confirmation_gather(tenant=tenant_a, account=account, trade_date=TRADE_DAY)
        # when
        data = report_csv(confirmation_report(confirmation, PLAIN), BRAND)
    sections = csv_sections(data)
    # then
    assert data.startswith(b"\xef\xbb\xbf")
    assert sections["Report"]["Data"][0] == ["Title", "Trade Confirmation"]
    assert sections["Executions"]["Header"] == [
        [
            "Account",
            "Execution ID",
            "Symbol",
            "Side",
            "Quantity",
            "Price",
            "Currency",
            "Principal",
            "Commission",
            "Fees",
            "Net amount",
            "Trade date",
            "Settle date",
        ]
    ]
    assert len(EXECUTION_COLUMNS) == 13
    rows = sections["Executions"]["Data"]
    assert [r[1] for r in rows] == [e.execution_id for e in entries]
    for row in rows:
        principal, commission, fees, net = (D(v) for v in row[7:11])
        assert principal + commission + fees == net
    assert [D(r[10]) for r in rows] == [sum(_cash_by_role(account, e).values()) for e in entries]
    (total,) = sections["Executions"]["Total"]
    assert D(total[10]) == sum(D(r[10]) for r in rows)


def test_a_cancelled_execution_is_noted(tenant_a):
    with tenant_context(tenant_a):
        # given: the bond buy reversed the next day
        account, (_, _, bond_buy), _ = _book(tenant_a)
        reversal = entry_reverse(entry=bond_buy, idempotency_key=f"rev-{bond_buy.pk}")
        # when
        confirmation = confirmation_gather(tenant=tenant_a, account=account, trade_date=TRADE_DAY)
        text = pdf_text(report_pdf(confirmation_report(confirmation), BRAND))
    # then: still confirmed as executed, and noted as cancelled
    assert [e.cancelled_on for e in confirmation.executions] == [None, None, reversal.trade_date]
    cancelled = reversal.trade_date.isoformat()
    assert f"Execution {bond_buy.execution_id} was cancelled on {cancelled}." in text


def test_a_day_without_trades_gives_an_empty_confirmation(tenant_a):
    with tenant_context(tenant_a):
        account, _, _ = _book(tenant_a)
        confirmation = confirmation_gather(
            tenant=tenant_a, account=account, trade_date=date(2026, 10, 7)
        )
        text = pdf_text(report_pdf(confirmation_report(confirmation), BRAND))
    assert confirmation.executions == ()
    assert "No executions on this trade date." in text
