"""The web server killed (SIGKILL, the whole gunicorn process group) in the middle of a staff
journal POST in the Broker Portal and of an API POST with an `Idempotency-Key`; the client
retries on a fresh server; the effect exists once and `ledger_verify` is clean.

Two moments each: before the request was read whole (nothing may be written), and after the
commit but before the client read the response (the retry must find what it made). The journal
form's one-time token (`funding.services.journal_create`'s `request_key`) and the API's stored
response per key (`api.idempotency`, Stripe's semantics) are what make the retries safe.
"""

import json
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
from tests.support.webfaults import (
    HOST,
    SERVER_ENV,
    hidden,
    log_in,
    raw_post,
    server_kill,
    wait_until,
)

PASSWORD = "fault-web-pass-2026"  # test-only credential of throwaway users
MOMENTS = ["body half sent", "after the commit"]


def _cash(account, currency: str = "USD") -> Decimal:
    from ledger.models import CashBalance

    row = CashBalance.objects.filter(account=account, currency=currency).first()
    return row.quantity if row else Decimal(0)


def _entries_touching(account) -> int:
    from ledger.models import JournalEntry

    return JournalEntry.objects.filter(postings__account=account).distinct().count()


def _verify_clean() -> None:
    connection.set_schema_to_public()
    call_command("ledger_verify")  # raises CommandError on any difference


