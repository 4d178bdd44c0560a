"""The surveillance findings in the exception report, each with its evidence: a withdrawal to a
new destination after the holder's address changed (the change made through the holder-address
service, which writes the event the rule reads), a withdrawal over the limit, a staff login from
a new country, a grant change out of hours and an overdue access review; on the screen, in the
CSV, and only for the roles that own them."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import time_machine
from django.test import override_settings
from django_tenants.utils import tenant_context

from clientportal.services import withdrawal_request_create
from compliance.models import AccessReview, AuditRecord
from compliance.services import audit_record
from desk.exceptions import exceptions_report
from ledger.services import account_open, cash_deposit
from onboarding.models import Application
from onboarding.services import holder_address_change
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

NOW = dt.datetime(2026, 11, 12, 15, 0, tzinfo=dt.UTC)
SURVEILLANCE = {
    "withdrawal_limit": "10000",
    "new_destination_days": 30,
    "business_hours": (8, 18),
    "business_timezone": "America/New_York",
    "lookback_days": 30,
}


def _at(day: int, hour: int = 12) -> time_machine.travel:
    return time_machine.travel(dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC), tick=False)


def _withdraw(holder, tenant, account, amount, destination):
    return withdrawal_request_create(
        user=holder,
        tenant=tenant,
        account=account,
        amount=Decimal(amount),
        currency="USD",
        destination=destination,
    )


@override_settings(SURVEILLANCE=SURVEILLANCE)
def test_surveillance_findings_are_listed_with_their_evidence(tenant_a):
    # given a holder whose address an officer changed, then withdrawals
    holder = user_make(tenant=tenant_a, username="watched@example.com", roles=["Client"])
    officer = user_make(tenant=tenant_a, username="exc-oo", roles=["Onboarding Officer"])
    compliance = user_make(tenant=tenant_a, username="exc-cco", roles=["Compliance Officer"])
    security = user_make(tenant=tenant_a, username="exc-so", roles=["Security Officer"])
    with tenant_context(tenant_a):
        with _at(1):
            account = account_open(tenant=tenant_a, title="Watched", account_type="individual")
            cash_deposit(
                account=account, amount=Decimal(50000), currency="USD", idempotency_key="sv-1"
            )
            application = Application.objects.create(
                first_name="Wat",
                last_name="Ched",
                email="watched@example.com",
                state="opened",
                user=holder,
                account=account,
                address_line1="1 Main St",
                city="Springfield",
                postal_code="62701",
                country="US",
            )
        with _at(2):
            _withdraw(holder, tenant_a, account, "100", "IBAN OLD")
        with _at(9):
            holder_address_change(
                application=application,
                address={
                    "address_line1": "2 Elsewhere Rd",
                    "city": "Portland",
                    "postal_code": "97201",
                    "country": "US",
                },
                actor=officer,
            )
            change = AuditRecord.objects.get(action="client.address_change")
        with _at(11):
            moved = _withdraw(holder, tenant_a, account, "300", "IBAN NEW")
            large = _withdraw(holder, tenant_a, account, "20000", "IBAN OLD")
        # a staff login from a new country, a grant change on a Saturday night, a late review
        with _at(3, 9):
            audit_record(
                actor=security, action="login", target="user:exc-so", details={"country": "US"}
            )
        with _at(10, 9):
            away = audit_record(
                actor=security,
                action="login",
                target="user:exc-so",
                details={"country": "BR"},
                ip="10.9.9.9",
            )
        with _at(8, 7):  # Sunday 02:00 in New York
            night = audit_record(actor=security, action="access.grant", target="user:x")
        review = AccessReview.objects.create(
            period_label="2026-Q3", period_start=dt.date(2026, 7, 1), due_on=dt.date(2026, 9, 30)
        )
        # when
        with time_machine.travel(NOW, tick=False):
            report = exceptions_report(tenant=tenant_a)
    # then every finding is an item with its evidence
    items = {kind: report.items[kind] for kind in report.items if kind in SURVEILLANCE_KINDS}
    assert [i.key for i in items["withdrawal_new_destination"]] == [str(moved.pk)]
    evidence = items["withdrawal_new_destination"][0].evidence
    assert evidence["change"] == {
        "audit_record": change.pk,
        "seq": change.seq,
        "record_hash": change.record_hash,
    }
    assert evidence["destination"] == "IBAN NEW"
    assert [i.key for i in items["withdrawal_large"]] == [str(large.pk)]
    assert [i.key for i in items["login_new_country"]] == [f"audit:{away.pk}"]
    assert items["login_new_country"][0].evidence["country"] == "BR"
    assert [i.key for i in items["grant_change_out_of_hours"]] == [f"audit:{night.pk}"]
    assert items["grant_change_out_of_hours"][0].evidence["record_hash"] == night.record_hash
    assert [i.key for i in items["access_review_overdue"]] == [str(review.pk)]

    # and the Compliance Officer sees the withdrawals with the evidence, on screen and in the CSV
    with time_machine.travel(NOW, tick=True):
        cco = login(tenant_client(tenant_a), compliance, tenant_a)
        page = cco.get("/broker/exceptions/")
        exported = cco.get("/broker/exceptions/export.csv")
        so = login(tenant_client(tenant_a), security, tenant_a)
        so_page = so.get("/broker/exceptions/")
    html = page.content.decode()
    assert "Withdrawals to a new destination after an address or e-mail change" in html
    assert f"change.audit record: {change.pk}" in html
    assert f"change.record hash: {change.record_hash[:16]}…" in html
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    moved_row = next(r for r in rows if r[0].startswith("Withdrawals to a new destination"))
    assert json.loads(moved_row[6])["change"]["record_hash"] == change.record_hash
    codes = {s["kind"].code for s in page.context["sections"]}
    assert {"withdrawal_large", "withdrawal_new_destination", "login_new_country"} <= codes
    assert "access_review_overdue" not in codes
    # and the Security Officer the logins, grant changes and the overdue review, no withdrawals
    so_codes = {s["kind"].code for s in so_page.context["sections"]}
    assert {"login_new_country", "grant_change_out_of_hours", "access_review_overdue"} <= so_codes
    assert "withdrawal_large" not in so_codes
    assert "2026-Q3" in so_page.content.decode()


SURVEILLANCE_KINDS = (
    "withdrawal_large",
    "withdrawal_new_destination",
    "login_new_country",
    "grant_change_out_of_hours",
    "access_review_overdue",
)
