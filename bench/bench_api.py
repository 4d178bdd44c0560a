"""The API: a page of 1,000 accounts (`GET /api/v1/accounts/?page_size=1000`, an API key, 20
concurrent clients), and webhook delivery lag from an event's commit to its receipt by a local
receiver at 100 events/s.

The accounts list is served as in production: gunicorn with `brokerportal.settings.production`
(Redis for the cache and the throttles' counts where REDIS_URL is set), sync workers, as many
as `make serve` starts (2 x CPUs + 1). The 20 clients are `wrk` (a C program, from Debian's
packages when missing), a separate process, so no client shares an interpreter or its GIL with
the server: 20 connections, each a client with its own user and API key, for WRK_SECONDS after
a warm-up, the latency per request from send to the full response. Each client stays within
the production throttles (300 calls a minute per key): the run is short enough for that.
Where wrk cannot be installed, a subprocess of this interpreter runs the 20 clients (threads
over http.client; one process, but not the server's).

Webhook delivery runs in this process: webhook tasks run in-process (no broker), so the lag is
the outbox commit -> the signed POST -> the receiver, without a queue's hop."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIGURES = (
    "api_accounts_list_p50_ms",
    "api_accounts_list_p99_ms",
    "api_accounts_list_one_client_p50_ms",
    "events_delivery_lag_p99_ms",
)
ACCOUNTS = 1000
CLIENTS = 20
WRK_SECONDS = 10
ONE_CLIENT_SECONDS = 2  # one client alone: what one request costs, without queueing
WARMUP_REQUESTS = 40
EVENTS = 200
EVENT_RATE = 100  # per second
HOST = "bench-api.test"
PATH = "/api/v1/accounts/?page_size=1000"
WORKERS = 2 * (os.cpu_count() or 1) + 1  # as `make serve`


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(round(share * (len(ordered) - 1)))]


def _tenant_with_accounts():
    """The tenant, its master of 999 subs, and CLIENTS + 2 advisors granted the master (view),
    each with a second factor and an API key (the last one warms the server up, the one before
    it is the client alone)."""
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
        domain=HOST,
        security_officer_email=f"so@{HOST}",
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
    secrets_ = []
    with tenant_context(tenant):
        for n in range(CLIENTS + 2):
            user = get_user_model().objects.create_user(
                f"bench-api-{n}", f"b{n}@{HOST}", None, is_staff=True
            )
            grant_add(actor=None, user=user, accounts=[master], perms=["view", "fund"])
            TOTPDevice.objects.create(user=user, name="app", confirmed=True)
            _, secret = api_key_create(
                actor=None, user=user, name="bench", scopes=["read", "fund"], days=1
            )
            secrets_.append(secret)
    connection.set_schema_to_public()
    return tenant, master, secrets_


def _headers(secret: str) -> dict[str, str]:
    return {"Host": HOST, "Authorization": f"Bearer {secret}", "X-Forwarded-Proto": "https"}


def _warm_up(base_url: str, secret: str) -> None:
    """Every worker answers the page (checked: 1,000 rows) before the measurement."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(base_url)
    for _ in range(WARMUP_REQUESTS):
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        conn.request("GET", PATH, headers=_headers(secret))
        response = conn.getresponse()
        body = response.read()
        conn.close()
        if response.status != 200 or len(json.loads(body)["results"]) != ACCOUNTS:
            raise RuntimeError(f"the accounts list answered {response.status}: {body[:300]!r}")


