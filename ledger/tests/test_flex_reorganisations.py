"""Reorganisations of a Flex statement that keep cost basis right (the rules cited in
`ledger.imports.flex.reorganisations`), worked by hand in `flex/reorganisations.xml`:

- cash-and-stock merger, 1 NEWCO for 2 OLDCO and USD 5.00 per OLDCO share (NEWCO worth 50,
  so the 50 new shares 2,500). Lot 1: 60 OLDCO, basis 1,201 (commission in, Pub. 550): cash
  300, realized 1,500 + 300 − 1,201 = 599, recognized min(599, 300) = 300 (IRC §356(a)(1)),
  NEWCO basis 1,201 − 300 + 300 = 1,201 for 30 shares (§358(a)(1)). Lot 2: 40 OLDCO, basis
  1,401: cash 200, realized 1,000 + 200 − 1,401 = −201, no loss recognized (§356(c)), basis
  1,401 − 200 = 1,201 for 20 shares. Selling 30 NEWCO at 60 (commission 1) realizes
  1,799 − 1,201 = 598, the broker's fifoPnlRealized.
- spin-off, 1 SPN for 5 PAR: PAR basis 5,001, PAR closes at 45 that day (100 shares worth
  4,500), the 20 SPN are worth 500: SPN takes 500 / 5,000 = 10 % of the basis (IRC §358(c),
  Treas. Reg. §1.358-2(a)(2)): 500.10, PAR keeps 4,500.90. Selling 20 SPN at 30 (commission
  1) realizes 599 − 500.10 = 98.90, the broker's fifoPnlRealized."""

import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

from ibflex import parser as ibflex_parser

from ledger.imports.flex import flex_import
from ledger.journal.verify import ledger_verify
from ledger.models import Instrument, JournalEntry, Price, RealizedGain, TaxLot
from ledger.selectors.reconciliation import reconciliation_for
from ledger.tests.factories import account_make

D = Decimal
FILE = Path(__file__).parent / "flex" / "reorganisations.xml"


def _account(tenant):
    account = account_make(tenant, title="Flex reorganisations")
    account.external_ref = "U1000005"
    account.save(update_fields=["external_ref"])
    return account


def _parent_close():
    """The market data loaded before the file: PAR's close on the spin-off's day."""
    par = Instrument.objects.create(
        symbol="PAR", currency="USD", asset_class="STK", conid=810003, exchange="NYSE"
    )
    Price.objects.create(instrument=par, date=date(2026, 3, 12), close=D(45))


def _lots(account, symbol):
    return [
        (lot.quantity, lot.quantity * lot.price, lot.open_date)
        for lot in TaxLot.objects.filter(account=account, instrument__symbol=symbol).order_by(
            "sequence"
        )
    ]


def test_the_file_is_real_flex():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = ibflex_parser.parse(FILE.open("rb"))
    assert response.FlexStatements[0].accountId == "U1000005"


def test_cash_and_stock_merger_and_spin_off_reconcile_and_import_once(tenant_a):
    # given
    account = _account(tenant_a)
    _parent_close()
    # when
    first = flex_import(source=FILE)
    entries = JournalEntry.objects.count()
    second = flex_import(source=FILE)
    # then: positions, cash and each closing trade's realized P&L agree with the file
    lines = reconciliation_for(tenant=tenant_a, account_ids=[account.pk])
    assert {line.kind for line in lines} == {"position", "cash", "realized"}
    assert [line for line in lines if not line.agrees] == []
    assert first.warning_count == 0
    assert (second.booked, JournalEntry.objects.count()) == (0, entries)
    assert ledger_verify(account_ids=[account.pk]) == []


def test_the_merger_recognizes_gain_up_to_the_cash_and_carries_the_358_basis(tenant_a):
    account = _account(tenant_a)
    _parent_close()
    flex_import(source=FILE)
    merger = JournalEntry.objects.get(idempotency_key="flex:ca:81001")
    assert sum(g.pnl for g in RealizedGain.objects.filter(closed_by=merger)) == D(300)
    # the 20 NEWCO left are lot 2's, at its §358 basis 1,201, held since lot 2's purchase
    assert _lots(account, "NEWCO") == [(D(20), D(1201), date(2026, 3, 3))]
    assert _lots(account, "OLDCO") == []


def test_the_spin_off_takes_its_fair_market_value_share_of_the_parents_basis(tenant_a):
    account = _account(tenant_a)
    _parent_close()
    flex_import(source=FILE)
    assert _lots(account, "PAR") == [(D(100), D("4500.9"), date(2026, 3, 3))]
    sale = JournalEntry.objects.get(execution_id="0000r1.05")
    assert sum(g.pnl for g in RealizedGain.objects.filter(closed_by=sale)) == D("98.9")
    gain = RealizedGain.objects.get(closed_by=sale)
    assert gain.open_date == date(2026, 3, 3)  # the parent lot's holding period (§1223(1))


def test_without_the_parents_close_the_spin_off_opens_at_zero_and_warns(tenant_a):
    account = _account(tenant_a)
    result = flex_import(source=FILE)
    assert any("IRC §358(c)" in why for _, _, _, why in result.warnings)
    assert _lots(account, "PAR") == [(D(100), D(5001), date(2026, 3, 3))]
