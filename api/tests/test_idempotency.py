"""Idempotency-Key on POSTs: one effect per key, the first response replayed, another body
refused, and two concurrent requests with one key serialised."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from api.models import IdempotencyKey
from clientportal.models import WithdrawalRequest
from events.models import Event
from ledger.models import JournalEntry
from ledger.services import cash_deposit
from tenants.models import Tenant
from tests.support.clientportal import account_for_client, client_user_make
from tests.support.ledger import ledger_purge

from .conftest import key_client, key_for


def _withdraw(client, account, key, amount="100.00"):
    body = {"account": account.pk, "amount": amount, "currency": "USD", "destination": "US-1"}
    return client.post(
        "/api/v1/withdrawals/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.mark.django_db
def test_the_same_key_and_body_replays_the_first_response(tenant_a, holder):
    # given
    user, account = holder
    client = key_client(tenant_a, key_for(tenant_a, user, scopes=("read", "fund")))
    key = str(uuid.uuid4())
    # when
    first = _withdraw(client, account, key)
    again = _withdraw(client, account, key)
    other = _withdraw(client, account, key, amount="200.00")
    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert other.status_code == 422
    assert "used for another request" in other.json()["detail"]
    with tenant_context(tenant_a):
        assert WithdrawalRequest.objects.filter(account_id=account.pk).count() == 1
        assert Event.objects.filter(kind="withdrawal.requested").count() == 1


@pytest.mark.django_db
def test_a_refusal_is_replayed_too_and_a_new_key_runs_again(tenant_a, holder):
    user, account = holder
    client = key_client(tenant_a, key_for(tenant_a, user, scopes=("read", "fund")))
    refused = _withdraw(client, account, "k-over", amount="9000.00")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("You can withdraw at most 8,497.00 USD")
    assert _withdraw(client, account, "k-over", amount="9000.00").json() == refused.json()
    assert _withdraw(client, account, "k-ok", amount="10.00").status_code == 201


def test_two_concurrent_requests_with_one_key_book_once(committed_db):
    # given a funded client account and a key, committed
    tenant = Tenant.objects.get(schema_name="tenant_a")
    suffix = uuid.uuid4().hex[:6]
    with tenant_context(tenant):
        user = client_user_make(username=f"concurrent-{suffix}")
        account = account_for_client(tenant=tenant, user=user, perms=("view", "fund"))
    connection.set_schema_to_public()
    cash_deposit(
        account=account, amount=Decimal(500), currency="USD", idempotency_key=f"idem-{suffix}"
    )
    secret = key_for(tenant, user, scopes=("read", "fund"))
    barrier = threading.Barrier(2)
    answers = []

    def post():
        client = key_client(tenant, secret)
        barrier.wait(timeout=30)
        answers.append(_withdraw(client, account, f"same-{suffix}", amount="400.00"))
        connection.close()

    try:
        # when both send the same request at the same moment
        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        # then one ran, the other got its response (400 of 500 could not be withdrawn twice)
        assert sorted(a.status_code for a in answers) == [201, 201]
        assert answers[0].json() == answers[1].json()
        assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
        with tenant_context(tenant):
            assert WithdrawalRequest.objects.filter(account_id=account.pk).count() == 1
    finally:
        with tenant_context(tenant):
            WithdrawalRequest.objects.filter(account_id=account.pk).delete()
            IdempotencyKey.objects.filter(key=f"same-{suffix}").delete()
            Event.objects.filter(account_id=account.pk).delete()
            user.delete()
        connection.set_schema_to_public()
        ledger_purge(account_ids=[account.pk])
    assert JournalEntry.objects.filter(idempotency_key=f"idem-{suffix}").count() == 0