# One connection per wrk thread, each thread a client with its own key; the figures wrk
# measured as one JSON line (latency in microseconds).
WRK_SCRIPT = """
local keys = {%(keys)s}
local made = 0
function setup(thread)
  made = made + 1
  thread:set("key", keys[made])
end
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Host"] = "%(host)s"
  wrk.headers["X-Forwarded-Proto"] = "https"
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"errors": %%d, "status": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _load_wrk(
    wrk: str, base_url: str, secrets_: list[str], *, clients=CLIENTS, seconds=WRK_SECONDS
):
    keys = ", ".join(f'"{s}"' for s in secrets_[:clients])
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"keys": keys, "host": HOST})
    try:
        argv = [
            wrk,
            f"--threads={clients}",
            f"--connections={clients}",
            f"--duration={seconds}s",
            "--timeout=30s",
            f"--script={script.name}",
            base_url + PATH,
        ]
        out = subprocess.run(  # noqa: S603 (our wrk, fixed arguments)
            argv, capture_output=True, text=True, check=True, timeout=seconds + 120
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    report = json.loads(out.strip().splitlines()[-1])
    if report["errors"] or report["status"]:
        raise RuntimeError(f"accounts list requests failed under load: {report}")
    return report


# The fallback client process: CLIENTS threads over http.client, one key each, for
# WRK_SECONDS; prints the latencies (ms) as a JSON list.
CLIENT_PROCESS = """
import http.client, json, sys, threading, time
from urllib.parse import urlsplit
base, path, host = sys.argv[1:4]
seconds, keys = float(sys.argv[4]), sys.argv[5:]
where = urlsplit(base)
timings, failures, lock = [], [], threading.Lock()
deadline = time.monotonic() + seconds
def run(key):
    headers = {"Host": host, "Authorization": "Bearer " + key, "X-Forwarded-Proto": "https"}
    while time.monotonic() < deadline:
        started = time.perf_counter()
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        with lock:
            (timings if response.status == 200 else failures).append(
                (time.perf_counter() - started) * 1000)
threads = [threading.Thread(target=run, args=(k,)) for k in keys]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"timings": timings, "failures": len(failures)}))
"""


def _load_process(base_url: str, secrets_: list[str], *, clients=CLIENTS, seconds=WRK_SECONDS):
    out = subprocess.run(  # noqa: S603 (this interpreter, our script)
        [sys.executable, "-c", CLIENT_PROCESS, base_url, PATH, HOST, str(seconds)]
        + secrets_[:clients],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    ).stdout
    report = json.loads(out)
    if report["failures"]:
        raise RuntimeError(f"{report['failures']} accounts list requests failed under load")
    timings = report["timings"]
    return {
        "requests": len(timings),
        "p50_us": statistics.median(timings) * 1000,
        "p99_us": _percentile(timings, 0.99) * 1000,
    }


def _throttle_counts_clear(redis_url: str) -> None:
    """Users' ids repeat from one run to the next (a new database each time): counts a
    previous run left in Redis within the minute must not throttle this one."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match="*throttle*", count=1000))
    if keys:
        client.delete(*keys)


def _list_latencies(secrets_: list[str]) -> tuple[dict, dict]:
    """(20 concurrent clients, one client alone): wrk's report of each run."""
    import secrets

    from django.conf import settings
    from django.db import connection

    from bench.bench_portal import _redis_url, _wrk
    from tests.support.liveserver import gunicorn_serve

    connection.close()  # the server processes get their own connections
    redis_url = _redis_url()
    if redis_url:
        _throttle_counts_clear(redis_url)
    extra_env = {
        "DJANGO_SETTINGS_MODULE": "brokerportal.settings.production",
        "DEBUG": "false",
        "PLATFORM_HOST": "platform.localhost",
        "SECRET_KEY": settings.SECRET_KEY
        if len(settings.SECRET_KEY) >= 40
        else secrets.token_urlsafe(48),
        "REDIS_URL": redis_url,
    }
    wrk = _wrk()
    with gunicorn_serve(
        settings_module="brokerportal.settings.production",
        workers=WORKERS,
        worker_class="sync",
        extra_env=extra_env,
        log_path=Path(__file__).resolve().parent.parent / "artifacts" / "gunicorn-bench-api.log",
    ) as (base_url, _):
        _warm_up(base_url, secrets_[-1])
        load = _load_wrk if wrk else _load_process
        if not wrk:
            print("   wrk not available: a client process measures", flush=True)  # noqa: T201
        args = (wrk, base_url) if wrk else (base_url,)
        alone = load(*args, secrets_[-2:-1], clients=1, seconds=ONE_CLIENT_SECONDS)
        return load(*args, secrets_), alone


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
    tenant, master, secrets_ = _tenant_with_accounts()
    report, alone = _list_latencies(secrets_)
    lags = _delivery_lags(tenant, master)
    print(  # noqa: T201
        f"   {report['requests']} pages of {ACCOUNTS} in {WRK_SECONDS} s by {CLIENTS} clients, "
        f"{WORKERS} gunicorn workers; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    return {
        "api_accounts_list_p50_ms": round(report["p50_us"] / 1000, 1),
        "api_accounts_list_p99_ms": round(report["p99_us"] / 1000, 1),
        "api_accounts_list_one_client_p50_ms": round(alone["p50_us"] / 1000, 1),
        "events_delivery_lag_p99_ms": round(_percentile(lags, 0.99), 1),
    }
