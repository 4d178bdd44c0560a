"""Surveillance findings with their evidence: grant changes outside business hours, staff logins
from a new country, overdue access reviews, and withdrawals over the limit or to a new
destination soon after an e-mail change."""

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import RequestFactory, override_settings
from django_tenants.utils import tenant_context

from clientportal.services import withdrawal_request_create
from clientportal.surveillance import withdrawal_findings
from compliance.models import AccessReview
from compliance.services import audit_record, login_origin
from compliance.surveillance import (
    access_review_findings,
    grant_change_findings,
    login_country_findings,
)
from ledger.services import account_open, cash_deposit
from tests.support.factories import user_make

NY = dt.timezone(dt.timedelta(hours=-5))
SATURDAY_3AM = dt.datetime(2026, 11, 7, 3, 0, tzinfo=NY)
TUESDAY_10AM = dt.datetime(2026, 11, 3, 10, 0, tzinfo=NY)
SINCE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@override_settings(
    SURVEILLANCE={"business_hours": (8, 18), "business_timezone": "America/New_York"}
)
def test_a_grant_change_outside_business_hours_is_a_finding_with_its_audit_record(in_tenant_a):
    # given
    with time_machine.travel(TUESDAY_10AM, tick=False):
        audit_record(actor=None, action="access.grant", target="user:day", details={"a": 1})
    with time_machine.travel(SATURDAY_3AM, tick=False):
        night = audit_record(actor=None, action="access.grant", target="user:night")
    # when
    findings = grant_change_findings(since=SINCE)
    # then
    assert [(f.kind, f.evidence["audit_record"]) for f in findings] == [
        ("grant_change_out_of_hours", night.pk)
    ]
    assert findings[0].evidence["record_hash"] == night.record_hash
    assert findings[0].summary == "access.grant on user:night at Sat 03:00 America/New_York"


def test_a_staff_login_from_a_new_country_is_a_finding(in_tenant_a, tenant_a):
    staff = user_make(tenant=tenant_a, username="so-travels", roles=["Security Officer"])
    client = user_make(tenant=tenant_a, username="client-travels")
    with tenant_context(tenant_a):
        with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False):
            for user in (staff, client):
                audit_record(
                    actor=user,
                    action="login",
                    target=f"user:{user.username}",
                    details={"country": "US"},
                    ip="10.0.0.1",
                )
        with time_machine.travel(dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC), tick=False):
            audit_record(
                actor=staff,
                action="login",
                target="user:so-travels",
                details={"country": "US"},
                ip="10.0.0.1",
            )
            away = audit_record(
                actor=staff,
                action="login",
                target="user:so-travels",
                details={"country": "RU"},
                ip="10.9.9.9",
            )
            audit_record(
                actor=client,
                action="login",
                target="user:client-travels",
                details={"country": "FR"},
                ip="10.9.9.8",
            )
        findings = login_country_findings(since=SINCE)
    assert [(f.kind, f.who, f.evidence["audit_record"]) for f in findings] == [
        ("login_new_country", "so-travels", away.pk)
    ]
    assert findings[0].summary == "staff login from RU; before only from US"
    assert findings[0].evidence["ip"] == "10.9.9.9"


def test_the_login_country_is_read_from_a_trusted_proxy_only():
    request = RequestFactory().get("/", HTTP_CF_IPCOUNTRY="de")
    with override_settings(LOGIN_COUNTRY_HEADER="HTTP_CF_IPCOUNTRY", AXES_IPWARE_PROXY_COUNT=1):
        assert login_origin(request) == {"country": "DE"}
    with override_settings(LOGIN_COUNTRY_HEADER="HTTP_CF_IPCOUNTRY", AXES_IPWARE_PROXY_COUNT=0):
        assert login_origin(request) == {}


def test_an_unsigned_review_past_its_due_day_is_a_finding(in_tenant_a):
    review = AccessReview.objects.create(
        period_label="2026-Q3", period_start=dt.date(2026, 7, 1), due_on=dt.date(2026, 9, 30)
    )
    assert [
        f.evidence["access_review"] for f in access_review_findings(today=dt.date(2026, 10, 1))
    ] == [review.pk]
    assert access_review_findings(today=dt.date(2026, 9, 30)) == []


@override_settings(SURVEILLANCE={"withdrawal_limit": "10000", "new_destination_days": 30})
def test_withdrawals_over_the_limit_or_to_a_new_destination_after_an_email_change(tenant_a):
    holder = user_make(tenant=tenant_a, username="holder-wd")
    with tenant_context(tenant_a):
        with time_machine.travel(dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC), tick=False):
            account = account_open(tenant=tenant_a, title="Holder", account_type="individual")
            cash_deposit(
                account=account,
                amount=Decimal(50000),
                currency="USD",
                idempotency_key=f"s{account.pk}",
            )
        with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), tick=False):
            withdrawal_request_create(
                user=holder,
                tenant=tenant_a,
                account=account,
                amount=Decimal(100),
                currency="USD",
                destination="IBAN A",
            )
        with time_machine.travel(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC), tick=False):
            change = audit_record(actor=holder, action="user.email_change", target="user:holder-wd")
        with time_machine.travel(dt.datetime(2026, 11, 12, 12, tzinfo=dt.UTC), tick=False):
            known = withdrawal_request_create(
                user=holder,
                tenant=tenant_a,
                account=account,
                amount=Decimal(200),
                currency="USD",
                destination="IBAN A",
            )
            new = withdrawal_request_create(
                user=holder,
                tenant=tenant_a,
                account=account,
                amount=Decimal(300),
                currency="USD",
                destination="IBAN B",
            )
            large = withdrawal_request_create(
                user=holder,
                tenant=tenant_a,
                account=account,
                amount=Decimal(20000),
                currency="USD",
                destination="IBAN A",
            )
        findings = withdrawal_findings(since=SINCE)
    by_kind = {(f.kind, f.evidence["withdrawal_request"]) for f in findings}
    assert by_kind == {("withdrawal_new_destination", new.pk), ("withdrawal_large", large.pk)}
    assert known.pk not in {f.evidence["withdrawal_request"] for f in findings}
    moved = next(f for f in findings if f.kind == "withdrawal_new_destination")
    assert moved.evidence["change"]["audit_record"] == change.pk
    assert moved.summary == "300.00 USD to a new destination 2 day(s) after user.email_change"
