"""The annual gains report against the published arithmetic: IRS Publication 550's basis with
costs (commissions on both sides) and a wash sale under IRC §1091."""

from datetime import date
from decimal import Decimal

from django_tenants.utils import tenant_context

from branding.statements.gains import gains_gather, gains_report
from branding.statements.layout import PLAIN
from branding.statements.report_render import csv_sections, report_csv
from branding.tests.factories import funded_account, trade
from ledger.domain.wash_sales import Purchase, Sale, wash_sales_find
from ledger.models import Account, Position, RealizedGain
from ledger.tests.factories import instrument_make
from tests.support.statements import BRAND

D = Decimal


def test_pub_550_basis_includes_costs_of_purchase_and_proceeds_are_net_of_selling_expenses(
    tenant_a,
):
    with tenant_context(tenant_a):
        # given: 100 shares bought at 20.00 with a 10.00 commission, sold at 25.00 with 15.00
        # of commission. Pub. 550: basis = 2,000 + 10 = 2,010; amount realized = 2,500 − 15 =
        # 2,485; gain = 2,485 − 2,010 = 475.
        account = funded_account(tenant_a, margin_type="reg_t")
        stock = instrument_make(description="Worked Example Co.")
        trade(account, stock, "BUY", 100, "20", date(2026, 1, 5), key="p550a", commission="10")
        held = Position.objects.get(account=account, instrument=stock)
        assert held.cost == D(2010)
        trade(account, stock, "SELL", 100, "25", date(2026, 4, 6), key="p550b", commission="15")
        # when
        report = gains_gather(tenant=tenant_a, account=account, year=2026)
        sections = csv_sections(report_csv(gains_report(report, PLAIN), BRAND))
    # then
    (lot,) = report.lots
    assert (lot.proceeds, lot.cost_basis, lot.gain) == (D(2485), D(2010), D(475))
    assert RealizedGain.objects.get(account=account).pnl == D(475)
    (row,) = sections["Short-term"]["Data"]
    assert [D(v) for v in row[7:10]] == [D(2485), D(2010), D(475)]
    assert row[10:] == ["", ""]


def test_irc_1091_wash_sale_disallows_the_loss_and_adds_it_to_the_replacement(tenant_a):
    with tenant_context(tenant_a):
        # given (Pub. 550, "Wash Sales", example 1): 100 shares bought for 1,000, sold for
        # 750, and within 30 days 100 shares of the same stock bought for 800: the 250 loss is
        # not deductible and the new shares' basis is 800 + 250 = 1,050.
        account = funded_account(tenant_a, margin_type="reg_t")
        stock = instrument_make(description="Wash Co.")
        trade(account, stock, "BUY", 100, "10", date(2026, 1, 5), key="ws1")
        trade(account, stock, "SELL", 100, "7.5", date(2026, 2, 2), key="ws2")
        trade(account, stock, "BUY", 100, "8", date(2026, 2, 20), key="ws3")
        # when
        report = gains_gather(tenant=tenant_a, account=account, year=2026)
        sections = csv_sections(report_csv(gains_report(report, PLAIN), BRAND))
    # then
    (lot,) = report.lots
    assert (lot.gain, lot.wash_disallowed, lot.code) == (D(-250), D(250), "W")
    (replacement,) = lot.replacements
    assert (replacement.acquired, replacement.quantity) == (date(2026, 2, 20), D(100))
    assert D(800) + replacement.basis_added == D(1050)
    (row,) = sections["Short-term"]["Data"]
    assert (D(row[9]), D(row[10]), row[11]) == (D(-250), D(250), "W")
    (wash,) = sections["Wash sales"]["Data"]
    assert wash[4] == "2026-02-20"
    assert (D(wash[5]), D(wash[6])) == (D(100), D(250))


def test_no_wash_sale_outside_30_days_for_gains_or_in_an_ira(tenant_a):
    with tenant_context(tenant_a):
        # given: a loss with the repurchase 31 days later; a gain with an immediate repurchase;
        # an IRA's loss with a repurchase (§1091 concerns deductible losses of taxable accounts)
        account = funded_account(tenant_a, margin_type="reg_t")
        late, gain = instrument_make(), instrument_make()
        trade(account, late, "BUY", 10, "10", date(2026, 1, 5), key="nw1")
        trade(account, late, "SELL", 10, "9", date(2026, 2, 2), key="nw2")
        trade(account, late, "BUY", 10, "9", date(2026, 3, 5), key="nw3")
        trade(account, gain, "BUY", 10, "10", date(2026, 1, 5), key="nw4")
        trade(account, gain, "SELL", 10, "12", date(2026, 2, 2), key="nw5")
        trade(account, gain, "BUY", 10, "12", date(2026, 2, 3), key="nw6")
        ira = funded_account(tenant_a, title="IRA holder")
        Account.objects.filter(pk=ira.pk).update(account_type=Account.Type.IRA)
        ira.refresh_from_db()
        trade(ira, late, "BUY", 10, "10", date(2026, 1, 5), key="nw7")
        trade(ira, late, "SELL", 10, "9", date(2026, 2, 2), key="nw8")
        trade(ira, late, "BUY", 10, "9", date(2026, 2, 3), key="nw9")
        # when
        taxable = gains_gather(tenant=tenant_a, account=account, year=2026)
        retirement = gains_gather(tenant=tenant_a, account=ira, year=2026)
    # then
    assert [lot.code for lot in taxable.lots] == ["", ""]
    assert [lot.code for lot in retirement.lots] == [""]


def test_partial_replacement_disallows_the_loss_on_replaced_shares_only():
    # 100 shares sold at a 300 loss; 40 bought back 10 days before and 20 after the sale:
    # 60 shares replaced, 60 × 3 = 180 disallowed, the earlier purchase matched first.
    washes = wash_sales_find(
        [Sale(1, 7, date(2026, 1, 2), date(2026, 3, 2), D(100), D(-300))],
        [
            Purchase(11, 7, date(2026, 2, 20), D(40)),
            Purchase(12, 7, date(2026, 3, 12), D(20)),
            Purchase(13, 8, date(2026, 3, 3), D(100)),
        ],
    )
    wash = washes[1]
    assert wash.disallowed == D(180)
    assert [(r.purchase_ref, r.quantity, r.basis_added) for r in wash.replacements] == [
        (11, D(40), D(120)),
        (12, D(20), D(60)),
    ]
