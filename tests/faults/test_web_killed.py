"""The web server killed (SIGKILL, the whole gunicorn process group) in the middle of a
client's withdrawal POST; the client retries on a fresh server; the effect exists once.

Two moments: before the request was read whole (nothing may be written), and after the commit
but before the client read the response (the retry must find the request it made). The form's
one-time token (clientportal.services.withdrawal_request_create) is what makes the retry safe.
After the staff approval the ledger holds one withdrawal and `ledger_verify` is clean.
"""

import os
import time
from decimal import Decimal
from urllib.parse import urlencode

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from tests.support.liveserver import gunicorn_serve
from tests.support.webfaults import HOST, SERVER_ENV, hidden, log_in, raw_post, server_kill

PASSWORD = "fault-web-pass-2026"  # test-only credential of a throwaway user


@pytest.fixture
def committed_client(django_db_setup, django_db_blocker):
    from tenants.models import Tenant
    from tests.support.clientportal import portal_fixture_create, portal_fixture_purge

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name="tenant_a")
        fixture = portal_fixture_create(
            tenant=tenant, prefix=f"wk{os.getpid()}", positions=1, password=PASSWORD
        )
        connection.set_schema_to_public()
    try:
        yield fixture
    finally:
        with django_db_blocker.unblock():
            portal_fixture_purge(fixture)
            connection.set_schema_to_public()


def _log_in(http: httpx.Client, fixture) -> None:
    log_in(http, username=fixture.user.username, password=PASSWORD, totp_key=fixture.totp_key)


def _requests(fixture, token: str) -> int:
    from clientportal.models import WithdrawalRequest

    with tenant_context(fixture.tenant):
        count = WithdrawalRequest.objects.filter(
            requested_by=fixture.user, idempotency_key=token
        ).count()
    connection.set_schema_to_public()
    return count


@pytest.mark.parametrize("moment", ["body half sent", "after the commit"])
def test_withdrawal_post_survives_a_killed_server_and_a_retry(
    committed_client, django_db_blocker, moment
):
    fixture = committed_client
    with django_db_blocker.unblock():
        with gunicorn_serve(workers=1, extra_env=SERVER_ENV) as (base, port):
            http = httpx.Client(base_url=base, headers={"Host": HOST})
            _log_in(http, fixture)
            form = http.get("/transfers/withdraw/")
            assert form.status_code == 200, form.text[:300]
            token = hidden(form.text, "token")
            body = urlencode(
                {
                    "csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"),
                    "token": token,
                    "account": fixture.account.pk,
                    "amount": "125.50",
                    "currency": "USD",
                    "destination": "DE89370400440532013000",
                }
            ).encode()
            # when the server dies at that moment
            if moment == "body half sent":
                sock = raw_post(port, "/transfers/withdraw/", body, send=40, cookies=http.cookies)
                time.sleep(0.5)
                server_kill(port)
                assert _requests(fixture, token) == 0
            else:
                sock = raw_post(
                    port, "/transfers/withdraw/", body, send=len(body), cookies=http.cookies
                )
                deadline = time.monotonic() + 30
                while _requests(fixture, token) == 0 and time.monotonic() < deadline:
                    time.sleep(0.01)
                server_kill(port)
                assert _requests(fixture, token) == 1
            sock.close()

        # then the client's retry on a fresh server makes the request exactly once
        with gunicorn_serve(workers=1, extra_env=SERVER_ENV) as (base, _):
            retry = httpx.Client(base_url=base, headers={"Host": HOST}, cookies=http.cookies)
            again = retry.post(
                "/transfers/withdraw/",
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert again.status_code == 302, again.text[:300]
            assert again.headers["location"] == "/transfers/"
            listing = retry.get("/transfers/")
            assert listing.text.count("125.50") == 1
        assert _requests(fixture, token) == 1

        # and the approval books one withdrawal; journal and projections agree
        from clientportal.models import WithdrawalRequest
        from clientportal.services import withdrawal_request_approve
        from ledger.models import JournalEntry

        with tenant_context(fixture.tenant):
            request = WithdrawalRequest.objects.get(idempotency_key=token)
            staff = fixture.user  # the service checks the state, the Action the role
            withdrawal_request_approve(staff=staff, tenant=fixture.tenant, request_id=request.pk)
            request.refresh_from_db()
            entry = JournalEntry.objects.get(pk=request.journal_entry_id)
            assert (
                entry.postings.filter(account=fixture.account, quantity=Decimal("-125.50")).count()
                == 1
            )
            assert (
                JournalEntry.objects.filter(postings__account=fixture.account)
                .filter(postings__quantity=Decimal("-125.50"))
                .count()
                == 1
            )
        connection.set_schema_to_public()
        call_command("ledger_verify")
