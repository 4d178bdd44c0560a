"""The outbox and the event stream: an event is written in the change's transaction (a refused
change leaves none), a reader resumes after the last id it saw, by query or Last-Event-ID, and
sees only events of accounts it may see."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from events.models import Event
from events.services import signature_header, signature_verify

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db


def _withdraw(client, account, amount):
    body = {"account": account.pk, "amount": amount, "currency": "USD", "destination": "X"}
    return client.post("/api/v1/withdrawals/", body, content_type="application/json")


def test_a_reader_resumes_after_its_last_event_without_loss(tenant_a, holder, other_holder):
    # given three withdrawal requests of the client, and one refused
    user, account = holder
    client = key_client(tenant_a, key_for(tenant_a, user, scopes=("read", "fund")))
    assert _withdraw(client, account, "1.00").status_code == 201
    first_page = client.get("/api/v1/events/").json()
    assert _withdraw(client, account, "99999.00").status_code == 409  # refused: no event
    assert _withdraw(client, account, "2.00").status_code == 201
    assert _withdraw(client, account, "3.00").status_code == 201
    # when the reader comes back after the id it had, by query and by header
    after = first_page["next_after"]
    resumed = client.get(f"/api/v1/events/?after={after}").json()
    by_header = client.get("/api/v1/events/", HTTP_LAST_EVENT_ID=after).json()
    stream = client.get(
        "/api/v1/events/", HTTP_LAST_EVENT_ID=after, HTTP_ACCEPT="text/event-stream"
    )
    # then
    assert [e["data"]["amount"] for e in first_page["events"]] == ["1.00"]
    assert [e["data"]["amount"] for e in resumed["events"]] == ["2.00", "3.00"]
    assert by_header == resumed
    text = b"".join(stream.streaming_content).decode()
    assert stream["Content-Type"] == "text/event-stream"
    ids = [line[4:] for line in text.splitlines() if line.startswith("id: ")]
    assert ids == [e["id"] for e in resumed["events"]]
    assert text.rstrip().endswith(": heartbeat")
    with tenant_context(tenant_a):
        assert Event.objects.filter(account_id=account.pk).count() == 3


def test_events_of_accounts_the_reader_may_not_see_are_left_out(tenant_a, holder):
    from tests.support.clientportal import account_for_client, client_user_make

    user, account = holder
    with tenant_context(tenant_a):
        other = client_user_make(username="eventsother")
        theirs = account_for_client(tenant=tenant_a, user=other)
    from ledger.services import cash_deposit

    cash_deposit(account=theirs, amount=Decimal(10), currency="USD", idempotency_key="ev-other")
    other_client = key_client(tenant_a, key_for(tenant_a, other, scopes=("read", "fund")))
    assert _withdraw(other_client, theirs, "1.00").status_code == 201
    mine = key_client(tenant_a, key_for(tenant_a, user)).get("/api/v1/events/").json()
    assert mine["events"] == []


def test_signatures_bind_body_and_time():
    header = signature_header(secret="whsec_x", body=b"{}", timestamp=1_700_000_000)
    assert signature_verify(secret="whsec_x", body=b"{}", header=header, now=1_700_000_100)
    assert not signature_verify(secret="whsec_x", body=b"{ }", header=header, now=1_700_000_100)
    assert not signature_verify(secret="whsec_x", body=b"{}", header=header, now=1_700_001_000)
