"""Workers on two hosts taking tasks from the same queues: each task is done once, by one host.

The second host is a network namespace of the test's own (tests/support/netns.py) with its own
host name (`unshare --uts`); it reaches PostgreSQL, the broker and the webhook receiver only
over a veth pair, through a relay on the services' end. The first host is this machine's root
namespace, on loopback. Both run the project's worker (tests/support/hostworker.py, which
records where each task ran) on the same Redis broker and the same database.

A month-end statement run (24 accounts, fanned out in batches) and twenty webhook events are
sent to the default queue. Afterwards:

- both hosts ran statement batches and webhook deliveries;
- no task ran twice (one `task_postrun` per task id across the hosts), each account has one
  statement (version 1) and each event one delivery, received once by the receiver;
- the second host's deliveries came in through the relay, the first host's over loopback, and
  bytes crossed the veth;
- the ledger verifies.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import socketserver
import tempfile
import threading
import time
from collections import Counter
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from tests.support import netns, workers
from tests.support.liveserver import free_port
from tests.support.redisserver import redis_kill, redis_start

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server"),
]

PERIOD = {
    "period_kind": "monthly",
    "period_start": date(2031, 3, 1),
    "period_end": date(2031, 3, 31),
}
ACCOUNTS = 24
EVENTS = 20
SECOND_HOSTNAME = "portal-worker-b"


class _Receiver(BaseHTTPRequestHandler):
    """Records each delivery's Webhook-Id with the listener it came through."""

    received: list[tuple[str, str]] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.received.append((self.headers["Webhook-Id"], self.server.listener))
        time.sleep(0.2)  # a receiver that takes its time: the deliveries spread over the hosts
        self.send_response(200)
        self.end_headers()

    def address_string(self):
        return self.server.listener

    def log_message(self, *args):
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("relay", 0)


