"""Events written to the outbox in the transaction of the change they report: a deposit
credited (`deposit.booked`), an account restricted (`account.restricted`); a refused change
writes none."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.services import deposit_notice_create
from desk.actions import AccountStatusChange
from events.models import Event
from funding.actions import DepositNoticeCredit
from ledger.models import Account
from ledger.services import account_open
from tests.support.clientportal import client_user_make
from tests.support.factories import user_make

pytestmark = pytest.mark.django_db


def test_a_credited_deposit_is_one_deposit_booked_event_and_a_refused_one_none(tenant_a):
    officer = user_make(
        tenant=tenant_a, username="evt-onb@example.com", roles=["Onboarding Officer"]
    )
    advisor = user_make(tenant=tenant_a, username="evt-adv@example.com", roles=["Advisor/Trader"])
    with tenant_context(tenant_a):
        client = client_user_make(username="evt-client")
        account = account_open(tenant=tenant_a, title="Evt", account_type="individual")
        notice = deposit_notice_create(
            user=client,
            account=account,
            amount=D("50"),
            currency="USD",
            method="wire",
            expected_on=timezone.localdate(),
        )
        # a refused credit writes no event
        with pytest.raises(PermissionDenied):
            DepositNoticeCredit(
                actor=advisor, tenant=tenant_a, notice=notice, amount=D("50"), idempotency_key="e"
            ).execute()
        assert not Event.objects.filter(kind="deposit.booked").exists()
        # when: credited twice with one key
        for _ in range(2):
            DepositNoticeCredit(
                actor=officer, tenant=tenant_a, notice=notice, amount=D("50"), idempotency_key="e"
            ).execute()
        # then
        events = list(Event.objects.filter(kind="deposit.booked"))
    assert len(events) == 1
    assert events[0].account_id == account.pk
    assert (events[0].data["amount"], events[0].data["status"]) == ("50", "credited")


def test_restricting_an_account_is_an_account_restricted_event(tenant_a):
    officer = user_make(
        tenant=tenant_a, username="evt-cmp@example.com", roles=["Compliance Officer"]
    )
    account = account_open(tenant=tenant_a, title="Evt R", account_type="individual")
    with tenant_context(tenant_a):
        AccountStatusChange(
            actor=officer, tenant=tenant_a, account=account, verb="restrict", reason="AML review"
        ).execute()
        # restricting it again (as read by the next request) changes nothing, reports nothing
        again = Account.objects.get(pk=account.pk)
        AccountStatusChange(
            actor=officer, tenant=tenant_a, account=again, verb="restrict", reason="again"
        ).execute()
        events = list(Event.objects.filter(kind="account.restricted"))
    assert [(e.account_id, e.data["reason"]) for e in events] == [(account.pk, "AML review")]
