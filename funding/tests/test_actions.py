"""The funding desk's Actions: the role gate comes first and a refused actor changes nothing."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.services import deposit_notice_create
from funding.actions import DepositNoticeCredit, JournalApprove, JournalCreate
from funding.models import Journal
from funding.services import JournalSpec
from ledger.models import JournalEntry
from ledger.services import account_open
from tests.support.clientportal import client_user_make
from tests.support.factories import user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tenant_a):
    return {
        role: user_make(tenant=tenant_a, username=f"{slug}-act@example.com", roles=[role])
        for slug, role in (
            ("onb", "Onboarding Officer"),
            ("cmp", "Compliance Officer"),
            ("adv", "Advisor/Trader"),
        )
    }


def test_only_onboarding_officers_make_journals(tenant_a, people):
    one = account_open(tenant=tenant_a, title="A", account_type="individual")
    two = account_open(tenant=tenant_a, title="B", account_type="individual")
    spec = JournalSpec(
        kind="cash", from_account=one.number, to_account=two.number, currency="USD", amount="10"
    )
    entries = JournalEntry.objects.count()
    with tenant_context(tenant_a):
        for role in ("Compliance Officer", "Advisor/Trader"):
            action = JournalCreate(actor=people[role], tenant=tenant_a, spec=spec, request_key=role)
            with pytest.raises(PermissionDenied, match="Only an Onboarding Officer"):
                action.execute()
        assert not Journal.objects.exists()
    connection.set_schema_to_public()
    assert JournalEntry.objects.count() == entries


def test_an_advisor_neither_approves_journals_nor_credits_deposits(tenant_a, people):
    advisor = people["Advisor/Trader"]
    with tenant_context(tenant_a):
        client = client_user_make(username="act-client")
        account = account_open(tenant=tenant_a, title="C", account_type="individual")
        notice = deposit_notice_create(
            user=client,
            account=account,
            amount=D("50"),
            currency="USD",
            method="wire",
            expected_on=timezone.localdate(),
        )
        with pytest.raises(PermissionDenied):
            DepositNoticeCredit(
                actor=advisor, tenant=tenant_a, notice=notice, amount="50", idempotency_key="x"
            ).execute()
        with pytest.raises(PermissionDenied):
            JournalApprove(actor=advisor, tenant=tenant_a, journal=Journal()).execute()
        notice.refresh_from_db()
        assert (notice.status, notice.credited_amount) == ("pending", D(0))
