"""A program's journey through the API: a Security Officer creates its key on the Broker
Portal's API keys page, the program lists accounts, reads positions, requests a withdrawal
twice with one Idempotency-Key (one request; one ledger entry once staff approve), and a local
webhook receiver gets each event of the withdrawal's life, signed, once more after answering
500 the first time."""

import json
import re
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth.models import Group, Permission
from django_tenants.utils import tenant_context

from clientportal.models import WithdrawalRequest
from compliance.models import AuditRecord
from compliance.sessions import REAUTH_AT
from events.services import signature_verify
from ledger.models import JournalEntry
from ledger.selectors import cash_balances_for
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

from .conftest import key_client, key_for, with_device

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook endpoint on a local port: answers 500 to the first call, then 200."""

    def __init__(self):
        self.calls: list[tuple[dict, bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if not receiver.calls else 200
                receiver.calls.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _so_page_key(tenant, officer, username) -> str:
    client = login(tenant_client(tenant), officer, tenant)
    with tenant_context(tenant):
        session = client.session
        session[REAUTH_AT] = int(time.time())
        session.save()
    page = client.post(
        "/broker/security/api-keys/",
        {
            "username": username,
            "name": "CRM sync",
            "scopes": ["read", "fund"],
            "days": "30",
            "networks": "",
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "shown only once" in html and "CRM sync" in html
    return re.search(r"<code data-secret>(bpk_[0-9a-f]+)</code>", html).group(1)


def test_a_program_reads_requests_a_withdrawal_once_and_gets_its_webhooks(
    tenant_a, holder, django_capture_on_commit_callbacks
):
    # given a Security Officer, an approver, the client's key made on the page, a webhook
    user, account = holder
    officer = user_make(
        tenant=tenant_a,
        username=f"so-{uuid.uuid4().hex[:6]}",
        roles=["Security Officer"],
        totp=True,
    )
    approver = user_make(
        tenant=tenant_a, username=f"ap-{uuid.uuid4().hex[:6]}", is_staff=True, totp=True
    )
    with tenant_context(tenant_a):
        with_device(user)
        approver.user_permissions.add(Permission.objects.get(codename="change_withdrawalrequest"))
        assert Group.objects.get(name="Security Officer") in officer.groups.all()
    secret = _so_page_key(tenant_a, officer, user.username)
    receiver = Receiver()
    try:
        so_api = login(tenant_client(tenant_a), officer, tenant_a)
        hook = so_api.post(
            "/api/v1/webhooks/", {"url": receiver.url}, content_type="application/json"
        )
        assert hook.status_code == 201
        hook_secret = hook.json()["secret"]
        program = key_client(tenant_a, secret)

        # when the program lists accounts and reads positions
        listed = program.get("/api/v1/accounts/").json()["results"]
        positions = program.get(f"/api/v1/accounts/{account.pk}/positions/").json()["results"]
        # and posts one withdrawal twice with one key
        body = {
            "account": account.pk,
            "amount": "250.00",
            "currency": "USD",
            "destination": "US-ABA-021000021",
        }
        with django_capture_on_commit_callbacks(execute=True):
            first = program.post(
                "/api/v1/withdrawals/",
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="wd-1",
            )
            second = program.post(
                "/api/v1/withdrawals/",
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="wd-1",
            )
        # and staff approve it through the API, twice with one key
        staff_api = key_client(tenant_a, _key(tenant_a, approver))
        with django_capture_on_commit_callbacks(execute=True):
            approved = [
                staff_api.post(
                    f"/api/v1/withdrawals/{first.json()['id']}/approve/",
                    HTTP_IDEMPOTENCY_KEY="approve-1",
                )
                for _ in range(2)
            ]
    finally:
        receiver.close()

    # then the program saw its account and holdings
    assert [a["number"] for a in listed] == [account.number]
    assert len(positions) == 3 and {p["quantity"] for p in positions} == {"10.00000000"}
    # one request, one ledger entry, the cash down by 250
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert [a.status_code for a in approved] == [200, 200]
    assert approved[0].json()["status"] == approved[1].json()["status"] == "booked"
    with tenant_context(tenant_a):
        request = WithdrawalRequest.objects.get(account_id=account.pk)
        assert request.status == "booked"
        assert cash_balances_for(tenant=tenant_a, account_ids=[account.pk])[0].balance == Decimal(
            "8247"
        )
        assert AuditRecord.objects.filter(action="api_key.create", actor_id=officer.pk).count() == 1
    assert JournalEntry.objects.filter(pk=request.journal_entry_id).count() == 1
    # the receiver got requested (500, then again) and approved, each signed with its secret
    kinds = [(json.loads(b)["kind"], status) for _, b, status in receiver.calls]
    assert kinds == [
        ("withdrawal.requested", 500),
        ("withdrawal.requested", 200),
        ("withdrawal.approved", 200),
    ]
    for headers, raw, _ in receiver.calls:
        assert signature_verify(secret=hook_secret, body=raw, header=headers["Webhook-Signature"])
    assert not signature_verify(secret="whsec_other", body=raw, header=headers["Webhook-Signature"])


def _key(tenant, user):

    return key_for(tenant, user, scopes=("read", "fund"))
