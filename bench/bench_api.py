"""The API: a page of 1,000 accounts (`GET /api/v1/accounts/?page_size=1000`, an API key, 20
concurrent clients), and webhook delivery lag from an event's commit to its receipt by a local
receiver at 100 events/s.

Both run in this process: the clients are 20 threads, each with Django's test client calling
the WSGI application (so they share one interpreter with the server side, which makes the
latencies pessimistic); webhook tasks run in-process (no broker), so the lag is the outbox
commit → the signed POST → the receiver, without a queue's hop."""

import statistics
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIGURES = ("api_accounts_list_p50_ms", "api_accounts_list_p99_ms", "events_delivery_lag_p99_ms")
ACCOUNTS = 1000
CLIENTS = 20
REQUESTS_PER_CLIENT = 10
EVENTS = 200
EVENT_RATE = 100  # per second


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(round(share * (len(ordered) - 1)))]


def _tenant_with_accounts():
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import tenant_context

    from compliance.api_keys.services import api_key_create
    from compliance.services import grant_add
    from ledger.models import Account
    from tenants.services import tenant_provision

    tenant = tenant_provision(
        name="Bench API",
        schema_name="bench_api",
        domain="bench-api.test",
        security_officer_email="so@bench-api.test",
    )
    master = Account.objects.create(
        tenant=tenant, number="BAPM0000", title="m", account_type="master"
    )
    Account.objects.bulk_create(
        Account(
            tenant=tenant,
            number=f"BAPS{i:04d}",
            title=f"Sub {i}",
            account_type="sub",
            parent=master,
        )
        for i in range(ACCOUNTS - 1)
    )
    with tenant_context(tenant):
        user = get_user_model().objects.create_superuser("bench-api", "b@bench-api.test", None)
        grant_add(actor=None, user=user, accounts=[master], perms=["view", "fund"])
        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        _, secret = api_key_create(
            actor=None, user=user, name="bench", scopes=["read", "fund"], days=1
        )
    connection.set_schema_to_public()
    return tenant, user, master, secret


def _list_latencies(tenant, secret) -> list[float]:
    from django.db import connection
    from django.test import Client

    timings: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client_loop():
        client = Client(
            HTTP_HOST=tenant.get_primary_domain().domain, HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        client.get("/api/v1/accounts/?page_size=1000")  # warm-up
        barrier.wait(timeout=120)
        for _ in range(REQUESTS_PER_CLIENT):
            started = time.perf_counter()
            response = client.get("/api/v1/accounts/?page_size=1000")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and len(response.json()["results"]) == ACCOUNTS
            with lock:
                timings.append(elapsed)
        connection.close()

    threads = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings


def _delivery_lags(tenant, master) -> list[float]:
    import json

    from django.conf import settings
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    from api.services import webhook_endpoint_create
    from events.services import event_record

    received: dict[str, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received[json.loads(body)["id"]] = time.perf_counter()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WEBHOOK_HTTPS_ONLY = False
    committed: dict[str, float] = {}
    try:
        with tenant_context(tenant):
            webhook_endpoint_create(actor=None, url=f"http://127.0.0.1:{server.server_port}/h")
            started = time.perf_counter()
            for n in range(EVENTS):
                # paced at EVENT_RATE: event n is due at started + n / rate
                delay = started + n / EVENT_RATE - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                with transaction.atomic():
                    stamp: dict[str, float] = {}
                    transaction.on_commit(lambda s=stamp: s.setdefault("t", time.perf_counter()))
                    event = event_record(
                        kind="deposit.notified",
                        subject=f"bench:{n}",
                        account_id=master.pk,
                        data={"amount": str(Decimal(n))},
                    )
                committed[str(event.pk)] = stamp["t"]
        deadline = time.perf_counter() + 30
        while len(received) < EVENTS and time.perf_counter() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
        server.server_close()
        connection.set_schema_to_public()
    assert len(received) == EVENTS, f"{len(received)} of {EVENTS} received"
    return [(received[k] - committed[k]) * 1000 for k in committed]


def run() -> dict[str, float]:
    tenant, _, master, secret = _tenant_with_accounts()
    timings = _list_latencies(tenant, secret)
    lags = _delivery_lags(tenant, master)
    return {
        "api_accounts_list_p50_ms": round(statistics.median(timings), 1),
        "api_accounts_list_p99_ms": round(_percentile(timings, 0.99), 1),
        "events_delivery_lag_p99_ms": round(_percentile(lags, 0.99), 1),
    }
