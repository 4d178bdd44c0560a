"""The Broker Portal's Flex upload: staff with the import permission upload a carrying broker's
activity statement file; success shows what was booked and links to the reconciliation; a bad
file lists every bad row (statement, section, row, reason) and books nothing; a statement of an
account the uploader may not report on — another firm's above all — books nothing; without the
permission the page is refused (Wagtail's redirect to the dashboard)."""

from pathlib import Path

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from ledger.models import BrokerStatement, Instrument, JournalEntry, Position
from ledger.tests.factories import account_make
from tenants.roles import COMPLIANCE_OFFICER
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

FILE = Path(__file__).resolve().parents[2] / "ledger" / "tests" / "flex" / "stocks_cash.xml"
URL = "branding_flex_upload"


def _account(tenant, flex_id):
    account = account_make(tenant, title=f"Flex {flex_id}")
    account.external_ref = flex_id
    account.save(update_fields=["external_ref"])
    return account


def _staff(tenant, username, *, may_import=True, accounts=()):
    user = user_make(tenant=tenant, username=username, roles=[COMPLIANCE_OFFICER])
    with tenant_context(tenant):
        if may_import:
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="ledger", codename="add_brokerstatement"
                )
            )
        for account in accounts:
            assign_perm("ledger.report_account", user, account)
    connection.set_schema_to_public()
    return login(tenant_client(tenant), user, tenant)


def _upload(client, data: bytes, name="activity.xml"):
    return client.post(
        reverse(URL), {"file": SimpleUploadedFile(name, data, content_type="application/xml")}
    )


def test_staff_upload_books_the_file_shows_counts_and_links_the_reconciliation(tenant_a):
    # given
    account = _account(tenant_a, "U1000001")
    client = _staff(tenant_a, "importer@tenant-a.test", accounts=[account])
    page = client.get(reverse(URL))
    assert page.status_code == 200 and b'id="flex-upload"' in page.content
    # when
    response = _upload(client, FILE.read_bytes())
    again = _upload(client, FILE.read_bytes())
    # then
    assert response.status_code == 200, response.content[:500]
    body = response.content.decode()
    booked = JournalEntry.objects.filter(postings__account=account).distinct().count()
    assert booked == 10
    assert '<span id="flex-booked">10</span>' in body
    assert reverse("branding_reconciliation") in body
    assert Position.objects.get(account=account, instrument__symbol="AAPL").quantity == 30
    assert BrokerStatement.objects.filter(account=account).count() == 1
    assert '<span id="flex-booked">0</span>' in again.content.decode()
    assert '<span id="flex-skipped">10</span>' in again.content.decode()
    report = client.get(reverse("branding_reconciliation"))
    assert b"0 breaks among" in report.content and b'id="flex-upload-link"' in report.content


def test_a_bad_file_lists_every_bad_row_and_books_nothing(tenant_a):
    # given
    account = _account(tenant_a, "U1000009")
    client = _staff(tenant_a, "importer2@tenant-a.test", accounts=[account])
    data = (
        b'<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">'
        b'<FlexStatement accountId="U1000009" fromDate="20260302" toDate="20260331">'
        b"<Trades>"
        b'<Trade accountId="U1000009" currency="USD" assetCategory="STK" symbol="OKAY" '
        b'conid="990101" tradeDate="20260302" quantity="10" tradePrice="5" ibExecID="ok1" />'
        b'<Trade accountId="U1000009" currency="USD" assetCategory="STK" symbol="BAD" '
        b'conid="990102" tradeDate="2026-03-xx" quantity="10" tradePrice="5" ibExecID="b1" />'
        b"</Trades><CashTransactions>"
        b'<CashTransaction accountId="U1000009" currency="USD" dateTime="20260302" '
        b'amount="abc" type="Dividends" transactionID="1" levelOfDetail="DETAIL" />'
        b"</CashTransactions></FlexStatement></FlexStatements></FlexQueryResponse>"
    )
    entries, instruments = JournalEntry.objects.count(), Instrument.objects.count()
    # when
    response = _upload(client, data)
    # then
    assert response.status_code == 422
    body = response.content.decode()
    assert "2 bad rows" in body
    assert "<td>1</td><td>Trades</td><td>2</td><td>tradeDate &#x27;2026-03-xx&#x27;" in body
    assert "<td>1</td><td>CashTransactions</td><td>1</td><td>amount" in body
    assert (JournalEntry.objects.count(), Instrument.objects.count()) == (entries, instruments)
    assert not BrokerStatement.objects.filter(account=account).exists()


def test_a_file_of_another_firms_account_books_nothing(tenant_a, tenant_b):
    # given: the file's account is tenant B's; A's importer reports on an account of A's own
    _account(tenant_b, "U1000001")
    own = _account(tenant_a, "U2000001")
    client = _staff(tenant_a, "importer3@tenant-a.test", accounts=[own])
    entries = JournalEntry.objects.count()
    # when
    response = _upload(client, FILE.read_bytes())
    # then
    assert response.status_code == 422
    assert "Flex account &#x27;U1000001&#x27; is no account you may import to" in (
        response.content.decode()
    )
    assert JournalEntry.objects.count() == entries
    assert not BrokerStatement.objects.exists()


def test_an_account_of_the_firm_not_granted_to_the_uploader_books_nothing(tenant_a):
    _account(tenant_a, "U1000001")
    client = _staff(tenant_a, "importer4@tenant-a.test")  # no report grant on it
    entries = JournalEntry.objects.count()
    response = _upload(client, FILE.read_bytes())
    assert response.status_code == 422 and b"no account you may import to" in response.content
    assert JournalEntry.objects.count() == entries


def test_without_the_import_permission_the_page_is_refused(tenant_a):
    account = _account(tenant_a, "U1000001")
    client = _staff(tenant_a, "viewer@tenant-a.test", may_import=False, accounts=[account])
    entries = JournalEntry.objects.count()
    # Wagtail answers a refused admin page with a redirect to the dashboard
    page, post = client.get(reverse(URL)), _upload(client, FILE.read_bytes())
    assert (page.status_code, page["Location"]) == (302, "/broker/")
    assert (post.status_code, post["Location"]) == (302, "/broker/")
    assert JournalEntry.objects.count() == entries
    report = client.get(reverse("branding_reconciliation"))
    assert b'id="flex-upload-link"' not in report.content


def test_a_post_without_a_file_is_a_form_error(tenant_a):
    client = _staff(tenant_a, "importer5@tenant-a.test")
    response = client.post(reverse(URL), {})
    assert response.status_code == 422 and b'id="flex-file-error"' in response.content
