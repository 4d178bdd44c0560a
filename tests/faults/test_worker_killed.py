"""A Celery worker killed (SIGKILL, its whole process group) mid-batch, then a new worker: the
work is done once (the month-end statements have their own test,
branding/tests/test_statements_worker.py).

Tasks are acknowledged after they ran (`CELERY_TASK_ACKS_LATE`): Redis hands the message of the
task the killed worker was running to another worker once the visibility timeout has passed
(five seconds here, `CELERY_BROKER_TRANSPORT_OPTIONS`), so that task runs again and must be
idempotent.

- Webhook delivery: twenty events fanned out, the receiver slow; the worker dies mid-batch.
  Every event gets one delivery row (a fan-out run again adds none) and reaches the receiver;
  a request repeated is only the one in flight at the kill, under the same `Webhook-Id`.
- Market data load: a day's file of 30,000 closes from `CsvDirectoryProvider`; the worker dies
  while the load's transaction writes them (nothing or everything stays). The redelivered load
  writes each close once, with its value.

A real redis-server on a free port is the broker, removed afterwards.
"""

import json
import shutil
import threading
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from tests.support import workers
from tests.support.liveserver import free_port
from tests.support.redisserver import redis_kill, redis_start

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server"),
]

WORKER_ENV = {"CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({"visibility_timeout": 5})}


@pytest.fixture
def broker():
    port = free_port()
    process = redis_start(port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        redis_kill(process)


@pytest.fixture
def started(broker):
    """Start workers on the broker; every one is stopped (or killed) afterwards."""
    running: list = []

    def start():
        worker = workers.worker_start(broker=broker, extra_env=WORKER_ENV)
        running.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in running:
            if worker.poll() is None:
                workers.worker_kill(worker)


class _SlowReceiver(BaseHTTPRequestHandler):
    received: list[str] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.received.append(self.headers["Webhook-Id"])
        time.sleep(0.3)  # a receiver that takes its time: the kill lands mid-batch
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_batch(committed_db):
    from events.models import Event, WebhookDelivery, WebhookEndpoint
    from tenants.models import Tenant

    _SlowReceiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tenant = Tenant.objects.get(schema_name="tenant_a")
    with tenant_context(tenant):
        endpoint = WebhookEndpoint.objects.create(
            url=f"http://127.0.0.1:{server.server_port}/hook", secret="killed-worker-secret"
        )
        # Rows only: the fan-out tasks are sent to the worker below, not run in this process.
        events = [
            Event.objects.create(kind="journal.booked", subject=f"entry:{i}", data={"n": i})
            for i in range(20)
        ]
    connection.set_schema_to_public()
    try:
        yield tenant, endpoint, events, _SlowReceiver.received
    finally:
        server.shutdown()
        server.server_close()
        with tenant_context(tenant):
            WebhookDelivery.objects.filter(endpoint=endpoint).delete()
            endpoint.delete()
            Event.objects.filter(pk__in=[e.pk for e in events]).delete()
        connection.set_schema_to_public()


def test_webhook_delivery_after_a_killed_worker_delivers_each_event_once(
    webhook_batch, broker, started
):
    from events.models import WebhookDelivery

    tenant, endpoint, events, received = webhook_batch
    sender = workers.sender(broker)

    def delivered() -> int:
        with tenant_context(tenant):
            count = WebhookDelivery.objects.filter(endpoint=endpoint, status="delivered").count()
        connection.set_schema_to_public()
        return count

    def progress() -> str:
        return f"{len(set(received))} events received, {delivered()} deliveries delivered"

    # given a batch of twenty fan-outs under way on one worker
    first = started()
    with tenant_context(tenant):
        for event in events:
            sender.send_task("events.tasks.webhooks_fan_out", kwargs={"event_id": event.pk})
    connection.set_schema_to_public()
    workers.wait_for(
        lambda: len(received) >= 5,
        timeout=120,
        what="five webhooks from the first worker",
        workers=[first],
        progress=progress,
    )
    # when the worker is killed mid-batch
    workers.worker_kill(first)
    at_kill = len(set(received))
    assert at_kill < len(events)
    # and a new worker takes over
    second = started()
    workers.wait_for(
        lambda: delivered() == len(events),
        timeout=240,
        what="every delivery delivered",
        workers=[second],
        progress=progress,
    )
    time.sleep(2)  # a late duplicate, if any, would land now

    # then each event has one delivery, delivered, and reached the receiver
    with tenant_context(tenant):
        rows = list(WebhookDelivery.objects.filter(endpoint=endpoint))
    connection.set_schema_to_public()
    assert sorted(r.event_id for r in rows) == sorted(e.pk for e in events)
    assert {r.status for r in rows} == {"delivered"}
    assert set(received) == {str(r.pk) for r in rows}
    # a repeat is only the request in flight at the kill (one worker process: at most one)
    assert len(received) - len(set(received)) <= 1
    call_command("ledger_verify")


DAYS = 150
INSTRUMENTS = 200
FILE_DAY = date(2026, 11, 30)


@pytest.fixture
def market_file(committed_db, tmp_path):
    """A day's prices file: 200 instruments × 150 past days of closes (30,000 rows)."""
    from ledger.models import Instrument

    prefix = f"MK{uuid.uuid4().hex[:4].upper()}"
    instruments = Instrument.objects.bulk_create(
        Instrument(symbol=f"{prefix}{i:04d}", asset_class="STK", currency="USD")
        for i in range(INSTRUMENTS)
    )
    expected = {}
    with (tmp_path / f"prices-{FILE_DAY.isoformat()}.csv").open("w") as out:
        out.write("date,symbol,close\n")
        for d in range(DAYS):
            day = FILE_DAY - timedelta(days=DAYS + 30 - d)
            for i, instrument in enumerate(instruments):
                close = Decimal(10 + i) + Decimal(d) / 100
                expected[(instrument.pk, day)] = close
                out.write(f"{day.isoformat()},{instrument.symbol},{close}\n")
    ids = [i.pk for i in instruments]
    try:
        yield tmp_path, ids, expected
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL ledger.allow_purge = 'on'")
            cursor.execute("DELETE FROM ledger_price WHERE instrument_id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM ledger_instrument WHERE id = ANY(%s)", [ids])


def test_market_data_load_after_a_killed_worker_writes_each_close_once(
    market_file, broker, started
):
    from ledger.models import Price

    directory, ids, expected = market_file
    WORKER_ENV["MARKET_DATA_PROVIDERS"] = json.dumps(
        [
            {
                "class": "ledger.market_providers.CsvDirectoryProvider",
                "options": {"directory": str(directory)},
            }
        ]
    )
    sender = workers.sender(broker)

    def loaded() -> int:
        return Price.objects.filter(instrument_id__in=ids).count()

    def writing() -> bool:
        """A worker's transaction is writing closes (`prices_load` is one transaction)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') "
                "AND query ILIKE %s",
                ["%ledger_price%"],
            )
            return bool(cursor.fetchone()[0])

    try:
        # given the day's load under way on one worker
        first = started()
        sender.send_task("ledger.tasks.market_data_fetch", kwargs={"on": FILE_DAY.isoformat()})
        workers.wait_for(
            writing,
            timeout=180,
            what="the load writing its closes",
            workers=[first],
            progress=lambda: f"{loaded()} of {len(expected)} closes",
            interval=0.02,
        )
        # when the worker is killed mid-load
        workers.worker_kill(first)
        # then the load left nothing or everything (one transaction)
        at_kill = loaded()
        assert at_kill in {0, len(expected)}
        # and a new worker takes the message over and loads the day
        second = started()
        workers.wait_for(
            lambda: loaded() == len(expected) and not writing(),
            timeout=240,
            what="every close written",
            workers=[second],
            progress=lambda: f"{loaded()} of {len(expected)} closes",
        )
    finally:
        WORKER_ENV.pop("MARKET_DATA_PROVIDERS", None)

    # then each close is there once, with the file's value
    time.sleep(1)
    rows = {(p.instrument_id, p.date): p.close for p in Price.objects.filter(instrument_id__in=ids)}
    assert rows == expected
    call_command("ledger_verify")


OFFICERS = 12


@pytest.fixture
def mail_receiver():
    """A slow SMTP server on loopback recording each recipient (the standard library's smtpd,
    deprecated but still shipped with Python 3.11)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncore = pytest.importorskip("asyncore")
        smtpd = pytest.importorskip("smtpd")
    received: list[str] = []

    class Slow(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            received.extend(rcpttos)
            time.sleep(0.3)  # the kill lands mid-batch

    port = free_port()
    server = Slow(("127.0.0.1", port), None, decode_data=False)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
    thread.start()
    try:
        yield port, received
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def exceptions_desk(committed_db):
    """Twelve Compliance Officers of tenant A and an account with negative cash (an exception
    they own); removed afterwards."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from desk.models import ExceptionsEmailSent
    from ledger.journal import PostingLine, journal_post
    from ledger.models import JournalEntry
    from ledger.services import account_open
    from tenants.models import Tenant
    from tests.support.factories import user_make
    from tests.support.ledger import ledger_purge

    tenant = Tenant.objects.get(schema_name="tenant_a")
    tag = uuid.uuid4().hex[:6]
    officers = [
        user_make(
            tenant=tenant, username=f"wk-co-{tag}-{i}@example.com", roles=["Compliance Officer"]
        )
        for i in range(OFFICERS)
    ]
    short = account_open(tenant=tenant, title="Short Sam", account_type="individual")
    other = account_open(tenant=tenant, title="Long Lou", account_type="individual")
    # Through the journal, so the projections agree with it (ledger_verify).
    journal_post(
        kind=JournalEntry.Kind.CASH_TRANSFER,
        lines=[
            PostingLine(account=short, currency="USD", quantity=Decimal("-8")),
            PostingLine(account=other, currency="USD", quantity=Decimal("8")),
        ],
        idempotency_key=f"worker-killed-short-{tag}",
        trade_date=timezone.localdate(),
        broker_reported=True,  # a fact from the carrying broker: booked below zero as it was
    )
    try:
        yield tenant, [o.email for o in officers]
    finally:
        with tenant_context(tenant):
            ExceptionsEmailSent.objects.all().delete()
            get_user_model().objects.filter(pk__in=[o.pk for o in officers]).delete()
        connection.set_schema_to_public()
        ledger_purge(account_ids=[short.pk, other.pk])


def test_exceptions_email_after_a_killed_worker_reaches_each_officer_once(
    exceptions_desk, mail_receiver, broker, started
):
    from collections import Counter

    tenant, addresses = exceptions_desk
    port, received = mail_receiver
    WORKER_ENV["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    sender = workers.sender(broker)

    def reached() -> int:
        return len(set(received) & set(addresses))

    try:
        # given the day's exceptions e-mail under way on one worker
        first = started()
        with tenant_context(tenant):
            sender.send_task("desk.tasks.exceptions_email_send")
        connection.set_schema_to_public()
        workers.wait_for(
            lambda: reached() >= 4,
            timeout=180,
            what="four officers e-mailed by the first worker",
            workers=[first],
            progress=lambda: f"{reached()} of {OFFICERS} officers",
        )
        # when the worker is killed mid-batch
        workers.worker_kill(first)
        assert reached() < OFFICERS
        # and a new worker takes the message over
        second = started()
        workers.wait_for(
            lambda: reached() == OFFICERS,
            timeout=240,
            what="every officer e-mailed",
            workers=[second],
            progress=lambda: f"{reached()} of {OFFICERS} officers",
        )
        time.sleep(2)  # a late duplicate, if any, would land now
    finally:
        WORKER_ENV.pop("EMAIL_URL", None)

    # then each officer got the e-mail once (a repeat only of the message in flight at the kill)
    counts = Counter(address for address in received if address in addresses)
    assert set(counts) == set(addresses)
    assert sum(counts.values()) - OFFICERS <= 1
    call_command("ledger_verify")
