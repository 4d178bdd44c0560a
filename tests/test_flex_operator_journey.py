"""A new operator's path with real broker files: an empty platform, `ledger_import_flex`
creates the instruments it meets and books the statement; the client sees the positions at the
file's mark prices in the client portal, and staff see the reconciliation with the broker in
the Broker Portal (page and CSV), where a break shows and is counted."""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from ledger.models import Instrument, JournalEntry
from ledger.selectors.reconciliation import reconciliation_breaks_count
from ledger.services import cash_deposit
from tenants.roles import COMPLIANCE_OFFICER
from tests.support.clientportal import account_for_client, client_user_make
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

D = Decimal
FILE = Path(__file__).resolve().parent.parent / "ledger" / "tests" / "flex" / "stocks_cash.xml"
AFTER_THE_STATEMENT = dt.datetime(2026, 4, 2, 15, 0, tzinfo=dt.UTC)


def test_new_operator_imports_a_flex_file_and_the_portals_show_it(tenant_a):
    # given: no instrument of the file exists; a client whose account carries the Flex id
    assert not Instrument.objects.filter(conid__in=[265598, 272093]).exists()
    with tenant_context(tenant_a):
        client_user = client_user_make(username="flex.client")
        account = account_for_client(tenant=tenant_a, user=client_user, title="Flex Client")
        account.external_ref = "U1000001"
        account.save(update_fields=["external_ref"])
    connection.set_schema_to_public()
    staff = user_make(tenant=tenant_a, username="recon@tenant-a.test", roles=[COMPLIANCE_OFFICER])
    with tenant_context(tenant_a):
        assign_perm("ledger.report_account", staff, account)
    connection.set_schema_to_public()
    out = io.StringIO()
    # when
    call_command("ledger_import_flex", str(FILE), stdout=out)
    # then: the instruments it met, the bookings, no break
    aapl = Instrument.objects.get(conid=265598)
    assert (aapl.symbol, aapl.asset_class, aapl.isin) == ("AAPL", "STK", "US0378331005")
    assert Instrument.objects.filter(conid=272093).exists()
    assert "0 reconciliation break(s)" in out.getvalue()
    booked = JournalEntry.objects.filter(postings__account=account).distinct().count()
    assert booked == 10  # 4 trades, the cancellation, 5 cash transactions
    with time_machine.travel(AFTER_THE_STATEMENT, tick=False):
        portal = login(tenant_client(tenant_a), client_user, tenant_a)
        page = portal.get(reverse("clientportal:positions"))
        rows = portal.get(reverse("clientportal:positions"), {"format": "csv"})
        staff_client = login(tenant_client(tenant_a), staff, tenant_a)
        report = staff_client.get(reverse("branding_reconciliation"))
        report_csv = staff_client.get(reverse("branding_reconciliation"), {"format": "csv"})
    assert page.status_code == 200
    assert "AAPL" in page.content.decode()
    lines = rows.content.decode().splitlines()
    assert len(lines) == 2
    fields = lines[1].split(",")
    assert fields[1] == "AAPL"
    # quantity, the file's mark price, market value, cost basis with the commissions
    assert [D(v) for v in fields[3:7]] == [D(30), D(191), D(5730), D("5550.6")]
    assert report.status_code == 200
    assert "0 breaks among 3 figures" in report.content.decode()
    csv_lines = report_csv.content.decode().splitlines()
    assert csv_lines[0].startswith("account,statement_date,kind")
    assert sorted(line.split(",")[2] for line in csv_lines[1:]) == ["cash", "position", "realized"]
    assert all(line.endswith(",yes") for line in csv_lines[1:])

    # when: the ledger moves away from the broker's figures (a deposit the broker never saw)
    cash_deposit(
        account=account,
        amount=D("10"),
        currency="USD",
        idempotency_key="flex-journey-extra",
        value_date=dt.date(2026, 3, 20),
    )
    # then: the break is listed and counted
    assert reconciliation_breaks_count(tenant=tenant_a) == 1
    with time_machine.travel(AFTER_THE_STATEMENT, tick=False):
        staff_client = login(tenant_client(tenant_a), staff, tenant_a)
        breaks = staff_client.get(reverse("branding_reconciliation"), {"breaks": "1"})
    text = breaks.content.decode()
    assert "1 break among 3 figures" in text
    assert "95571.87" in text and "95561.87" in text
