"""Exception reports: what each kind finds, a fixed number of queries whatever the number of
accounts, acknowledgement with a note, the CSV, the daily e-mail to the owning roles."""

import csv
import datetime as dt
import io
from decimal import Decimal

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.models import WithdrawalRequest
from desk.exceptions import exceptions_report
from desk.models import ExceptionAcknowledgement
from desk.tasks import exceptions_email_send
from ledger.models import Account, CashBalance
from ledger.services import account_open
from onboarding.models import Application
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client


def _bulk(tenant, count, prefix):
    accounts = Account.objects.bulk_create(
        Account(tenant=tenant, number=f"{prefix}{i:06d}", title=f"X {i}", account_type="individual")
        for i in range(count)
    )
    CashBalance.objects.bulk_create(
        CashBalance(account=a, currency="USD", quantity=Decimal(-1 if i % 5 == 0 else 3))
        for i, a in enumerate(accounts)
    )


def test_report_finds_negative_cash_waiting_withdrawals_and_stuck_applications(tenant_a):
    # given
    overdrawn = account_open(tenant=tenant_a, title="Overdrawn Olga", account_type="individual")
    CashBalance.objects.create(account=overdrawn, currency="EUR", quantity=Decimal("-40.5"))
    client = user_make(tenant=tenant_a, username="exc-client", roles=["Client"])
    with tenant_context(tenant_a):
        old = timezone.now() - dt.timedelta(days=9)
        waiting = WithdrawalRequest.objects.create(
            account=overdrawn,
            requested_by=client,
            amount=Decimal("5"),
            currency="USD",
            destination="bank",
        )
        WithdrawalRequest.objects.filter(pk=waiting.pk).update(created_at=old)
        stuck = Application.objects.create(first_name="Stu", last_name="Ck", state="in_review")
        Application.objects.filter(pk=stuck.pk).update(updated_at=old)
        # when
        report = exceptions_report(tenant=tenant_a)
    # then
    assert [(i.subject, i.detail) for i in report.items["negative_cash"]] == [
        (overdrawn.number, "Overdrawn Olga: -40.5 EUR")
    ]
    assert [i.key for i in report.items["withdrawal_waiting"]] == [str(waiting.pk)]
    assert [i.key for i in report.items["application_stuck"]] == [f"{stuck.pk}:in_review"]


def test_report_runs_a_fixed_number_of_queries_for_any_number_of_accounts(tenant_a):
    # given
    _bulk(tenant_a, 20, "EXA")
    with tenant_context(tenant_a):
        exceptions_report(tenant=tenant_a)  # settings rows and caches of a first read
    with tenant_context(tenant_a), CaptureQueriesContext(connection) as small:
        few = exceptions_report(tenant=tenant_a)
    # when
    _bulk(tenant_a, 5_000, "EXB")
    with tenant_context(tenant_a), CaptureQueriesContext(connection) as large:
        many = exceptions_report(tenant=tenant_a)
    # then
    assert len(large) == len(small)
    assert len(many.items["negative_cash"]) == len(few.items["negative_cash"]) + 1_000


def test_officer_acknowledges_an_exception_and_it_leaves_the_open_list(tenant_a):
    # given
    officer = user_make(tenant=tenant_a, username="exc-co", roles=["Compliance Officer"])
    client = login(tenant_client(tenant_a), officer, tenant_a)
    account = account_open(tenant=tenant_a, title="Minus Max", account_type="individual")
    CashBalance.objects.create(account=account, currency="USD", quantity=Decimal("-3"))
    key = f"{account.pk}:USD"
    # when
    refused = client.post(
        "/broker/exceptions/acknowledge/", {"kind": "negative_cash", "key": key, "note": " "}
    )
    missing = client.post(
        "/broker/exceptions/acknowledge/",
        {"kind": "negative_cash", "key": "999999999:USD", "note": "x"},
    )
    done = client.post(
        "/broker/exceptions/acknowledge/",
        {"kind": "negative_cash", "key": key, "note": "Client wires funds Monday"},
    )
    page = client.get("/broker/exceptions/")
    exported = client.get("/broker/exceptions/export.csv")
    # then
    assert (refused.status_code, missing.status_code, done.status_code) == (302, 404, 302)
    with tenant_context(tenant_a):
        acks = list(ExceptionAcknowledgement.objects.values_list("kind", "key", "note"))
    assert acks == [("negative_cash", key, "Client wires funds Monday")]
    section = next(s for s in page.context["sections"] if s["kind"].code == "negative_cash")
    assert key not in [item.key for item, _ in section["items"]]
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    mine = [r for r in rows if r[1] == account.number]
    assert mine == [
        [
            "Negative cash",
            account.number,
            "Minus Max: -3 USD",
            "",
            "exc-co",
            "Client wires funds Monday",
            "",
        ]
    ]


def test_daily_email_goes_to_the_owning_roles_only(tenant_a):
    # given
    user_make(tenant=tenant_a, username="exc-mail-co@example.com", roles=["Compliance Officer"])
    user_make(tenant=tenant_a, username="exc-mail-viewer@example.com", roles=["Viewer"])
    account = account_open(tenant=tenant_a, title="Short Sam", account_type="individual")
    CashBalance.objects.create(account=account, currency="USD", quantity=Decimal("-8"))
    # when
    with time_machine.travel(timezone.now(), tick=False), tenant_context(tenant_a):
        exceptions_email_send()
    # then
    to = {m.to[0]: m for m in mail.outbox}
    assert "exc-mail-viewer@example.com" not in to
    message = to["exc-mail-co@example.com"]
    assert "Negative cash" in message.body and account.number in message.body
