"""Redis, the Celery broker, stopped (killed) under a serving portal and a worker: the tasks sent
meanwhile are not lost, and `/healthz` names the broker as what is down.

A real redis-server on a free loopback port is the broker of a gunicorn (development settings,
tasks not eager) and of a Celery worker. A program books internal transfers through the API;
each writes two `journal.booked` events whose webhook fan-out task goes to the task outbox
(`tenants.outbox`) in the booking's transaction. With the broker killed, the bookings still
answer 201, their tasks wait in the outbox and `/healthz` is 503 with `"broker": "unreachable"`.
Once Redis is back, the next booking's send relays the waiting ones; the receiver gets every
event exactly once, the outbox is empty, and `ledger_verify` is clean.
"""

import json
import os
import shutil
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from tests.support.liveserver import free_port, gunicorn_serve
from tests.support.redisserver import redis_kill, redis_start
from tests.support.webfaults import HOST
from tests.support.workers import wait_for, worker_start, worker_stop

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server")

PASSWORD = "fault-broker-pass-2026"  # test-only credential of a throwaway user


class _Receiver(BaseHTTPRequestHandler):
    received: list[str] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.received.append(json.loads(body)["id"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, _Receiver.received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def program(django_db_setup, django_db_blocker, receiver):
    """A committed client with two fundable accounts, an API key with the fund scope and a
    webhook endpoint of tenant A for `journal.booked`; all removed afterwards."""
    from api.models import IdempotencyKey
    from compliance.api_keys.services import api_key_create
    from events.models import Event, WebhookDelivery, WebhookEndpoint
    from tenants.models import TaskOutbox, Tenant
    from tests.support.clientportal import portal_fixture_create, portal_fixture_purge

    server, _ = receiver
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name="tenant_a")
        fixture = portal_fixture_create(
            tenant=tenant, prefix=f"bd{os.getpid()}", positions=1, password=PASSWORD
        )
        with tenant_context(tenant):
            _, secret = api_key_create(
                actor=None, user=fixture.user, name="faults", scopes=["read", "fund"], days=1
            )
            endpoint = WebhookEndpoint.objects.create(
                url=f"http://127.0.0.1:{server.server_port}/hook",
                secret="broker-down-secret",
                kinds=["journal.booked"],
            )
            first_event = (Event.objects.order_by("-id").values_list("id", flat=True).first()) or 0
        connection.set_schema_to_public()
        first_row = TaskOutbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        yield fixture, secret
    finally:
        with django_db_blocker.unblock():
            with tenant_context(tenant):
                WebhookDelivery.objects.filter(endpoint=endpoint).delete()
                endpoint.delete()
                Event.objects.filter(
                    pk__gt=first_event,
                    account_id__in=[fixture.account.pk, fixture.second_account.pk],
                ).delete()
                IdempotencyKey.objects.filter(user_id=fixture.user.pk).delete()
            connection.set_schema_to_public()
            TaskOutbox.objects.filter(pk__gt=first_row, schema_name="tenant_a").delete()
            portal_fixture_purge(fixture)
            connection.set_schema_to_public()


def _unsent() -> int:
    from tenants.models import TaskOutbox

    return TaskOutbox.objects.filter(sent_at__isnull=True, schema_name="tenant_a").count()


def test_tasks_sent_while_the_broker_is_down_are_sent_when_it_is_back(
    program, receiver, django_db_blocker
):
    fixture, secret = program
    _, received = receiver
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    web_env = {
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": "",
        "DEBUG": "0",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    redis_process = redis_start(port)
    worker = None
    try:
        with django_db_blocker.unblock():
            worker = worker_start(broker=broker)
            with gunicorn_serve(
                settings_module="brokerportal.settings.dev", workers=1, extra_env=web_env
            ) as (base, _):
                api = httpx.Client(
                    base_url=base,
                    headers={"Host": HOST, "Authorization": f"Bearer {secret}"},
                    timeout=30,
                )

                def transfer(amount: str) -> httpx.Response:
                    return api.post(
                        "/api/v1/journals/",
                        json={
                            "from_account": fixture.account.pk,
                            "to_account": fixture.second_account.pk,
                            "amount": amount,
                            "currency": "USD",
                        },
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                    )

                def progress() -> str:
                    return f"{len(received)} webhooks received, {_unsent()} tasks unsent"

                # given a broker that works: one booking, its two events delivered
                assert transfer("10.00").status_code == 201
                wait_for(
                    lambda: len(received) == 2,
                    timeout=120,
                    what="the first two webhooks",
                    workers=[worker],
                    progress=progress,
                )
                assert api.get("/healthz").json()["broker"] == "ok"

                # when the broker dies and three more bookings are made
                redis_kill(redis_process)
                health = api.get("/healthz")
                assert health.status_code == 503
                assert (health.json()["database"], health.json()["broker"]) == (
                    "ok",
                    "unreachable",
                )
                for amount in ("11.00", "12.00", "13.00"):
                    started = time.monotonic()
                    assert transfer(amount).status_code == 201
                    assert time.monotonic() - started < 15  # the broker does not hold the request
                # then their six tasks wait in the outbox
                assert _unsent() == 6
                assert len(received) == 2

                # when the broker is back, the next booking's send relays them
                redis_process = redis_start(port)
                wait_for(
                    lambda: api.get("/healthz").status_code == 200,
                    timeout=30,
                    what="/healthz to recover",
                )
                assert transfer("14.00").status_code == 201
                # then every event arrives, each once
                wait_for(
                    lambda: len(received) >= 10 and _unsent() == 0,
                    timeout=180,
                    what="the ten webhooks",
                    workers=[worker],
                    progress=progress,
                )
                time.sleep(2)  # room for a duplicate to show up
                assert len(received) == len(set(received)) == 10
    finally:
        if worker is not None:
            worker_stop(worker)
        redis_kill(redis_process)

    # and the ledger holds the five bookings, 60 USD moved
    from ledger.models import CashBalance

    with django_db_blocker.unblock():
        moved = CashBalance.objects.get(account=fixture.second_account, currency="USD").quantity
        assert moved == Decimal("60.00")
        call_command("ledger_verify")