def _serve(server, listener: str):
    server.listener = listener
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _postgres_socket() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW unix_socket_directories")
        directories = cursor.fetchone()[0]
        cursor.execute("SHOW port")
        port = cursor.fetchone()[0]
    directory = next((d.strip() for d in directories.split(",") if d.strip()), "")
    path = Path(directory) / f".s.PGSQL.{port}"
    assert path.exists(), f"PostgreSQL has no Unix socket to relay to ({path})"
    return str(path)


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def two_hosts(committed_db):
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    scratch = Path(tempfile.mkdtemp(prefix="bp-host-"))  # short: Unix socket paths are limited
    broker_port = free_port()
    redis_process = redis_start(broker_port, unixsocket=str(scratch / "redis.sock"))
    _Receiver.received = []
    hook_port = free_port()
    servers = [
        # The first host reaches the receiver at the services' address: in the root namespace
        # all of 127.0.0.0/8 is loopback.
        _serve(ThreadingHTTPServer((netns.SERVICES_ADDRESS, hook_port), _Receiver), "loopback"),
        _serve(_UnixHTTPServer(str(scratch / "hook.sock"), _Receiver), "relay"),
    ]
    record = scratch / "ran.jsonl"
    running: list = []
    routes = {
        5432: _postgres_socket(),
        6379: str(scratch / "redis.sock"),
        hook_port: str(scratch / "hook.sock"),
    }
    try:
        with netns.second_host(routes) as host:
            db = connection.settings_dict
            common = {
                "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({"visibility_timeout": 30}),
            }
            first = workers.worker_start(
                broker=f"redis://127.0.0.1:{broker_port}/0",
                record=str(record),
                node="first@root",
                extra_env={**common, "REDIS_URL": f"redis://127.0.0.1:{broker_port}/1"},
            )
            running.append(first)
            second = workers.worker_start(
                broker=f"redis://{host.services_address}:6379/0",
                record=str(record),
                node="second@netns",
                wrap=[*host.exec(), "unshare", "--uts"],
                extra_env={
                    **common,
                    "DATABASE_URL": (
                        f"postgres://{db['USER']}@{host.services_address}:5432/{db['NAME']}"
                    ),
                    "REDIS_URL": f"redis://{host.services_address}:6379/1",
                    "HOSTWORKER_HOSTNAME": SECOND_HOSTNAME,
                    "HOSTWORKER_PARENT_UTS": os.readlink("/proc/self/ns/uts"),
                },
            )
            running.append(second)
            workers.wait_for(
                lambda: len([r for r in _records(record) if r["event"] == "ready"]) == 2,
                timeout=120,
                what="both workers ready",
                workers=running,
                progress=lambda: json.dumps(_records(record)),
            )
            yield {
                "host": host,
                "broker": f"redis://127.0.0.1:{broker_port}/0",
                "hook_url": f"http://{netns.SERVICES_ADDRESS}:{hook_port}/hook",
                "record": record,
                "workers": running,
            }
            for worker in running:
                workers.worker_stop(worker)
    finally:
        for worker in running:
            if worker.poll() is None:
                workers.worker_kill(worker)
        for server in servers:
            server.shutdown()
            server.server_close()
        redis_kill(redis_process)
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def work(two_hosts, monkeypatch):
    """Tenant B's accounts for a statement run, tenant A's webhook endpoint and events; all
    removed afterwards."""
    from branding.statement_models import (
        IssuedStatement,
        StatementDelivery,
        StatementFailure,
        StatementRun,
    )
    from branding.statements import services
    from events.models import Event, WebhookDelivery, WebhookEndpoint
    from ledger.models import Account
    from ledger.services import account_open
    from tenants.models import Tenant
    from tests.support.records import records_deletable

    sender = workers.sender(two_hosts["broker"])
    # The run's fan-out goes to the workers instead of running eagerly in this process.
    monkeypatch.setattr(
        services,
        "_dispatch",
        lambda run_id: sender.send_task("branding.tasks.statement_run_dispatch", args=[run_id]),
    )
    tenant_a = Tenant.objects.get(schema_name="tenant_a")
    tenant_b = Tenant.objects.get(schema_name="tenant_b")
    with tenant_context(tenant_b):
        accounts = [
            account_open(tenant=tenant_b, title=f"Two hosts {i}", account_type="individual")
            for i in range(ACCOUNTS)
        ]
    with tenant_context(tenant_a):
        endpoint = WebhookEndpoint.objects.create(
            url=two_hosts["hook_url"], secret="second-host-secret"
        )
        events = [
            Event.objects.create(kind="journal.booked", subject=f"entry:{i}", data={"n": i})
            for i in range(EVENTS)
        ]
    connection.set_schema_to_public()
    try:
        yield {
            **two_hosts,
            "sender": sender,
            "tenant_a": tenant_a,
            "tenant_b": tenant_b,
            "account_ids": [a.pk for a in accounts],
            "endpoint": endpoint,
            "events": events,
        }
    finally:
        with tenant_context(tenant_a):
            WebhookDelivery.objects.filter(endpoint=endpoint).delete()
            endpoint.delete()
            Event.objects.filter(pk__in=[e.pk for e in events]).delete()
        with tenant_context(tenant_b), records_deletable():
            runs = StatementRun.objects.filter(period_end=PERIOD["period_end"])
            statements = IssuedStatement.objects.filter(run__in=runs)
            for statement in statements:
                for field in (statement.pdf, statement.csv, statement.xml):
                    field.storage.delete(field.name)
            StatementDelivery.objects.filter(statement__in=statements).delete()
            statements.delete()
            StatementFailure.objects.filter(run__in=runs).delete()
            runs.delete()
            Account.objects.filter(pk__in=[a.pk for a in accounts]).delete()
        connection.set_schema_to_public()


