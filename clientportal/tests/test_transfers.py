from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_tenants.utils import tenant_context

from clientportal.models import DepositNotice, WithdrawalRequest
from clientportal.services import withdrawal_request_approve
from ledger.errors import LedgerError
from ledger.models import JournalEntry
from ledger.selectors import cash_balances_for
from tests.support.clientportal import account_for_client

from .conftest import portal_client, staff_make


def _cash(tenant, account) -> Decimal:
    with tenant_context(tenant):
        return cash_balances_for(tenant=tenant, account_ids=[account.pk])[0].balance


def _withdraw(client, account, amount):
    return client.post(
        reverse("clientportal:withdrawal_request"),
        {"account": account.pk, "amount": amount, "currency": "USD", "destination": "US-ABA-1"},
    )


def _staff(tenant, username="approver"):
    with tenant_context(tenant):
        return get_user_model().objects.create_superuser(username, f"{username}@x.test", "pw")


def test_withdrawal_over_the_limit_is_refused_and_nothing_changes(tenant_a, holder):
    # given 8,497 USD withdrawable
    user, account = holder
    client = portal_client(tenant_a, user, reauthenticated=True)
    entries_before = JournalEntry.objects.count()
    # when 8,497.01 is asked for
    response = _withdraw(client, account, "8497.01")
    # then
    assert response.status_code == 400
    assert f"You can withdraw at most 8,497.00 USD from {account.number}." in (
        response.content.decode()
    )
    with tenant_context(tenant_a):
        assert WithdrawalRequest.objects.count() == 0
    assert JournalEntry.objects.count() == entries_before
    assert _cash(tenant_a, account) == Decimal("8497")


def test_withdrawal_needs_a_recent_password(tenant_a, holder):
    user, account = holder
    client = portal_client(tenant_a, user, reauthenticated=False)
    response = _withdraw(client, account, "100")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("clientportal:reauth"))
    with tenant_context(tenant_a):
        assert WithdrawalRequest.objects.count() == 0


def test_withdrawal_waits_for_staff_then_is_booked(tenant_a, holder):
    # given a pending request of 1,000
    user, account = holder
    client = portal_client(tenant_a, user, reauthenticated=True)
    assert _withdraw(client, account, "1000").status_code == 302
    with tenant_context(tenant_a):
        request = WithdrawalRequest.objects.get()
    assert request.status == "pending"
    assert _cash(tenant_a, account) == Decimal("8497")
    # and the pending amount is no longer withdrawable
    refused = _withdraw(client, account, "7497.01")
    assert "at most 7,497.00 USD" in refused.content.decode()
    # when staff approve it in the Broker Portal
    staff = _staff(tenant_a)
    broker = portal_client(tenant_a, staff)
    queue = broker.get(reverse("clientportal_staff_withdrawals"))
    assert account.number in queue.content.decode()
    decided = broker.post(
        reverse("clientportal_staff_withdrawal_decide", args=[request.pk]), {"decision": "approve"}
    )
    # then it is booked through the ledger
    assert decided.status_code == 302
    with tenant_context(tenant_a):
        request.refresh_from_db()
        entry = JournalEntry.objects.get(pk=request.journal_entry_id)
    assert (request.status, request.decided_by_id) == ("booked", staff.pk)
    assert entry.kind == "withdrawal"
    assert _cash(tenant_a, account) == Decimal("7497")


def test_rejected_withdrawal_books_nothing(tenant_a, holder):
    user, account = holder
    _withdraw(portal_client(tenant_a, user, reauthenticated=True), account, "50")
    with tenant_context(tenant_a):
        request = WithdrawalRequest.objects.get()
    broker = portal_client(tenant_a, _staff(tenant_a, "rejecter"))
    broker.post(
        reverse("clientportal_staff_withdrawal_decide", args=[request.pk]),
        {"decision": "reject", "note": "Unknown destination"},
    )
    with tenant_context(tenant_a):
        request.refresh_from_db()
    assert (request.status, request.decision_note) == ("rejected", "Unknown destination")
    assert request.journal_entry_id is None
    assert _cash(tenant_a, account) == Decimal("8497")


def test_a_decided_request_cannot_be_approved_again(tenant_a, holder):
    user, account = holder
    _withdraw(portal_client(tenant_a, user, reauthenticated=True), account, "50")
    staff = _staff(tenant_a, "twice")
    with tenant_context(tenant_a):
        request = WithdrawalRequest.objects.get()
        withdrawal_request_approve(staff=staff, tenant=tenant_a, request_id=request.pk)
        with pytest.raises(LedgerError, match="already approved and booked"):
            withdrawal_request_approve(staff=staff, tenant=tenant_a, request_id=request.pk)
    assert _cash(tenant_a, account) == Decimal("8447")


def test_staff_without_permission_cannot_approve(tenant_a, holder):
    user, account = holder
    _withdraw(portal_client(tenant_a, user, reauthenticated=True), account, "50")
    with tenant_context(tenant_a):
        request = WithdrawalRequest.objects.get()
    viewer = staff_make(tenant_a, "viewer-x")
    response = portal_client(tenant_a, viewer).post(
        reverse("clientportal_staff_withdrawal_decide", args=[request.pk]), {"decision": "approve"}
    )
    # then Wagtail turns the refusal into a redirect to the Broker Portal home with a message
    assert (response.status_code, response["Location"]) == (302, "/broker/")
    with tenant_context(tenant_a):
        request.refresh_from_db()
    assert request.status == "pending"


def test_view_only_account_cannot_be_funded(tenant_a, holder):
    # given a second account the client may only view
    user, _ = holder
    with tenant_context(tenant_a):
        view_only = account_for_client(tenant=tenant_a, user=user, perms=("view",), title="Trust")
    response = _withdraw(portal_client(tenant_a, user, reauthenticated=True), view_only, "1")
    assert response.status_code == 403
    with tenant_context(tenant_a):
        assert WithdrawalRequest.objects.count() == 0


def test_internal_transfer_between_own_accounts(tenant_a, holder):
    user, account = holder
    with tenant_context(tenant_a):
        ira = account_for_client(tenant=tenant_a, user=user, account_type="ira", title="IRA")
    client = portal_client(tenant_a, user)
    response = client.post(
        reverse("clientportal:transfers"),
        {
            "action": "transfer",
            "token": "t-1",
            "transfer-from_account": account.pk,
            "transfer-to_account": ira.pk,
            "transfer-amount": "250.00",
            "transfer-currency": "USD",
        },
    )
    assert response.status_code == 302
    assert _cash(tenant_a, account) == Decimal("8247")
    assert _cash(tenant_a, ira) == Decimal("250")


def test_deposit_notice_is_recorded(tenant_a, holder):
    user, account = holder
    response = portal_client(tenant_a, user).post(
        reverse("clientportal:transfers"),
        {
            "action": "deposit",
            "deposit-account": account.pk,
            "deposit-amount": "5000",
            "deposit-currency": "USD",
            "deposit-method": "wire",
            "deposit-expected_on": "2026-12-01",
            "deposit-reference": "REF-9",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        notice = DepositNotice.objects.get()
    assert (notice.account_id, notice.amount, notice.reference) == (
        account.pk,
        Decimal("5000.00"),
        "REF-9",
    )
