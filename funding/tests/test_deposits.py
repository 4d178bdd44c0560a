"""The funding desk's deposit notices: credit (partial, over-amount, idempotent), reject with a
reason the client sees, stale notices, and who may do it."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.models import DepositNotice
from clientportal.services import deposit_notice_create
from funding.models import DepositCredit, FundingSettings
from funding.selectors import deposit_notices_stale, deposit_notices_stale_count
from ledger.models import CashBalance, JournalEntry
from ledger.services import account_open
from tests.support.clientportal import client_user_make
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(tenant_a):
    officer = user_make(
        tenant=tenant_a, username="onb-desk@example.com", roles=["Onboarding Officer"]
    )
    viewer = user_make(tenant=tenant_a, username="viewer-desk@example.com", roles=["Viewer"])
    with tenant_context(tenant_a):
        client = client_user_make(username="depositor")
        account = account_open(tenant=tenant_a, title="Depositor", account_type="individual")
        notice = deposit_notice_create(
            user=client,
            account=account,
            amount=D("1000.00"),
            currency="USD",
            method="wire",
            expected_on=timezone.localdate(),
            reference="WIRE-77",
        )
    connection.set_schema_to_public()
    return tenant_a, officer, viewer, client, account, notice


def _cash(account):
    row = CashBalance.objects.filter(account=account, currency="USD").first()
    return row.quantity if row else D(0)


def _credit(client, notice, amount, token, **extra):
    return client.post(
        reverse("funding_deposit_notice_credit", args=[notice.pk]),
        {"amount": amount, "token": token, "bank_reference": "BANK-1", **extra},
    )


def test_officer_credits_in_two_parts_and_a_resubmission_books_once(desk):
    tenant, officer, viewer, client, account, notice = desk
    web = login(tenant_client(tenant), officer, tenant)
    queue = web.get(reverse("funding_deposit_notices")).content.decode()
    assert f"DN-{notice.pk}" in queue and "WIRE-77" in queue
    # when: 400 received, the same form sent twice, then the rest
    assert _credit(web, notice, "400.00", "t1").status_code == 302
    assert _credit(web, notice, "400.00", "t1").status_code == 302
    with tenant_context(tenant):
        notice.refresh_from_db()
        assert (notice.status, notice.credited_amount) == ("partial", D(400))
    _credit(web, notice, "600.00", "t2")
    # then
    with tenant_context(tenant):
        notice.refresh_from_db()
        credits = list(DepositCredit.objects.filter(notice=notice).order_by("id"))
    assert (notice.status, notice.credited_amount) == ("credited", D(1000))
    assert [c.amount for c in credits] == [D(400), D(600)]
    assert _cash(account) == D(1000)
    assert [e.kind for e in JournalEntry.objects.filter(pk__in=[c.entry_id for c in credits])] == [
        "deposit",
        "deposit",
    ]
    page = web.get(reverse("funding_deposit_notice", args=[notice.pk])).content.decode()
    assert "Credited" in page and "Credit the deposit" not in page


def test_an_over_amount_needs_confirmation(desk):
    tenant, officer, viewer, client, account, notice = desk
    web = login(tenant_client(tenant), officer, tenant)
    # when: more than notified, not confirmed
    refused = _credit(web, notice, "1,250.00", "t1")
    # then nothing is credited and the form keeps the amount
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "1,250.00 USD is more than the 1,000.00 USD still expected" in page
    assert 'value="1,250.00"' in page
    assert _cash(account) == D(0)
    # when confirmed
    _credit(web, notice, "1250.00", "t2", accept_over="1")
    with tenant_context(tenant):
        notice.refresh_from_db()
    assert (notice.status, notice.credited_amount) == ("credited", D(1250))
    assert _cash(account) == D(1250)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "is not a number"),
        ("0", "must be more than zero"),
        ("10.001", "at most two decimals"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_booked(desk, amount, message):
    tenant, officer, viewer, client, account, notice = desk
    web = login(tenant_client(tenant), officer, tenant)
    entries = JournalEntry.objects.count()
    response = _credit(web, notice, amount, "tx")
    assert response.status_code == 400 and message in response.content.decode()
    assert JournalEntry.objects.count() == entries
    with tenant_context(tenant):
        assert not DepositCredit.objects.exists()


def test_rejection_reason_is_shown_to_the_client(desk):
    tenant, officer, viewer, client, account, notice = desk
    web = login(tenant_client(tenant), officer, tenant)
    # a rejection without a reason is refused
    assert (
        web.post(reverse("funding_deposit_notice_reject", args=[notice.pk]), {}).status_code == 400
    )
    web.post(
        reverse("funding_deposit_notice_reject", args=[notice.pk]),
        {"reason": "No wire with reference WIRE-77 arrived."},
    )
    with tenant_context(tenant):
        notice.refresh_from_db()
    assert notice.status == "rejected"
    # the client sees it
    portal = login(tenant_client(tenant), client, tenant)
    page = portal.get(reverse("clientportal:transfers")).content.decode()
    assert "Rejected: No wire with reference WIRE-77 arrived." in page
    # and a credit after the rejection is refused
    assert _credit(web, notice, "10", "t9").status_code == 400
    assert _cash(account) == D(0)


def test_a_viewer_neither_sees_nor_credits_notices(desk):
    tenant, officer, viewer, client, account, notice = desk
    web = login(tenant_client(tenant), viewer, tenant)
    # Wagtail turns the refusal into a redirect to the dashboard with its message
    refused = web.get(reverse("funding_deposit_notices"))
    assert (refused.status_code, refused["Location"]) == (302, "/broker/")
    assert web.get(reverse("funding_deposit_notice", args=[notice.pk])).status_code == 404
    assert _credit(web, notice, "10", "t1").status_code == 404
    assert _cash(account) == D(0)


def test_stale_notices_follow_the_tenants_setting(desk):
    tenant, officer, viewer, client, account, notice = desk
    sent = notice.created_at
    with tenant_context(tenant):
        settings = FundingSettings.load()
        settings.deposit_stale_days = 2
        settings.save()
        # then: not stale one day later, stale three days later, not once credited
        assert deposit_notices_stale_count(tenant=tenant, as_of=sent + timedelta(days=1)) == 0
        later = sent + timedelta(days=3)
        assert list(deposit_notices_stale(tenant=tenant, as_of=later)) == [notice]
        assert deposit_notices_stale_count(tenant=tenant, as_of=later.date()) == 1
        DepositNotice.objects.filter(pk=notice.pk).update(status="credited")
        assert deposit_notices_stale_count(tenant=tenant, as_of=later) == 0


def test_a_future_value_date_is_refused(desk):
    tenant, officer, viewer, client, account, notice = desk
    web = login(tenant_client(tenant), officer, tenant)
    with time_machine.travel(date(2026, 11, 18), tick=False):
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        response = _credit(web, notice, "10", "t1", value_date=tomorrow)
    assert response.status_code == 400
    assert "before it is received" in response.content.decode()