def test_workers_on_two_hosts_share_the_queues_and_do_each_task_once(work):
    from branding.statement_models import IssuedStatement
    from branding.statements.services import statement_run_start
    from events.models import WebhookDelivery

    host = work["host"]
    record = work["record"]
    ids = work["account_ids"]

    def issued() -> int:
        with tenant_context(work["tenant_b"]):
            count = IssuedStatement.objects.filter(
                account_id__in=ids, period_end=PERIOD["period_end"]
            ).count()
        connection.set_schema_to_public()
        return count

    def delivered() -> int:
        with tenant_context(work["tenant_a"]):
            count = WebhookDelivery.objects.filter(
                endpoint=work["endpoint"], status="delivered"
            ).count()
        connection.set_schema_to_public()
        return count

    def batches_done() -> bool:
        ran = [r for r in _records(record) if r["event"] == "ran"]
        names = Counter(r["name"] for r in ran)
        return names["branding.tasks.statement_run_dispatch"] == 1 and all(
            r["state"] == "SUCCESS" for r in ran
        )

    veth_before = host.veth_bytes()
    # given both hosts' workers on the same queues
    # when a statement run and twenty webhook events are sent
    with tenant_context(work["tenant_a"]):
        for event in work["events"]:
            work["sender"].send_task("events.tasks.webhooks_fan_out", kwargs={"event_id": event.pk})
    with tenant_context(work["tenant_b"]):
        statement_run_start(tenant=work["tenant_b"], user=None, **PERIOD)
    connection.set_schema_to_public()
    workers.wait_for(
        lambda: issued() == ACCOUNTS and delivered() == EVENTS and batches_done(),
        timeout=300,
        what=f"{ACCOUNTS} statements and {EVENTS} deliveries",
        workers=work["workers"],
        progress=lambda: f"{issued()} statements, {delivered()} deliveries",
    )
    time.sleep(2)  # a late duplicate, if any, would land now

    ran = [r for r in _records(record) if r["event"] == "ran"]
    root_netns = os.readlink("/proc/self/ns/net")
    hosts = {root_netns: socket.gethostname(), host.netns_id(): SECOND_HOSTNAME}
    # then every task ran in one of the two hosts, under that host's name
    assert {r["netns"] for r in ran} == set(hosts)
    assert all(r["host"] == hosts[r["netns"]] for r in ran)
    assert {r["node"] for r in ran} == {"first@root", "second@netns"}
    # and both hosts did statement batches and webhook deliveries
    for family in ("branding.tasks.statements_issue_for_run_batch", "events.tasks.webhook_deliver"):
        by_host = Counter(r["netns"] for r in ran if r["name"] == family)
        assert set(by_host) == set(hosts), f"{family} ran on {dict(by_host)} only"
    # and no task ran twice
    repeated = [task for task, n in Counter(r["task_id"] for r in ran).items() if n > 1]
    assert repeated == []
    assert all(r["state"] == "SUCCESS" for r in ran)

    # then each account has one statement, version 1
    with tenant_context(work["tenant_b"]):
        per_account = Counter(
            IssuedStatement.objects.filter(
                account_id__in=ids, period_end=PERIOD["period_end"]
            ).values_list("account_id", flat=True)
        )
        assert dict(per_account) == dict.fromkeys(ids, 1)
        assert set(
            IssuedStatement.objects.filter(account_id__in=ids).values_list("version", flat=True)
        ) == {1}
        batched = sorted(
            account
            for r in ran
            if r["name"] == "branding.tasks.statements_issue_for_run_batch"
            for account in r["args"][1]
        )
        assert batched == sorted(ids)
    # and each event one delivery, received once, through the way its host reaches the receiver
    with tenant_context(work["tenant_a"]):
        rows = list(WebhookDelivery.objects.filter(endpoint=work["endpoint"]))
    connection.set_schema_to_public()
    assert sorted(r.event_id for r in rows) == sorted(e.pk for e in work["events"])
    assert {r.status for r in rows} == {"delivered"}
    received = dict(_Receiver.received)
    assert len(_Receiver.received) == len(received) == EVENTS
    delivered_by = {
        str(r["kwargs"]["delivery_id"]): r["netns"]
        for r in ran
        if r["name"] == "events.tasks.webhook_deliver"
    }
    assert set(received) == set(delivered_by) == {str(r.pk) for r in rows}
    way = {root_netns: "loopback", host.netns_id(): "relay"}
    assert {pk: received[pk] for pk in received} == {
        pk: way[netns_id] for pk, netns_id in delivered_by.items()
    }
    # and the second host's traffic crossed the veth
    veth_after = host.veth_bytes()
    assert veth_after[0] > veth_before[0] and veth_after[1] > veth_before[1]
    call_command("ledger_verify")