@pytest.fixture
def journal_desk(django_db_setup, django_db_blocker):
    """A committed Onboarding Officer (password + TOTP) and two accounts of tenant A, the first
    holding 20,000 USD; removed afterwards."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ledger.services import account_open, cash_deposit
    from tenants.models import Tenant
    from tests.support.clientportal import funding_rows_purge
    from tests.support.factories import user_make
    from tests.support.ledger import ledger_purge

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name="tenant_a")
        tag = f"wkj{os.getpid()}"
        staff = user_make(
            tenant=tenant,
            username=f"{tag}@example.com",
            roles=["Onboarding Officer"],
            password=PASSWORD,
        )
        with tenant_context(tenant):
            device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
        one = account_open(tenant=tenant, title="Journal from", account_type="individual")
        two = account_open(tenant=tenant, title="Journal to", account_type="individual")
        cash_deposit(account=one, amount=Decimal(20000), currency="USD", idempotency_key=tag)
        connection.set_schema_to_public()
    try:
        yield tenant, staff, device.key, one, two
    finally:
        with django_db_blocker.unblock():
            with tenant_context(tenant):
                funding_rows_purge(account_ids=[one.pk, two.pk])
                get_user_model().objects.filter(pk=staff.pk).delete()
            connection.set_schema_to_public()
            ledger_purge(account_ids=[one.pk, two.pk])
            connection.set_schema_to_public()


def _journals(tenant, token: str) -> int:
    from funding.models import Journal

    with tenant_context(tenant):
        count = Journal.objects.filter(request_key=f"form:{tenant.schema_name}:{token}").count()
    connection.set_schema_to_public()
    return count


@pytest.mark.parametrize("moment", MOMENTS)
def test_journal_post_survives_a_killed_server_and_a_retry(journal_desk, django_db_blocker, moment):
    tenant, staff, totp_key, one, two = journal_desk
    path = "/broker/funding/journals/new/"
    with django_db_blocker.unblock():
        # given a logged-in officer on the new-journal form
        with gunicorn_serve(workers=1, extra_env=SERVER_ENV) as (base, port):
            http = httpx.Client(base_url=base, headers={"Host": HOST}, timeout=30)
            log_in(http, username=staff.username, password=PASSWORD, totp_key=totp_key)
            form = http.get(path)
            assert form.status_code == 200, form.text[:300]
            token = hidden(form.text, "token")
            body = urlencode(
                {
                    "csrfmiddlewaretoken": hidden(form.text, "csrfmiddlewaretoken"),
                    "token": token,
                    "kind": "cash",
                    "from_account": one.number,
                    "to_account": two.number,
                    "currency": "USD",
                    "amount": "1234.56",
                    "memo": "fault test",
                }
            ).encode()
            # when the server dies at that moment
            if moment == "body half sent":
                sock = raw_post(port, path, body, send=40, cookies=http.cookies)
                time.sleep(0.5)
                server_kill(port)
                assert _journals(tenant, token) == 0
            else:
                sock = raw_post(port, path, body, send=len(body), cookies=http.cookies)
                wait_until(lambda: _journals(tenant, token) == 1, timeout=30, what="the journal")
                server_kill(port)
            sock.close()

        # then the officer's retry on a fresh server makes the journal exactly once
        with gunicorn_serve(workers=1, extra_env=SERVER_ENV) as (base, _):
            retry = httpx.Client(
                base_url=base, headers={"Host": HOST}, cookies=http.cookies, timeout=30
            )
            again = retry.post(
                path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            assert again.status_code == 302, again.text[:300]
            from funding.models import Journal

            with tenant_context(tenant):
                journal = Journal.objects.get(request_key=f"form:{tenant.schema_name}:{token}")
            connection.set_schema_to_public()
            assert again.headers["location"] == f"/broker/funding/journals/{journal.pk}/"
            # and a third send of the same form still finds the first journal
            third = retry.post(
                path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            assert third.headers["location"] == again.headers["location"]

        # and the ledger holds one entry moving 1,234.56 USD
        assert (journal.status, journal.amount) == ("booked", Decimal("1234.56"))
        assert _journals(tenant, token) == 1
        assert _entries_touching(two) == 1
        assert (_cash(one), _cash(two)) == (Decimal("18765.44"), Decimal("1234.56"))
        _verify_clean()


@pytest.fixture
def api_holder(django_db_setup, django_db_blocker):
    """A committed client with two fundable accounts (the first with cash) and an API key with
    the fund scope; removed afterwards."""
    from compliance.api_keys.services import api_key_create
    from tenants.models import Tenant
    from tests.support.clientportal import portal_fixture_create, portal_fixture_purge

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name="tenant_a")
        fixture = portal_fixture_create(
            tenant=tenant, prefix=f"wka{os.getpid()}", positions=1, password=PASSWORD
        )
        with tenant_context(tenant):
            _, secret = api_key_create(
                actor=None, user=fixture.user, name="faults", scopes=["read", "fund"], days=1
            )
        connection.set_schema_to_public()
    try:
        yield fixture, secret
    finally:
        with django_db_blocker.unblock():
            from api.models import IdempotencyKey

            with tenant_context(fixture.tenant):
                IdempotencyKey.objects.filter(user_id=fixture.user.pk).delete()
            portal_fixture_purge(fixture)
            connection.set_schema_to_public()


def _keys_completed(fixture, key: str) -> int:
    from api.models import IdempotencyKey

    with tenant_context(fixture.tenant):
        count = IdempotencyKey.objects.filter(key=key, completed=True).count()
    connection.set_schema_to_public()
    return count


@pytest.mark.parametrize("moment", MOMENTS)
def test_api_post_with_an_idempotency_key_survives_a_killed_server_and_a_retry(
    api_holder, django_db_blocker, moment
):
    fixture, secret = api_holder
    path = "/api/v1/journals/"
    key = f"fault-{moment.replace(' ', '-')}-{os.getpid()}"
    body = json.dumps(
        {
            "from_account": fixture.account.pk,
            "to_account": fixture.second_account.pk,
            "amount": "321.09",
            "currency": "USD",
        }
    ).encode()
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": key}
    with django_db_blocker.unblock():
        cash_before = _cash(fixture.account)
        # when the server dies at that moment
        with gunicorn_serve(workers=1, extra_env=SERVER_ENV) as (_, port):
            if moment == "body half sent":
                sock = raw_post(
                    port, path, body, send=20, headers=headers, content_type="application/json"
                )
                time.sleep(0.5)
                server_kill(port)
                assert _keys_completed(fixture, key) == 0
            else:
                sock = raw_post(
                    port,
                    path,
                    body,
                    send=len(body),
                    headers=headers,
                    content_type="application/json",
                )
                wait_until(
                    lambda: _keys_completed(fixture, key) == 1, timeout=30, what="the stored key"
                )
                server_kill(port)
            sock.close()

        # then the program's retry with the same key on a fresh server gets one booking
        with gunicorn_serve(workers=1, extra_env=SERVER_ENV) as (base, _):
            api = httpx.Client(base_url=base, headers={"Host": HOST, **headers}, timeout=30)
            again = api.post(path, content=body, headers={"Content-Type": "application/json"})
            assert again.status_code == 201, again.text[:300]
            replayed = again.headers.get("Idempotent-Replayed") == "true"
            assert replayed is (moment == "after the commit")
            once_more = api.post(path, content=body, headers={"Content-Type": "application/json"})
            assert once_more.status_code == 201
            assert once_more.headers["Idempotent-Replayed"] == "true"
            assert once_more.json() == again.json()

        # and the ledger holds that one entry
        from ledger.models import JournalEntry

        entry = JournalEntry.objects.get(pk=again.json()["entry_id"])
        assert sorted(p.quantity for p in entry.postings.all()) == [
            Decimal("-321.09"),
            Decimal("321.09"),
        ]
        assert _entries_touching(fixture.second_account) == 1
        assert _cash(fixture.second_account) == Decimal("321.09")
        assert cash_before - _cash(fixture.account) == Decimal("321.09")
        _verify_clean()
